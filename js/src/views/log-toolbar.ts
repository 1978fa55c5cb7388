// The log's toolbar: filter text, regex, direction, kind, pause, and the counts.
// It reports what the user asks for; log.ts decides what follows.
import { groupDigits, plural } from "../format";
import { h, setText } from "./dom";
import type { FilterInput } from "./log-filter";

export interface ToolbarEvents {
  /** An input of the filter changed. */
  filter(input: FilterInput): void;
  /** Pause or Resume was clicked. */
  pause(): void;
}

export interface Counts {
  /** Rows listed (those matching the filter, when one is set). */
  readonly listed: number;
  /** Rows the log holds up to where it was paused. */
  readonly kept: number;
  readonly filtered: boolean;
  /** Rows that came since the log was paused; null when it is not paused. */
  readonly fresh: number | null;
}

export class LogToolbar {
  readonly root = h("div", "iws-log-toolbar");
  private readonly input = h("input", "iws-filter-input");
  private readonly regex = h("input", "iws-filter-regex");
  private readonly dir = h("select", "iws-filter-dir");
  private readonly kind = h("select", "iws-filter-kind");
  private readonly pauseButton = h("button", "iws-pause-button", "Pause");
  private readonly paused = h("span", "iws-paused");
  private readonly count = h("span", "iws-log-count");
  private readonly problem = h("span", "iws-filter-error");

  constructor(events: ToolbarEvents, signal: AbortSignal) {
    const { input, regex, dir, kind, pauseButton } = this;
    input.type = "search";
    input.placeholder = "Filter";
    input.title = "Show rows whose preview contains this text (case-insensitive), or matches it as a regex";
    input.setAttribute("aria-label", "filter messages");
    input.spellcheck = false;
    regex.type = "checkbox";
    const regexLabel = h("label", "iws-filter-regex-label");
    regexLabel.title = "Treat the filter as a regular expression";
    regexLabel.append(regex, document.createTextNode("regex"));
    dir.title = "direction";
    for (const [value, label] of [
      ["", "in + out"],
      ["in", "↓ in"],
      ["out", "↑ out"],
    ] as const) {
      dir.append(new Option(label, value));
    }
    kind.title = "kind";
    for (const [value, label] of [
      ["", "any kind"],
      ["text", "text"],
      ["json", "JSON"],
      ["binary", "binary"],
    ] as const) {
      kind.append(new Option(label, value));
    }
    pauseButton.type = "button";
    pauseButton.title = "Freeze the list (messages keep arriving and being counted)";
    this.problem.setAttribute("role", "status");
    // The counts change at every redraw: they sit in a box of their own (.iws-log-status >
    // .iws-pin, `contain: strict`), since the toolbar's form controls keep the toolbar from
    // being a relayout boundary (a select's picker is positioned out of flow).
    const statusBox = h("span", "iws-pin");
    statusBox.append(this.paused, document.createTextNode(" "), this.count);
    const status = h("span", "iws-log-status");
    status.append(statusBox);
    this.root.append(input, regexLabel, dir, kind, pauseButton, status, this.problem);

    const changed = (): void =>
      events.filter({ text: input.value, regex: regex.checked, dir: dir.value, kind: kind.value });
    input.addEventListener("input", changed, { signal });
    regex.addEventListener("change", changed, { signal });
    dir.addEventListener("change", changed, { signal });
    kind.addEventListener("change", changed, { signal });
    pauseButton.addEventListener("click", () => events.pause(), { signal });
  }

  /** Why the filter matches nothing ("" when it is fine). */
  showProblem(problem: string): void {
    setText(this.problem, problem);
    this.problem.hidden = problem === "";
    this.input.dataset.invalid = problem === "" ? "false" : "true";
  }

  showPaused(on: boolean): void {
    setText(this.pauseButton, on ? "Resume" : "Pause");
    this.pauseButton.dataset.paused = on ? "true" : "false";
  }

  showCounts(counts: Counts): void {
    const { listed, kept, filtered, fresh } = counts;
    setText(this.count, filtered ? `${groupDigits(listed)} of ${groupDigits(kept)}` : plural(kept, "row"));
    setText(this.paused, fresh === null ? "" : `paused · ${groupDigits(fresh)} new`);
    this.paused.hidden = fresh === null;
  }
}
