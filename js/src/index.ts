// anywidget entry point: `initialize` owns the per-model store, `render` one view.
import type { Initialize, Render } from "@anywidget/types";
import { disposeStore, storeFor } from "./store";
import type { Traits } from "./types";
import { createView } from "./view";

/** Aborts when the returned cleanup runs or when anywidget's own signal (if any) aborts. */
function lifetime(signal: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  signal?.addEventListener("abort", () => controller.abort(), { once: true });
  return controller;
}

const initialize: Initialize<Traits> = ({ model }) => {
  storeFor(model);
  return () => disposeStore(model);
};

const render: Render<Traits> = ({ model, el, signal }) => {
  const controller = lifetime(signal);
  createView(model, el, storeFor(model), controller.signal);
  return () => controller.abort();
};

export default { initialize, render };
