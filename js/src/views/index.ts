// The live views that are widgets of their own (iws.Log(ws), iws.Chart(ws, ...), ...).
// Their Python class sets `_view`; each module here registers its renderer in VIEWS.
import type { AnyModel } from "@anywidget/types";
import { renderChart } from "./chart";
import { renderValues } from "./values";
import { renderComposer, renderLog, renderMetrics } from "./widgets";

export type ViewModel = AnyModel<Record<string, any>>;
export type ViewRender = (model: ViewModel, el: HTMLElement, signal: AbortSignal) => void;

export const VIEWS: Record<string, ViewRender> = {
  chart: renderChart,
  composer: renderComposer,
  log: renderLog,
  metrics: renderMetrics,
  values: renderValues,
};

/** The view a model asks for (its `_view` trait), or "" for the WebSocket widget itself. */
export function viewName(model: unknown): string {
  const name = (model as ViewModel).get("_view");
  return typeof name === "string" ? name : "";
}
