// anywidget entry of the teaching views: `_view` says which one renders.
import type { Render } from "@anywidget/types";
import { type Model, viewName } from "../model";
import { renderAnatomy } from "./anatomy";
import { renderCloseCodes } from "./closecodes";
import { h } from "./dom";
import { renderHandshake } from "./handshake";
import { renderInspector } from "./inspector";
import { renderPolling } from "./polling";

type TeachingRender = (model: Model<object>, el: HTMLElement, signal: AbortSignal) => void;

const VIEWS: Record<string, TeachingRender> = {
  handshake: renderHandshake as TeachingRender,
  inspector: renderInspector as TeachingRender,
  anatomy: renderAnatomy as TeachingRender,
  closecodes: renderCloseCodes as TeachingRender,
  polling: renderPolling as TeachingRender,
};

const render: Render = ({ model, el, signal }) => {
  const controller = new AbortController();
  signal?.addEventListener("abort", () => controller.abort(), { once: true });
  const name = viewName(model);
  const view = VIEWS[name];
  if (view) view(model, el, controller.signal);
  else el.appendChild(h("div", "iws-t-problem", `[ipywebsockets] unknown teaching view ${JSON.stringify(name)}`));
  return () => {
    controller.abort();
    el.replaceChildren();
  };
};

export default { render };
