// The message log: a virtualised list of rows (fixed row height, only the
// visible rows in the DOM), a filter, pause/resume, and a detail pane that
// shows one message in full (JSON pretty-printed, binary as a hex + ASCII
// dump) and copies it. Plain data in (a LogFeed), no model access; DOM work
// happens at most once per animation frame however fast rows arrive.
import { formatBytes, formatCount, formatTime, groupDigits, hexDump, plural, toHex } from "../format";
import type { FullMessage, LogFeed } from "../rows";
import type { Row } from "../types";
import { LOG_PHASE_MS, TEXT_SLOT_MS, h, newSlot, pinned, setText } from "./dom";

/** Row height in px; styles.css gives .iws-row the same height. */
export const ROW_HEIGHT = 20;
const OVERSCAN = 8; // rows drawn beyond the view while the user scrolls
const FOLLOW_OVERSCAN = 2; // ... and while it follows the stream (every row changes at each redraw)
const DETAIL_TEXT_LIMIT = 1_000_000; // characters pretty-printed in the detail pane
const MIN_HEIGHT = 48; // px, the list's height when it holds (almost) nothing

export interface LogHandle {
  /** The feed changed (new rows, reset): redraw at the next animation frame. */
  update(): void;
}

interface Filter {
  pattern: RegExp | null;
  dir: string; // "", "in", "out"
  kind: string; // "", "text", "json", "binary"
}

function matches(filter: Filter, row: Row): boolean {
  if (filter.dir !== "" && row.dir !== filter.dir) return false;
  if (filter.kind === "json" ? !row.json : filter.kind !== "" && row.kind !== filter.kind) return false;
  return filter.pattern === null || filter.pattern.test(row.text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
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

/** What the detail pane shows for a message, and what Copy copies. */
function present(message: FullMessage): { shown: string; copied: string; note: string } {
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

/** Builds the log inside `parent`; everything is undone when `signal` aborts. */
export function createLog(parent: HTMLElement, feed: LogFeed, signal: AbortSignal): LogHandle {
  const root = h("div", "iws-logview");

  // Toolbar: filter, direction, kind, pause, counts.
  const filterInput = h("input", "iws-filter-input");
  filterInput.type = "search";
  filterInput.placeholder = "Filter";
  filterInput.title = "Show rows whose preview contains this text (case-insensitive), or matches it as a regex";
  filterInput.setAttribute("aria-label", "filter messages");
  filterInput.spellcheck = false;
  const regexBox = h("input", "iws-filter-regex");
  regexBox.type = "checkbox";
  const regexLabel = h("label", "iws-filter-regex-label");
  regexLabel.title = "Treat the filter as a regular expression";
  regexLabel.append(regexBox, document.createTextNode("regex"));
  const dirSelect = h("select", "iws-filter-dir");
  dirSelect.title = "direction";
  for (const [value, label] of [
    ["", "in + out"],
    ["in", "↓ in"],
    ["out", "↑ out"],
  ]) {
    dirSelect.append(new Option(label, value));
  }
  const kindSelect = h("select", "iws-filter-kind");
  kindSelect.title = "kind";
  for (const [value, label] of [
    ["", "any kind"],
    ["text", "text"],
    ["json", "JSON"],
    ["binary", "binary"],
  ]) {
    kindSelect.append(new Option(label, value));
  }
  const pauseButton = h("button", "iws-pause-button", "Pause");
  pauseButton.type = "button";
  pauseButton.title = "Freeze the list (messages keep arriving and being counted)";
  const paused = h("span", "iws-paused");
  const count = h("span", "iws-log-count");
  const filterError = h("span", "iws-filter-error");
  filterError.setAttribute("role", "status");
  const toolbar = h("div", "iws-log-toolbar");
  // The counts change at every redraw: they sit in a box of their own (.iws-log-status >
  // .iws-pin, `contain: strict`), since the toolbar's form controls keep the toolbar from
  // being a relayout boundary (a select's picker is positioned out of flow).
  const statusBox = h("span", "iws-pin");
  statusBox.append(paused, document.createTextNode(" "), count);
  const status = h("span", "iws-log-status");
  status.append(statusBox);
  toolbar.append(filterInput, regexLabel, dirSelect, kindSelect, pauseButton, status, filterError);

  // The list: a scroller, a spacer as tall as all rows, the visible rows placed absolutely.
  const omitted = h("div", "iws-omitted");
  const log = h("div", "iws-log");
  log.tabIndex = 0;
  log.setAttribute("aria-label", "messages");
  const rowsEl = h("div", "iws-rows");
  const empty = h("div", "iws-empty", "No messages yet");
  log.append(rowsEl, empty);

  // Detail pane: one message in full.
  const detailTitle = h("span", "iws-detail-title");
  const detailNote = h("span", "iws-detail-note");
  const copyButton = h("button", "iws-copy-button", "Copy");
  copyButton.type = "button";
  copyButton.title = "Copy the whole message (binary: as hex)";
  const closeDetail = h("button", "iws-detail-close", "×");
  closeDetail.type = "button";
  closeDetail.title = "Close";
  const detailHead = h("div", "iws-detail-head");
  detailHead.append(detailTitle, detailNote, copyButton, closeDetail);
  const detailBody = h("pre", "iws-detail-body");
  const detail = h("div", "iws-detail");
  detail.append(detailHead, detailBody);
  detail.hidden = true;

  // The toolbar, the notice and the list each lay out on their own (see pinned, styles:
  // .iws-omitted and .iws-log are `contain: strict` with a set height): a new row or count
  // redraws the log, not the notebook around it.
  root.append(pinned(toolbar, signal), omitted, log, detail);
  parent.append(root);

  // -- state -----------------------------------------------------------------------
  let filter: Filter = { pattern: null, dir: "", kind: "" };
  let filtered = false;
  let hits: number[] = []; // absolute indices of matching rows, ascending, from hitsHead on
  let hitsHead = 0;
  let scanned = 0; // rows up to here (absolute) were tested against the filter
  let epoch = -1;
  let pausedAt: number | null = null; // ring.total when paused
  let follow = true; // stay at the newest row
  // Layout is never read while drawing (a read after the page's other writes forces a
  // layout of the whole notebook): the scroll position comes from scroll events, the
  // height from a ResizeObserver.
  let scrollPos = 0;
  let viewHeight = 0;
  let listHeight = 0;
  let boxHeight = -1; // the list's own height, px (it grows with its rows up to maxHeight)
  let maxHeight = 0;
  let lastTop = 0; // scrollTop as the last draw left it (scroll events from our own moves are not the user's)
  let topIndex = -1; // absolute index of the first listed row, to keep the view still on eviction
  let selectedSeq: number | null = null;
  let copied = "";
  let detailRequest = 0;
  const pool: HTMLElement[] = [];

  function end(): number {
    return pausedAt === null ? feed.ring.total : Math.min(pausedAt, feed.ring.total);
  }

  /** Brings the filter hits up to date; returns the listed count and index of listed row k. */
  function listing(): { n: number; index: (k: number) => number } {
    const ring = feed.ring;
    const first = ring.first;
    const last = end();
    if (!filtered) {
      const from = Math.min(first, last);
      return { n: last - from, index: (k) => from + k };
    }
    while (hitsHead < hits.length && (hits[hitsHead] as number) < first) hitsHead++;
    if (hitsHead > 4096 && hitsHead * 2 > hits.length) {
      hits = hits.slice(hitsHead);
      hitsHead = 0;
    }
    for (let i = Math.max(scanned, first); i < last; i++) {
      const row = ring.at(i);
      if (row && matches(filter, row)) hits.push(i);
    }
    scanned = Math.max(scanned, last);
    const head = hitsHead;
    return { n: hits.length - head, index: (k) => hits[head + k] as number };
  }

  function rowNode(): HTMLElement {
    const node = h("div", "iws-row");
    node.append(h("span", "iws-dir"), h("span", "iws-time"), h("span", "iws-size"), h("span", "iws-text"));
    return node;
  }

  function fill(node: HTMLElement, row: Row, index: number): void {
    node.style.top = `${index * ROW_HEIGHT}px`;
    if (node.dataset.seq === String(row.seq) && node.dataset.dir === row.dir) {
      if (selectedSeq === row.seq) node.dataset.selected = "true";
      else delete node.dataset.selected;
      return;
    }
    node.dataset.dir = row.dir;
    node.dataset.seq = String(row.seq);
    node.dataset.kind = row.kind;
    if (row.json) node.dataset.json = "true";
    else delete node.dataset.json;
    if (selectedSeq === row.seq) node.dataset.selected = "true";
    else delete node.dataset.selected;
    const [dir, time, size, text] = Array.from(node.children) as HTMLElement[];
    if (!dir || !time || !size || !text) return;
    setText(dir, row.dir === "out" ? "↑" : "↓");
    setText(time, formatTime(row.time));
    setText(size, formatBytes(row.size));
    setText(text, row.text);
    node.removeAttribute("title"); // set on hover (see titles): not for every row of every frame
  }

  /** Tooltips of a row, made when the pointer rests on it. */
  function titles(node: HTMLElement): void {
    if (node.title !== "") return;
    const row = feed.ring.bySeq(Number(node.dataset.seq));
    if (!row) return;
    const date = new Date(row.time);
    const when = Number.isNaN(date.getTime()) ? "" : ` at ${date.toISOString()}`;
    const kind = `${formatCount(row.size)} bytes, ${row.kind}${row.json ? " (JSON)" : ""}`;
    node.title = `#${row.seq} ${row.dir === "out" ? "sent" : "received"}${when}, ${kind}: click to see it whole`;
  }

  // -- drawing (once per animation frame) ---------------------------------------------
  function draw(): void {
    const ring = feed.ring;
    if (feed.epoch !== epoch) {
      epoch = feed.epoch;
      hits = [];
      hitsHead = 0;
      scanned = ring.first;
      topIndex = -1;
    }
    const scrollTop = scrollPos;
    const { n, index } = listing();
    const height = n * ROW_HEIGHT;
    // Rows evicted above the viewport: move up with them, so the rows looked at stay put.
    let top = scrollTop;
    if (!follow && topIndex >= 0 && n > 0) {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (index(mid) < topIndex) lo = mid + 1;
        else hi = mid;
      }
      top = lo * ROW_HEIGHT + (scrollTop % ROW_HEIGHT);
    }
    if (height !== listHeight) rowsEl.style.height = `${height}px`;
    listHeight = height;
    const box = Math.max(MIN_HEIGHT, Math.min(maxHeight, height + 2)); // + its borders
    if (box !== boxHeight) {
      boxHeight = box;
      log.style.height = `${box}px`;
      viewHeight = box - 2; // its client height (the ResizeObserver confirms it)
    }
    top = Math.max(0, Math.min(top, height - viewHeight));
    if (follow) top = Math.max(0, height - viewHeight);
    if (top !== scrollTop) log.scrollTop = top;
    scrollPos = lastTop = top;
    const overscan = follow ? FOLLOW_OVERSCAN : OVERSCAN;
    const start = Math.max(0, Math.floor(top / ROW_HEIGHT) - overscan);
    const stop = Math.min(n, Math.ceil((top + viewHeight) / ROW_HEIGHT) + overscan);
    topIndex = n > 0 && start < n ? index(Math.min(n - 1, Math.floor(top / ROW_HEIGHT))) : -1;
    const wanted = Math.max(0, stop - start);
    while (pool.length < wanted) {
      const node = rowNode();
      pool.push(node);
      rowsEl.append(node);
    }
    while (pool.length > wanted) pool.pop()?.remove();
    for (let k = 0; k < wanted; k++) {
      const i = index(start + k);
      const row = ring.at(i);
      const node = pool[k] as HTMLElement;
      if (row) {
        node.hidden = false;
        fill(node, row, start + k);
        if (i % 2 === 1) node.dataset.alt = "true";
        else delete node.dataset.alt;
      } else node.hidden = true;
    }

    // Notices and counts (data-total: rows ever added, for benchmarks and tests).
    root.dataset.total = String(ring.total);
    empty.hidden = n > 0;
    if (n === 0) setText(empty, ring.length > 0 ? "No message matches the filter" : "No messages yet");
    const gone = feed.omitted;
    setText(omitted, gone > 0 ? `${plural(gone, "earlier message")} not shown` : "");
    omitted.title = "Rows the view does not keep (it keeps the newest) or that the kernel did not send it";
    omitted.hidden = gone <= 0;
    const kept = pausedAt === null ? ring.length : Math.max(0, end() - ring.first);
    setText(count, filtered ? `${groupDigits(n)} of ${groupDigits(kept)}` : plural(kept, "row"));
    const fresh = pausedAt === null ? 0 : ring.total - end();
    setText(paused, pausedAt === null ? "" : `paused · ${groupDigits(fresh)} new`);
    paused.hidden = pausedAt === null;
  }

  // New rows redraw at most 15 times a second, in the frames the other views redraw in
  // (see LOG_PHASE_MS; a fast stream would otherwise redraw every visible row at every
  // frame); the user's own moves at the next frame.
  let frame = 0;
  let urgent = false;
  let drawnAt = 0;
  function tick(now: number): void {
    frame = 0;
    if (!urgent && !newSlot(now, drawnAt, TEXT_SLOT_MS, LOG_PHASE_MS)) {
      frame = requestAnimationFrame(tick);
      return;
    }
    urgent = false;
    drawnAt = now;
    draw();
  }
  function schedule(now = false): void {
    urgent ||= now;
    if (frame === 0 && !signal.aborted) frame = requestAnimationFrame(tick);
  }

  // -- interaction ---------------------------------------------------------------------
  function applyFilter(): void {
    const text = filterInput.value;
    let pattern: RegExp | null = null;
    let problem = "";
    if (text !== "") {
      try {
        pattern = new RegExp(regexBox.checked ? text : escapeRegExp(text), "i");
      } catch (exc) {
        problem = `invalid regex: ${exc instanceof Error ? exc.message : String(exc)}`;
        pattern = /(?!)/; // an invalid pattern matches nothing, visibly
      }
    }
    setText(filterError, problem);
    filterError.hidden = problem === "";
    filterInput.dataset.invalid = problem === "" ? "false" : "true";
    filter = { pattern, dir: dirSelect.value, kind: kindSelect.value };
    filtered = pattern !== null || filter.dir !== "" || filter.kind !== "";
    hits = [];
    hitsHead = 0;
    scanned = feed.ring.first;
    topIndex = -1;
    follow = true;
    schedule(true);
  }

  function setPaused(on: boolean): void {
    pausedAt = on ? feed.ring.total : null;
    setText(pauseButton, on ? "Resume" : "Pause");
    pauseButton.dataset.paused = on ? "true" : "false";
    if (!on) follow = true;
    schedule(true);
  }

  async function showDetail(row: Row): Promise<void> {
    selectedSeq = row.seq;
    const request = ++detailRequest;
    detail.hidden = false;
    detail.dataset.seq = String(row.seq);
    detail.dataset.state = "loading";
    setText(
      detailTitle,
      `#${row.seq} ${row.dir === "out" ? "↑ sent" : "↓ received"} ${formatTime(row.time)} · ${formatBytes(row.size)}`,
    );
    setText(detailNote, "loading…");
    setText(detailBody, row.text);
    copied = "";
    copyButton.disabled = true;
    schedule(true);
    try {
      const message = await feed.fetch(row.seq);
      if (request !== detailRequest || signal.aborted) return;
      const view = present(message);
      setText(detailBody, view.shown);
      setText(detailNote, view.note);
      copied = view.copied;
      copyButton.disabled = false;
      detail.dataset.state = "ready";
      detail.dataset.kind = message.kind;
    } catch (exc) {
      if (request !== detailRequest || signal.aborted) return;
      setText(detailNote, `cannot show it in full: ${exc instanceof Error ? exc.message : String(exc)}`);
      detail.dataset.state = "error";
    }
  }

  function hideDetail(): void {
    detailRequest += 1;
    selectedSeq = null;
    detail.hidden = true;
    schedule(true);
  }

  filterInput.addEventListener("input", applyFilter, { signal });
  regexBox.addEventListener("change", applyFilter, { signal });
  dirSelect.addEventListener("change", applyFilter, { signal });
  kindSelect.addEventListener("change", applyFilter, { signal });
  pauseButton.addEventListener("click", () => setPaused(pausedAt === null), { signal });
  closeDetail.addEventListener("click", hideDetail, { signal });
  copyButton.addEventListener(
    "click",
    () => {
      void copyText(copied).then((problem) => {
        if (signal.aborted) return;
        copyButton.dataset.copied = problem === null ? "true" : "false";
        setText(copyButton, problem === null ? "Copied" : "Copy failed");
        copyButton.title = problem ?? "Copied to the clipboard";
        window.setTimeout(() => {
          setText(copyButton, "Copy");
          delete copyButton.dataset.copied;
        }, 1500);
      });
    },
    { signal },
  );
  rowsEl.addEventListener(
    "mouseover",
    (event) => {
      const node = (event.target as HTMLElement).closest<HTMLElement>(".iws-row");
      if (node) titles(node);
    },
    { signal, passive: true },
  );
  rowsEl.addEventListener(
    "click",
    (event) => {
      const node = (event.target as HTMLElement).closest<HTMLElement>(".iws-row");
      const seq = Number(node?.dataset.seq);
      if (!node || !Number.isFinite(seq)) return;
      if (selectedSeq === seq) {
        hideDetail();
        return;
      }
      const row = feed.ring.bySeq(seq);
      if (row) void showDetail(row);
    },
    { signal },
  );
  log.addEventListener(
    "scroll",
    () => {
      // Follow the newest rows only while the user is at the bottom.
      scrollPos = log.scrollTop;
      follow = listHeight - scrollPos - viewHeight <= ROW_HEIGHT;
      if (scrollPos !== lastTop) topIndex = -1; // the user moved: the top row is theirs now
      schedule(true);
    },
    { signal, passive: true },
  );
  // Keys typed here belong to the log, not to the notebook's shortcuts.
  for (const node of [toolbar, log, detail]) {
    node.addEventListener("keydown", (event) => event.stopPropagation(), { signal });
  }

  signal.addEventListener(
    "abort",
    () => {
      if (frame !== 0) cancelAnimationFrame(frame);
      frame = 0;
      root.remove();
    },
    { once: true },
  );

  const resize = new ResizeObserver(() => {
    viewHeight = log.clientHeight;
    schedule(true);
  });
  resize.observe(log);
  signal.addEventListener("abort", () => resize.disconnect(), { once: true });
  // The tallest the list grows: --iws-log-height (read once; the list is size-contained,
  // so its height is set here, not by its rows).
  const cssMax = Number.parseFloat(getComputedStyle(log).getPropertyValue("--iws-log-height"));
  maxHeight = Number.isFinite(cssMax) && cssMax > MIN_HEIGHT ? cssMax : 280;
  viewHeight = log.clientHeight || maxHeight - 2;
  draw();
  return { update: () => schedule() };
}
