// The log's list: virtualised (fixed row height, only the visible rows in the DOM, from
// a pool), following the newest row while the user is at the bottom, and keeping the
// rows looked at in place when older ones are evicted above them.
import { formatBytes, formatCount, formatTime } from "../format";
import type { RowRing } from "../rows";
import type { Row } from "../types";
import { h, setText } from "./dom";
import type { Listed } from "./log-filter";

/** Row height in px; styles.css gives .iws-row the same height. */
export const ROW_HEIGHT = 20;
const OVERSCAN = 8; // rows drawn beyond the view while the user scrolls
const FOLLOW_OVERSCAN = 2; // ... and while it follows the stream (every row changes at each redraw)
const MIN_HEIGHT = 48; // px, the list's height when it holds (almost) nothing

export interface ListEvents {
  /** The user scrolled, or the list's size changed: redraw now. */
  moved(): void;
  /** A row was clicked. */
  clicked(seq: number): void;
  /** The kept row with this seq (for its tooltip). */
  row(seq: number): Row | undefined;
}

function rowNode(): HTMLElement {
  const node = h("div", "iws-row");
  node.append(h("span", "iws-dir"), h("span", "iws-time"), h("span", "iws-size"), h("span", "iws-text"));
  return node;
}

function fill(node: HTMLElement, row: Row, index: number, selected: number | null): void {
  node.style.top = `${index * ROW_HEIGHT}px`;
  if (node.dataset.seq === String(row.seq) && node.dataset.dir === row.dir) {
    if (selected === row.seq) node.dataset.selected = "true";
    else delete node.dataset.selected;
    return;
  }
  node.dataset.dir = row.dir;
  node.dataset.seq = String(row.seq);
  node.dataset.kind = row.kind;
  if (row.json) node.dataset.json = "true";
  else delete node.dataset.json;
  if (selected === row.seq) node.dataset.selected = "true";
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
function titles(node: HTMLElement, row: Row | undefined): void {
  if (node.title !== "" || !row) return;
  const date = new Date(row.time);
  const when = Number.isNaN(date.getTime()) ? "" : ` at ${date.toISOString()}`;
  const kind = `${formatCount(row.size)} bytes, ${row.kind}${row.json ? " (JSON)" : ""}`;
  node.title = `#${row.seq} ${row.dir === "out" ? "sent" : "received"}${when}, ${kind}: click to see it whole`;
}

export class VirtualList {
  /** The scroller (.iws-log): a spacer as tall as all rows, the visible rows placed absolutely. */
  readonly root = h("div", "iws-log");
  /** Stay at the newest row. */
  follow = true;
  private readonly rows = h("div", "iws-rows");
  private readonly empty = h("div", "iws-empty", "No messages yet");
  private readonly pool: HTMLElement[] = [];
  // Layout is never read while drawing (a read after the page's other writes forces a
  // layout of the whole notebook): the scroll position comes from scroll events, the
  // height from a ResizeObserver.
  private scrollPos = 0;
  private viewHeight = 0;
  private listHeight = 0;
  private boxHeight = -1; // the list's own height, px (it grows with its rows up to maxHeight)
  private maxHeight = 0;
  private lastTop = 0; // scrollTop as the last draw left it (scroll events from our own moves are not the user's)
  private topIndex = -1; // absolute index of the first listed row, to keep the view still on eviction

  constructor(events: ListEvents, signal: AbortSignal) {
    const { root, rows } = this;
    root.tabIndex = 0;
    root.setAttribute("aria-label", "messages");
    root.append(rows, this.empty);
    const rowAt = (event: Event): HTMLElement | null => (event.target as HTMLElement).closest<HTMLElement>(".iws-row");
    rows.addEventListener(
      "mouseover",
      (event) => {
        const node = rowAt(event);
        if (node) titles(node, events.row(Number(node.dataset.seq)));
      },
      { signal, passive: true },
    );
    rows.addEventListener(
      "click",
      (event) => {
        const seq = Number(rowAt(event)?.dataset.seq);
        if (Number.isFinite(seq)) events.clicked(seq);
      },
      { signal },
    );
    root.addEventListener(
      "scroll",
      () => {
        // Follow the newest rows only while the user is at the bottom.
        this.scrollPos = root.scrollTop;
        this.follow = this.listHeight - this.scrollPos - this.viewHeight <= ROW_HEIGHT;
        if (this.scrollPos !== this.lastTop) this.topIndex = -1; // the user moved: the top row is theirs now
        events.moved();
      },
      { signal, passive: true },
    );
    const resize = new ResizeObserver(() => {
      this.viewHeight = root.clientHeight;
      events.moved();
    });
    resize.observe(root);
    signal.addEventListener("abort", () => resize.disconnect(), { once: true });
  }

  /** Reads the tallest the list grows, once it is in the document. */
  attached(): void {
    // --iws-log-height: read once; the list is size-contained, so its height is set here.
    const cssMax = Number.parseFloat(getComputedStyle(this.root).getPropertyValue("--iws-log-height"));
    this.maxHeight = Number.isFinite(cssMax) && cssMax > MIN_HEIGHT ? cssMax : 280;
    this.viewHeight = this.root.clientHeight || this.maxHeight - 2;
  }

  /** The listed rows changed as a whole (new filter, new rows): no top row to keep. */
  forgetTop(): void {
    this.topIndex = -1;
  }

  /** Draws `listed` rows of `ring`; `selected` is the seq of the row shown in full. */
  draw(ring: RowRing, listed: Listed, selected: number | null): void {
    const { n, index } = listed;
    const scrollTop = this.scrollPos;
    const height = n * ROW_HEIGHT;
    // Rows evicted above the viewport: move up with them, so the rows looked at stay put.
    let top = scrollTop;
    if (!this.follow && this.topIndex >= 0 && n > 0) {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (index(mid) < this.topIndex) lo = mid + 1;
        else hi = mid;
      }
      top = lo * ROW_HEIGHT + (scrollTop % ROW_HEIGHT);
    }
    if (height !== this.listHeight) this.rows.style.height = `${height}px`;
    this.listHeight = height;
    const box = Math.max(MIN_HEIGHT, Math.min(this.maxHeight, height + 2)); // + its borders
    if (box !== this.boxHeight) {
      this.boxHeight = box;
      this.root.style.height = `${box}px`;
      this.viewHeight = box - 2; // its client height (the ResizeObserver confirms it)
    }
    top = Math.max(0, Math.min(top, height - this.viewHeight));
    if (this.follow) top = Math.max(0, height - this.viewHeight);
    if (top !== scrollTop) this.root.scrollTop = top;
    this.scrollPos = this.lastTop = top;
    const overscan = this.follow ? FOLLOW_OVERSCAN : OVERSCAN;
    const start = Math.max(0, Math.floor(top / ROW_HEIGHT) - overscan);
    const stop = Math.min(n, Math.ceil((top + this.viewHeight) / ROW_HEIGHT) + overscan);
    this.topIndex = n > 0 && start < n ? index(Math.min(n - 1, Math.floor(top / ROW_HEIGHT))) : -1;
    const wanted = Math.max(0, stop - start);
    const pool = this.pool;
    while (pool.length < wanted) {
      const node = rowNode();
      pool.push(node);
      this.rows.append(node);
    }
    while (pool.length > wanted) pool.pop()?.remove();
    for (let k = 0; k < wanted; k++) {
      const i = index(start + k);
      const row = ring.at(i);
      const node = pool[k] as HTMLElement;
      if (row) {
        node.hidden = false;
        fill(node, row, start + k, selected);
        if (i % 2 === 1) node.dataset.alt = "true";
        else delete node.dataset.alt;
      } else node.hidden = true;
    }
    this.empty.hidden = n > 0;
    if (n === 0) setText(this.empty, ring.length > 0 ? "No message matches the filter" : "No messages yet");
  }
}
