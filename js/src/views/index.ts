// The live views that are widgets of their own (iws.Log(ws), iws.Chart(ws, ...), ...).
// Their Python class sets `_view`; widgets.ts binds each one's model to its component.
import type { Model } from "../model";
import { renderChart, renderComposer, renderLog, renderMetrics, renderValues } from "./widgets";

export type ViewRender = (model: Model<object>, el: HTMLElement, signal: AbortSignal) => void;

export const VIEWS: Record<string, ViewRender> = {
  chart: renderChart as ViewRender,
  composer: renderComposer as ViewRender,
  log: renderLog as ViewRender,
  metrics: renderMetrics as ViewRender,
  values: renderValues as ViewRender,
};
