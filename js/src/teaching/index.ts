// anywidget entry of the teaching views: `_view` says which one renders.
import type { Render } from "@anywidget/types";
import { renderAnatomy } from "./anatomy";
import { renderCloseCodes } from "./closecodes";
import { h, type Model } from "./dom";
import { renderHandshake } from "./handshake";
import { renderInspector } from "./inspector";
import { renderPolling } from "./polling";

const VIEWS: Record<string, (model: Model, el: HTMLElement, signal: AbortSignal) => void> = {
  handshake: renderHandshake,
  inspector: renderInspector,
  anatomy: renderAnatomy,
  closecodes: renderCloseCodes,
  polling: renderPolling,
};

const render: Render = ({ model, el, signal }) => {
  const controller = new AbortController();
  signal?.addEventListener("abort", () => controller.abort(), { once: true });
  const name = String(model.get("_view") ?? "");
  const view = VIEWS[name];
  if (view) view(model as Model, el, controller.signal);
  else el.appendChild(h("div", "iws-t-problem", `[ipywebsockets] unknown teaching view ${JSON.stringify(name)}`));
  return () => {
    controller.abort();
    el.replaceChildren();
  };
};

export default { render };
