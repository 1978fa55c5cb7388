// Binding glue of the live views that are widgets of their own (iws.Log(ws),
// iws.Chart(ws, ...), ...): each reads its model through model.ts and hands the
// component (log.ts, chart.ts, values.ts, composer.ts, metrics.ts) plain data.
import { toNumber, toText } from "../format";
import { type Content, follow, get, type Model, onChange, Requests, sendRequest, set } from "../model";
import type { ChartTraits, ComposerTraits, MetricsTraits, ValuesTraits } from "../traits";
import { type ChartPart, type ChartPoints, createChart } from "./chart";
import { float64 } from "./columns";
import { createComposer, savedList } from "./composer";
import { h } from "./dom";
import { feedFor, type LogModel } from "./feed";
import type { GroupCounts } from "./groups";
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

/** The field `by` names (null: none). */
function byOf(model: Model<ChartTraits | ValuesTraits>): string | null {
  const by = get(model, "by");
  return typeof by === "string" && by ? by : null;
}

/** What `by=` could not place, when the kernel said (with `by` only). */
function groupCounts(content: Content): GroupCounts | null {
  const ungrouped = count(content.ungrouped);
  if (ungrouped === null) return null;
  return {
    ungrouped,
    extraGroups: count(content.extra_groups) ?? 0,
    extraMessages: count(content.extra_messages) ?? 0,
  };
}

/**
 * The points of a `window` or `points` message, as float64 buffers: times, then one per
 * series, for each of `parts` ([group, n] each; without `by`: one part of `n` points).
 */
function chartPoints(content: Content, buffers: DataView[], series: number): ChartPoints {
  const parts: ChartPart[] = [];
  const given = Array.isArray(content.parts) ? content.parts : [[0, content.n]];
  let at = 0;
  for (const part of given) {
    const group = Array.isArray(part) ? toNumber(part[0], -1) : -1;
    const n = Array.isArray(part) ? toNumber(part[1], 0) : 0;
    const taken = buffers.slice(at, at + 1 + series);
    at += 1 + series;
    if (group < 0 || n <= 0 || taken.length === 0) continue;
    const times = float64(taken[0]);
    parts.push({ group, t: times.length === n ? times : times.subarray(0, n), ys: taken.slice(1).map(float64) });
  }
  return {
    parts,
    groups: Array.isArray(content.groups) ? content.groups.map(toText) : null,
    ignored: count(content.ignored),
    skipped: count(content.skipped),
    counts: groupCounts(content),
  };
}

export function renderChart(model: Model<ChartTraits>, el: HTMLElement, signal: AbortSignal): void {
  const points = (): number => toNumber(get(model, "points"), 100_000);
  const names = strings(get(model, "paths"));
  const chart = createChart(
    el,
    {
      names,
      by: byOf(model),
      maxGroups: toNumber(get(model, "max_groups"), 20),
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
    (content, buffers) => chart.reset(chartPoints(content, buffers, names.length)),
    (content, buffers) => {
      if (content.type === "points") chart.add(chartPoints(content, buffers, names.length));
    },
  );
  onChange(model, ["paused"], () => chart.setPaused(Boolean(get(model, "paused"))), signal);
  onChange(model, ["window", "points"], () => chart.setBounds(points(), spanMs(model)), signal);
  onChange(model, ["height"], () => chart.setHeight(toNumber(get(model, "height"), 240)), signal);
  onChange(model, ["fps"], () => chart.setFps(toNumber(get(model, "fps"), 30)), signal);
}

/** The rows of a `table` or `values` message: `[path, text, changed ms(, group)]` each. */
function valuesData(content: Content): ValuesData {
  const rows = Array.isArray(content.rows) ? content.rows : [];
  const updates: ValueUpdate[] = [];
  for (const row of rows) {
    if (!Array.isArray(row) || row.length < 3) continue;
    const update: ValueUpdate = [toText(row[0]), toText(row[1]), toNumber(row[2], 0)];
    if (row.length >= 4) update.push(toNumber(row[3], -1));
    updates.push(update);
  }
  return {
    updates,
    overflow: count(content.overflow),
    skipped: count(content.skipped),
    groups: Array.isArray(content.groups) ? content.groups.map(toText) : null,
    counts: groupCounts(content),
  };
}

export function renderValues(model: Model<ValuesTraits>, el: HTMLElement, signal: AbortSignal): void {
  const values = createValues(
    el,
    {
      paths: strings(get(model, "paths")),
      limit: toNumber(get(model, "limit")),
      by: byOf(model),
      maxGroups: toNumber(get(model, "max_groups"), 20),
    },
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
