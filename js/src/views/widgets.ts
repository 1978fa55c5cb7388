// Binding glue of the live views that are widgets of their own (iws.Log(ws),
// iws.Chart(ws, ...), ...): each reads its model through model.ts and hands the
// component (log.ts, chart.ts, values.ts, composer.ts, metrics.ts) plain data.
import { toNumber, toText } from "../format";
import { type Content, follow, get, type Model, onChange, Requests, sendRequest, set } from "../model";
import type { ChartTraits, ComposerTraits, MetricsTraits, ValuesTraits } from "../traits";
import { type ChartPoints, createChart } from "./chart";
import { float64 } from "./columns";
import { createComposer, savedList } from "./composer";
import { h } from "./dom";
import { feedFor, type LogModel } from "./feed";
import { createLog } from "./log";
import { createMetrics, type StatusChange } from "./metrics";
import { createValues, type ValuesData, type ValueUpdate } from "./values";

/** A count the kernel sent, or null when it did not say. */
function count(value: unknown): number | null {
  const n = toNumber(value, Number.NaN);
  return Number.isNaN(n) ? null : n;
}

export function renderLog(model: LogModel, el: HTMLElement, signal: AbortSignal): void {
  const feed = feedFor(model);
  const root = h("div", "iws-widget iws-log-widget");
  el.append(root);
  const log = createLog(root, feed, signal);
  feed.use(() => log.update(), signal);
  signal.addEventListener("abort", () => root.remove(), { once: true });
}

export function renderComposer(model: Model<ComposerTraits>, el: HTMLElement, signal: AbortSignal): void {
  const root = h("div", "iws-widget iws-composer-widget");
  el.append(root);
  const requests = new Requests(model, signal, { closed: "the composer was closed before the kernel answered" });
  const composer = createComposer(
    root,
    {
      send: (format, data) => sendRequest(requests, format, data),
      saved: () => savedList(get(model, "saved")),
      setSaved: (list) => set(model, "saved", list),
    },
    signal,
  );
  onChange(model, ["saved"], () => composer.savedChanged(), signal);
  onChange(model, ["status"], () => composer.setStatus(toText(get(model, "status"))), signal);
  signal.addEventListener("abort", () => root.remove(), { once: true });
}

const METRICS_TRAITS = ["rate", "gap_mean_ms", "gap_p95_ms", "latency", "timeline", "mode"] as const;

export function renderMetrics(model: Model<MetricsTraits>, el: HTMLElement, signal: AbortSignal): void {
  const root = h("div", "iws-widget iws-metrics-widget");
  el.append(root);
  const metrics = createMetrics(root, signal);
  const num = (name: (typeof METRICS_TRAITS)[number]): number | null => {
    const value = get(model, name);
    return typeof value === "number" && Number.isFinite(value) ? value : null;
  };
  const update = (): void => {
    const mean = num("gap_mean_ms");
    const p95 = num("gap_p95_ms");
    const changes = get(model, "timeline");
    const timeline: StatusChange[] = Array.isArray(changes)
      ? changes.map((c) => ({ time: toNumber(c.time), status: toText(c.status) }))
      : [];
    metrics.update({
      mode: toText(get(model, "mode")) || "kernel",
      rate: num("rate") ?? 0,
      gaps: mean === null || p95 === null ? null : { mean, p95, n: 0 },
      latency: num("latency"),
      timeline,
    });
  };
  update();
  onChange(model, METRICS_TRAITS, update, signal);
  signal.addEventListener("abort", () => root.remove(), { once: true });
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** `window` seconds as a span in ms, or null (no time bound). */
function spanMs(model: Model<ChartTraits>): number | null {
  const seconds = get(model, "window");
  return typeof seconds === "number" && seconds > 0 ? seconds * 1000 : null;
}

/** The points of a `window` or `points` message: `n` points as float64 buffers (times, then one per series). */
function chartPoints(content: Content, buffers: DataView[]): ChartPoints {
  const n = toNumber(content.n, 0);
  let t: Float64Array = new Float64Array(0);
  let ys: Float64Array[] = [];
  if (n > 0 && buffers.length >= 1) {
    const times = float64(buffers[0]);
    t = times.length === n ? times : times.subarray(0, n);
    ys = buffers.slice(1).map(float64);
  }
  return { t, ys, ignored: count(content.ignored), skipped: count(content.skipped) };
}

export function renderChart(model: Model<ChartTraits>, el: HTMLElement, signal: AbortSignal): void {
  const points = (): number => toNumber(get(model, "points"), 100_000);
  const chart = createChart(
    el,
    {
      names: strings(get(model, "paths")),
      points: points(),
      spanMs: spanMs(model),
      height: toNumber(get(model, "height"), 240),
      fps: toNumber(get(model, "fps"), 30),
      paused: Boolean(get(model, "paused")),
      onPause: (paused) => set(model, "paused", paused),
    },
    signal,
  );
  follow(
    model,
    signal,
    "window",
    (content, buffers) => chart.reset(chartPoints(content, buffers)),
    (content, buffers) => {
      if (content.type === "points") chart.add(chartPoints(content, buffers));
    },
  );
  onChange(model, ["paused"], () => chart.setPaused(Boolean(get(model, "paused"))), signal);
  onChange(model, ["window", "points"], () => chart.setBounds(points(), spanMs(model)), signal);
  onChange(model, ["height"], () => chart.setHeight(toNumber(get(model, "height"), 240)), signal);
  onChange(model, ["fps"], () => chart.setFps(toNumber(get(model, "fps"), 30)), signal);
}

/** The rows of a `table` or `values` message: `[path, text, changed ms]` each. */
function valuesData(content: Content): ValuesData {
  const rows = Array.isArray(content.rows) ? content.rows : [];
  const updates: ValueUpdate[] = [];
  for (const row of rows) {
    if (Array.isArray(row) && row.length >= 3) updates.push([toText(row[0]), toText(row[1]), toNumber(row[2], 0)]);
  }
  return { updates, overflow: count(content.overflow), skipped: count(content.skipped) };
}

export function renderValues(model: Model<ValuesTraits>, el: HTMLElement, signal: AbortSignal): void {
  const values = createValues(
    el,
    { paths: strings(get(model, "paths")), limit: toNumber(get(model, "limit")) },
    signal,
  );
  follow(
    model,
    signal,
    "table",
    (content) => values.reset(valuesData(content)),
    (content) => {
      if (content.type === "values") values.add(valuesData(content));
    },
  );
}
