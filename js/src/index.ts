// anywidget entry point. The WebSocket widget: `initialize` owns the per-model
// store (and, in browser mode, the socket), `render` one view. The live views
// (widgets with a `_view` trait) render from js/src/views.
import type { Initialize, Render } from "@anywidget/types";
import { Bridge } from "./bridge";
import { toText } from "./format";
import { get, onChange, set, viewName } from "./model";
import { disposeStore, type FrameStore, type SocketModel, storeFor } from "./store";
import { createView, DISPLAYED_TRAITS } from "./view";
import { savedList } from "./views/composer";
import { VIEWS } from "./views/index";

/** Aborts when the returned cleanup runs or when anywidget's own signal (if any) aborts. */
function lifetime(signal: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  signal?.addEventListener("abort", () => controller.abort(), { once: true });
  return controller;
}

/**
 * Browser mode: what this page's socket received, on the widget's element, at most
 * once per animation frame (`data-iws-in`, `data-iws-first-in`, `data-iws-last-in`:
 * count, epoch ms of the first and the latest message). Benchmarks and tests read them.
 */
function showArrivals(el: HTMLElement, store: FrameStore, signal: AbortSignal): void {
  let frame = 0;
  const draw = () => {
    frame = 0;
    const { count, first, last } = store.arrivals;
    if (el.dataset.iwsIn === String(count)) return;
    el.dataset.iwsIn = String(count);
    el.dataset.iwsFirstIn = first.toFixed(3);
    el.dataset.iwsLastIn = last.toFixed(3);
  };
  store.subscribe(() => {
    if (frame === 0) frame = requestAnimationFrame(draw);
  }, signal);
  signal.addEventListener("abort", () => cancelAnimationFrame(frame), { once: true });
}

/** The WebSocket widget's own display, bound to its model. */
function renderSocket(model: SocketModel, el: HTMLElement, store: FrameStore, signal: AbortSignal): void {
  const view = createView(
    el,
    store,
    {
      latency: () => get(model, "latency"),
      bindingErrors: () => {
        const errors = get(model, "binding_errors");
        return Array.isArray(errors) ? errors.map(toText) : [];
      },
      saved: () => savedList(get(model, "saved")),
      setSaved: (list) => set(model, "saved", list),
    },
    signal,
  );
  onChange(model, DISPLAYED_TRAITS, () => view.traitsChanged(), signal);
  onChange(model, ["saved"], () => view.savedChanged(), signal);
  if (get(model, "mode") === "browser") showArrivals(el, store, signal);
}

// Once per model, not per view: showing a widget twice opens one socket, and
// closing a view keeps it; the socket closes when the model goes (ws.close()).
const initialize: Initialize = ({ model }) => {
  if (viewName(model) !== "") return undefined;
  const wsModel = model as SocketModel;
  const store = storeFor(wsModel);
  const bridge = get(wsModel, "mode") === "browser" ? new Bridge(wsModel, store) : null;
  return () => {
    bridge?.dispose();
    disposeStore(wsModel);
  };
};

const render: Render = ({ model, el, signal }) => {
  const controller = lifetime(signal);
  const name = viewName(model);
  if (name === "") {
    const wsModel = model as SocketModel;
    renderSocket(wsModel, el, storeFor(wsModel), controller.signal);
  } else {
    const view = VIEWS[name];
    if (view) view(model, el, controller.signal);
    else el.textContent = `[ipywebsockets] unknown view ${JSON.stringify(name)}: rebuild the front end`;
  }
  return () => {
    controller.abort();
    if (name !== "") el.replaceChildren();
  };
};

export default { initialize, render };
