// iws.Values(ws): the latest value of each field path. It is handed only the paths that
// changed (plain data in, no model access: widgets.ts binds it); rows update in place
// (textContent only: values are untrusted), on animation frames, and are highlighted
// when they change. DOM contract:
// .iws-values[data-fields] > .iws-values-stats, table.iws-values-table > tbody >
// tr.iws-values-row[data-path][data-changed-at] (td.iws-values-path, td.iws-values-value,
// td.iws-values-time); a row that changed in the last second has .iws-changed and
// data-flash="3" | "2" | "1", the highlight fading in steps as the change ages.
// With `by`: one tbody.iws-values-group[data-group] per group, in first-seen order, headed
// by tr.iws-values-heading > th (the group's value, as text); its rows carry data-group.
//
// The fade is stepped, in the frames the views redraw in anyway, not a CSS animation: a
// background animation runs on the main thread and makes every frame a changed one.
import { formatCount, formatTime, plural } from "../format";
import { newSlot, pinHeight, setText, TEXT_SLOT_MS, VALUES_PHASE_MS } from "./dom";
import { type GroupCounts, groupStats } from "./groups";

type Row = {
  tr: HTMLTableRowElement;
  value: HTMLTableCellElement;
  time: HTMLTableCellElement;
  level: number; // the highlight step shown (data-flash), 0 when not highlighted
  flashedAt: number; // performance.now() of the last change, 0 when not highlighted
};
/** One path's latest value: its text, when it changed (epoch ms, 0: unknown), its group (`by`). */
export type ValueUpdate = [path: string, text: string, changedMs: number, group?: number];
type Update = ValueUpdate;

export interface ValuesOptions {
  /** The paths asked for, shown in this order before any value comes ([]: every path). */
  readonly paths: readonly string[];
  /** Paths shown at most (said in the stats when more came); per group with `by`. */
  readonly limit: number;
  /** The field naming each message's group (null: no groups), and most groups. */
  readonly by?: string | null;
  readonly maxGroups?: number;
}

/** What came: values, paths not shown (over the limit), messages skipped; counts when told. */
export interface ValuesData {
  readonly updates: readonly ValueUpdate[];
  readonly overflow: number | null;
  readonly skipped: number | null;
  /** With `by`: every group's label (when it grew), and what could not be placed. */
  readonly groups?: readonly string[] | null;
  readonly counts?: GroupCounts | null;
}

export interface ValuesHandle {
  /** Everything the kernel holds now (drawn at once, not highlighted). */
  reset(data: ValuesData): void;
  /** Changes: drawn at the next slot, highlighted. */
  add(data: ValuesData): void;
}

const FLASH_MS = 1000; // how long a change stays highlighted
const FLASH_STEPS = 3; // highlight steps, strongest first (styles: [data-flash])
const MAX_HEIGHT = 320; // px, then the table scrolls

function cell(tag: "td" | "th", className: string, text = ""): HTMLTableCellElement {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

export function createValues(el: HTMLElement, options: ValuesOptions, signal: AbortSignal): ValuesHandle {
  const chosen = options.paths;
  const by = options.by ?? null;
  const rows = new Map<string, Row>();
  let overflow = 0;
  let skipped = 0;
  let counts: GroupCounts = { ungrouped: 0, extraGroups: 0, extraMessages: 0 };
  const groups: HTMLTableSectionElement[] = []; // with `by`: a tbody per group

  const root = document.createElement("div");
  root.className = "iws-widget iws-values";
  const stats = document.createElement("div");
  stats.className = "iws-values-stats";
  const scroll = document.createElement("div");
  scroll.className = "iws-values-scroll";
  const table = document.createElement("table");
  table.className = "iws-values-table";
  const head = document.createElement("thead");
  const headRow = document.createElement("tr");
  headRow.append(
    cell("th", "iws-values-path", "field"),
    cell("th", "iws-values-value", "value"),
    cell("th", "iws-values-time", "changed"),
  );
  head.append(headRow);
  const body = document.createElement("tbody");
  table.append(head);
  if (by === null) table.append(body);
  scroll.append(table);
  const empty = document.createElement("div");
  empty.className = "iws-values-empty";
  empty.textContent = chosen.length ? `waiting for ${chosen.join(", ")}…` : "waiting for messages…";
  root.append(stats, scroll, empty);
  el.append(root);
  // The table lays out on its own (styles: .iws-values-scroll is `contain: strict`): a
  // changed value re-lays the table, not the notebook. Its height follows the table's.
  pinHeight(scroll, table, signal, 2, MAX_HEIGHT);

  function row(path: string, group = -1): Row {
    const key = group < 0 ? path : `${group}\u0000${path}`;
    let found = rows.get(key);
    if (!found) {
      const tr = document.createElement("tr");
      tr.className = "iws-values-row";
      tr.dataset.path = path;
      if (group >= 0) tr.dataset.group = String(group);
      const value = cell("td", "iws-values-value", "—");
      const time = cell("td", "iws-values-time");
      tr.append(cell("td", "iws-values-path", path === "" ? "(message)" : path), value, time);
      (group < 0 ? body : (groups[group] ?? body)).append(tr);
      found = { tr, value, time, level: 0, flashedAt: 0 };
      rows.set(key, found);
    }
    return found;
  }
  if (by === null) for (const path of chosen) row(path); // the chosen order, before any value comes

  /** With `by`: a tbody per new group, headed by its value, with the chosen paths' rows. */
  function addGroups(labels: readonly string[]): void {
    for (let g = groups.length; g < labels.length; g++) {
      const section = document.createElement("tbody");
      section.className = "iws-values-group";
      section.dataset.group = String(g);
      const heading = document.createElement("tr");
      heading.className = "iws-values-heading";
      const th = cell("th", "iws-values-group-name", labels[g] ?? "");
      th.colSpan = 3;
      th.scope = "rowgroup";
      heading.append(th);
      section.append(heading);
      table.append(section);
      groups.push(section);
      for (const path of chosen) row(path, g);
    }
  }

  let shown = 0; // rows that have a value
  function showStats(): void {
    const parts = by === null ? [] : [plural(groups.length, "group")];
    parts.push(plural(shown, "field"));
    if (overflow) parts.push(`${formatCount(overflow)} more not shown (limit=${formatCount(options.limit)})`);
    if (skipped) parts.push(`${formatCount(skipped)} messages skipped`);
    if (by !== null) parts.push(...groupStats(by, options.maxGroups ?? 20, counts, "shown"));
    const text = parts.join(" · ");
    if (stats.textContent === text) return; // an unchanged write still costs a layout
    root.dataset.fields = String(shown);
    if (by !== null) root.dataset.groups = String(groups.length);
    stats.textContent = text;
    empty.hidden = shown > 0;
  }

  // Updates wait for the next animation frame; per path only the newest counts.
  const pending = new Map<string, Update>();
  let frame = 0;

  // Highlighted rows: their highlight steps down as the change ages, in the view's slots.
  const flashing = new Set<Row>();
  function highlight(r: Row, level: number): void {
    if (level === r.level) return;
    if (level === 0) {
      r.tr.classList.remove("iws-changed");
      delete r.tr.dataset.flash;
    } else {
      if (r.level === 0) r.tr.classList.add("iws-changed");
      r.tr.dataset.flash = String(level);
    }
    r.level = level;
  }
  function fade(now: number): void {
    for (const r of flashing) {
      const left = FLASH_MS - (now - r.flashedAt);
      const level = left > 0 ? Math.ceil((left / FLASH_MS) * FLASH_STEPS) : 0;
      highlight(r, level);
      if (level === 0) {
        r.flashedAt = 0;
        flashing.delete(r);
      }
    }
  }

  let appliedAt = Number.NEGATIVE_INFINITY;
  function tick(now: number): void {
    frame = 0;
    // At most 15 times a second, in the frames the other views redraw in.
    if (!newSlot(now, appliedAt, TEXT_SLOT_MS, VALUES_PHASE_MS)) {
      if (!signal.aborted) frame = requestAnimationFrame(tick);
      return;
    }
    appliedAt = now;
    if (pending.size > 0) apply(true);
    fade(performance.now());
    if (flashing.size > 0 && frame === 0 && !signal.aborted) frame = requestAnimationFrame(tick);
  }

  function apply(flash: boolean): void {
    const now = performance.now();
    for (const [path, text, changedMs, group] of pending.values()) {
      if (by !== null && (group === undefined || group >= groups.length)) continue;
      const r = row(path, by === null ? -1 : (group ?? -1));
      if (r.tr.dataset.changedAt === undefined) shown += 1;
      setText(r.value, text);
      setText(r.time, changedMs ? formatTime(changedMs) : "");
      r.tr.dataset.changedAt = String(changedMs);
      if (flash) {
        highlight(r, FLASH_STEPS);
        r.flashedAt = now;
        flashing.add(r);
      }
    }
    pending.clear();
    showStats();
  }

  function take(data: ValuesData, flash: boolean): void {
    overflow = data.overflow ?? overflow;
    skipped = data.skipped ?? skipped;
    counts = data.counts ?? counts;
    if (by !== null && data.groups) addGroups(data.groups);
    for (const update of data.updates) pending.set(by === null ? update[0] : `${update[3]}\u0000${update[0]}`, update);
    if (data.updates.length === 0) showStats();
    if (!flash) apply(false);
    else if (frame === 0 && !signal.aborted) frame = requestAnimationFrame(tick);
  }

  signal.addEventListener(
    "abort",
    () => {
      if (frame) cancelAnimationFrame(frame);
    },
    { once: true },
  );
  showStats();
  return {
    reset: (data) => take(data, false),
    add: (data) => take(data, true),
  };
}
