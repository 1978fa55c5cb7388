// What the Chart and Values views share: listening to their model until the view goes,
// and the hello handshake (a view asks the kernel for everything it holds, then applies
// only what is newer).
import type { ViewModel } from "./index";

let lastViewId = 0;

/** Calls `model.on(event, callback)` until `signal` aborts. */
export function on(model: ViewModel, event: string, callback: (...args: any[]) => void, signal: AbortSignal): void {
  if (signal.aborted) return;
  model.on(event, callback);
  signal.addEventListener("abort", () => model.off(event, callback), { once: true });
}

/**
 * Follows a view's custom messages. `onReset` gets the kernel's answer to this view's
 * hello (everything it holds); `onUpdate` gets the updates that came after it. Updates
 * that arrive before the answer are already in it and are dropped; answers to other views
 * of the same model are ignored.
 */
export function follow(
  model: ViewModel,
  signal: AbortSignal,
  resetType: string,
  onReset: (content: Record<string, any>, buffers: DataView[]) => void,
  onUpdate: (content: Record<string, any>, buffers: DataView[]) => void,
): void {
  lastViewId += 1;
  const id = `${Date.now().toString(36)}-${lastViewId}`;
  let ready = false;
  on(
    model,
    "msg:custom",
    (content: unknown, buffers: DataView[] | undefined) => {
      if (typeof content !== "object" || content === null) return;
      const msg = content as Record<string, any>;
      if (msg.type === resetType) {
        if (msg.id !== id) return;
        ready = true;
        onReset(msg, buffers ?? []);
      } else if (ready) onUpdate(msg, buffers ?? []);
    },
    signal,
  );
  model.send({ type: "hello", id });
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
