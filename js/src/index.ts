// anywidget entry point: `initialize` owns the per-model store (and, in browser
// mode, the socket), `render` one view.
import type { Initialize, Render } from "@anywidget/types";
import { Bridge } from "./bridge";
import { disposeStore, storeFor } from "./store";
import type { Traits } from "./types";
import { createView } from "./view";

/** Aborts when the returned cleanup runs or when anywidget's own signal (if any) aborts. */
function lifetime(signal: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  signal?.addEventListener("abort", () => controller.abort(), { once: true });
  return controller;
}

// Once per model, not per view: showing a widget twice opens one socket, and
// closing a view keeps it; the socket closes when the model goes (ws.close()).
const initialize: Initialize<Traits> = ({ model }) => {
  const store = storeFor(model);
  const bridge = model.get("mode") === "browser" ? new Bridge(model, store) : null;
  return () => {
    bridge?.dispose();
    disposeStore(model);
  };
};

const render: Render<Traits> = ({ model, el, signal }) => {
  const controller = lifetime(signal);
  createView(model, el, storeFor(model), controller.signal);
  return () => controller.abort();
};

export default { initialize, render };
