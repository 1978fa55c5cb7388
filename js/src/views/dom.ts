// Small DOM helpers shared by the view components. Text only: never innerHTML.

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Sets `node`'s text. Unchanged text is not written (it would still cost a layout), and a
 * lone text node is changed in place rather than replaced (no layout object to rebuild).
 */
export function setText(node: HTMLElement, text: string): void {
  const first = node.firstChild;
  if (first !== null && first === node.lastChild && first.nodeType === 3) {
    const textNode = first as Text;
    if (textNode.data !== text) textNode.data = text;
  } else if (node.textContent !== text) node.textContent = text;
}

/**
 * Makes `content` lay out on its own: it is wrapped in a box (.iws-pin: `contain: strict`)
 * whose height follows the content's, inside a plain block (.iws-pin-slot, the part that
 * sits in the parent's flex layout). Text that changes inside then lays out that box only,
 * not the whole notebook: Chromium makes a size- and layout-contained block a relayout
 * boundary, unless it is a flex or grid item (hence the slot). `content` must not need its
 * own width from its text (the box takes its parent's width). Returns the slot.
 */
export function pinned(content: HTMLElement, signal: AbortSignal): HTMLElement {
  const slot = h("div", "iws-pin-slot");
  const box = h("div", "iws-pin");
  box.append(content);
  slot.append(box);
  pinHeight(box, content, signal);
  return slot;
}

/**
 * Keeps `box`'s height (a `contain: strict` box) equal to `content`'s border box height,
 * plus `extra` (the box's own borders), at most `max`.
 */
export function pinHeight(
  box: HTMLElement,
  content: HTMLElement,
  signal: AbortSignal,
  extra = 0,
  max = Number.POSITIVE_INFINITY,
): () => void {
  let height = -1;
  const set = (value: number): void => {
    const px = Math.min(max, Math.ceil(value + extra));
    if (px !== height) {
      height = px;
      box.style.height = `${px}px`;
    }
  };
  if (typeof ResizeObserver === "undefined") {
    box.style.contain = "none";
    return () => undefined;
  }
  const observer = new ResizeObserver((entries) => {
    const entry = entries[entries.length - 1];
    const size = entry?.borderBoxSize?.[0];
    if (size) set(size.blockSize);
    else if (entry) set(entry.contentRect.height);
  });
  observer.observe(content);
  signal.addEventListener("abort", () => observer.disconnect(), { once: true });
  return () => observer.disconnect();
}

/** How often text views (log rows, values, counters) redraw for new data: 15 times a second. */
export const TEXT_SLOT_MS = 1000 / 15;

/**
 * Phases of the text views' slots (ms). 0: their slots start on the chart's 30-a-second
 * slot boundaries, so the logs, the values and the counters redraw in the frames the chart
 * draws in: every changed frame costs a fixed share (style, layout, paint, commit), so
 * fewer, fuller frames beat spreading the views over separate ones.
 */
export const LOG_PHASE_MS = 0;
export const VALUES_PHASE_MS = 0;

/**
 * Whether an animation frame at `now` (its timestamp, the same for every callback of one
 * frame) is in a later slot of `ms` than `last`; slots start at `phase` past multiples of
 * `ms` from the page's time origin, so views place their redraws in chosen frames.
 */
export function newSlot(now: number, last: number, ms: number, phase = 0): boolean {
  return Math.floor((now - phase) / ms) !== Math.floor((last - phase) / ms);
}

/** The JupyterLab theme variable `name` as the page resolves it at `el`, or `fallback`. */
export function cssVar(el: Element, name: string, fallback: string): string {
  const value = getComputedStyle(el).getPropertyValue(name).trim();
  return value || fallback;
}

/** Calls `callback` when JupyterLab switches theme (it sets data-jp-theme-* on <body>). */
export function onThemeChange(callback: () => void, signal: AbortSignal): void {
  if (typeof MutationObserver === "undefined" || !document.body) return;
  const observer = new MutationObserver(callback);
  observer.observe(document.body, {
    attributes: true,
    attributeFilter: ["data-jp-theme-name", "data-jp-theme-light"],
  });
  signal.addEventListener("abort", () => observer.disconnect(), { once: true });
}
