// The log's detail pane: one message in full (JSON pretty-printed, binary as a hex +
// ASCII dump), fetched on demand, and a Copy button.
import { formatBytes, formatTime, hexDump, toHex } from "../format";
import type { FullMessage } from "../rows";
import type { Row } from "../types";
import { h, setText } from "./dom";

const DETAIL_TEXT_LIMIT = 1_000_000; // characters pretty-printed in the detail pane

/** What the detail pane shows for a message, and what Copy copies. */
export function present(message: FullMessage): { shown: string; copied: string; note: string } {
  if (message.kind === "binary") {
    const bytes = message.bytes ?? new Uint8Array(0);
    return { shown: hexDump(bytes), copied: toHex(bytes), note: "binary: hex + ASCII; Copy copies the hex" };
  }
  const text = message.text;
  const trimmed = text.trimStart();
  if ((trimmed.startsWith("{") || trimmed.startsWith("[")) && text.length <= DETAIL_TEXT_LIMIT) {
    try {
      return { shown: JSON.stringify(JSON.parse(text), null, 2), copied: text, note: "JSON, pretty-printed" };
    } catch {
      // not JSON: shown as it is
    }
  }
  const shown = text.length > DETAIL_TEXT_LIMIT ? `${text.slice(0, DETAIL_TEXT_LIMIT)}\n…` : text;
  return { shown, copied: text, note: "text" };
}

/** Puts `text` on the clipboard; resolves to an error text, or null. */
async function copyText(text: string): Promise<string | null> {
  try {
    await navigator.clipboard.writeText(text);
    return null;
  } catch {
    // No permission or no secure context: the old way, through a selection.
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok ? null : "the browser refused to copy (no clipboard permission)";
  }
}

export class DetailPane {
  readonly root = h("div", "iws-detail");
  /** The seq of the message shown, or null when the pane is closed. */
  selected: number | null = null;
  private readonly title = h("span", "iws-detail-title");
  private readonly note = h("span", "iws-detail-note");
  private readonly copyButton = h("button", "iws-copy-button", "Copy");
  private readonly body = h("pre", "iws-detail-body");
  private copied = "";
  private request = 0; // the latest show(): answers to earlier ones are dropped

  /** `fetch` gets a message in full; `changed` runs when the selection changes. */
  constructor(
    private readonly fetch: (seq: number) => Promise<FullMessage>,
    private readonly changed: () => void,
    private readonly signal: AbortSignal,
  ) {
    const copyButton = this.copyButton;
    copyButton.type = "button";
    copyButton.title = "Copy the whole message (binary: as hex)";
    const close = h("button", "iws-detail-close", "×");
    close.type = "button";
    close.title = "Close";
    const head = h("div", "iws-detail-head");
    head.append(this.title, this.note, copyButton, close);
    this.root.append(head, this.body);
    this.root.hidden = true;
    close.addEventListener("click", () => this.hide(), { signal });
    copyButton.addEventListener("click", () => this.copy(), { signal });
  }

  /** Shows `row` at once (its preview), then in full when the message comes. */
  async show(row: Row): Promise<void> {
    const { root, signal } = this;
    this.selected = row.seq;
    const request = ++this.request;
    root.hidden = false;
    root.dataset.seq = String(row.seq);
    root.dataset.state = "loading";
    setText(
      this.title,
      `#${row.seq} ${row.dir === "out" ? "↑ sent" : "↓ received"} ${formatTime(row.time)} · ${formatBytes(row.size)}`,
    );
    setText(this.note, "loading…");
    setText(this.body, row.text);
    this.copied = "";
    this.copyButton.disabled = true;
    this.changed();
    try {
      const message = await this.fetch(row.seq);
      if (request !== this.request || signal.aborted) return;
      const view = present(message);
      setText(this.body, view.shown);
      setText(this.note, view.note);
      this.copied = view.copied;
      this.copyButton.disabled = false;
      root.dataset.state = "ready";
      root.dataset.kind = message.kind;
    } catch (exc) {
      if (request !== this.request || signal.aborted) return;
      setText(this.note, `cannot show it in full: ${exc instanceof Error ? exc.message : String(exc)}`);
      root.dataset.state = "error";
    }
  }

  hide(): void {
    this.request += 1;
    this.selected = null;
    this.root.hidden = true;
    this.changed();
  }

  private copy(): void {
    const button = this.copyButton;
    void copyText(this.copied).then((problem) => {
      if (this.signal.aborted) return;
      button.dataset.copied = problem === null ? "true" : "false";
      setText(button, problem === null ? "Copied" : "Copy failed");
      button.title = problem ?? "Copied to the clipboard";
      window.setTimeout(() => {
        setText(button, "Copy");
        delete button.dataset.copied;
      }, 1500);
    });
  }
}
