// The metrics strip: message rate, inter-arrival time (mean and p95), round-trip
// latency (kernel mode, from pings) and a timeline of status changes. Plain data
// in, no model access.
import { formatRate, formatTime } from "../format";
import type { RowRing } from "../rows";
import { h, setText } from "./dom";

export interface Gaps {
  readonly mean: number; // ms
  readonly p95: number; // ms
  readonly n: number; // gaps measured
}

export interface StatusChange {
  readonly time: number; // ms since the epoch
  readonly status: string;
}

export interface MetricsData {
  readonly mode: string;
  /** Messages received per second; null: not shown. */
  readonly rate: number | null;
  readonly gaps: Gaps | null;
  /** Seconds; null before the first pong; undefined when the kernel does not say. */
  readonly latency: number | null | undefined;
  readonly timeline: readonly StatusChange[];
}

export const TIMELINE_LENGTH = 12;

/** Mean and 95th percentile of the gaps between the last `max` incoming rows' times. */
export function interArrival(ring: RowRing, max = 1000): Gaps | null {
  const times: number[] = [];
  for (let i = ring.total - 1; i >= ring.first && times.length < max + 1; i--) {
    const row = ring.at(i);
    if (row && row.dir === "in") times.push(row.time);
  }
  return gapsOf(times.reverse());
}

/** Mean and p95 of the differences between consecutive times (ms), or null under two times. */
export function gapsOf(times: readonly number[]): Gaps | null {
  if (times.length < 2) return null;
  // A typed array sorts numerically without a comparator call per comparison.
  const gaps = new Float64Array(times.length - 1);
  let sum = 0;
  for (let i = 1; i < times.length; i++) {
    const gap = Math.max(0, (times[i] as number) - (times[i - 1] as number));
    gaps[i - 1] = gap;
    sum += gap;
  }
  const mean = sum / gaps.length;
  gaps.sort();
  const p95 = gaps[Math.min(gaps.length - 1, Math.ceil(0.95 * gaps.length) - 1)] as number;
  return { mean, p95, n: gaps.length };
}

export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Adds `status` to `timeline` when it differs from the last (keeps TIMELINE_LENGTH); returns whether it did. */
export function recordStatus(timeline: StatusChange[], status: string, time = Date.now()): boolean {
  if (timeline.length > 0 && timeline[timeline.length - 1]?.status === status) return false;
  timeline.push({ time, status });
  if (timeline.length > TIMELINE_LENGTH) timeline.splice(0, timeline.length - TIMELINE_LENGTH);
  return true;
}

function metric(name: string, label: string, title: string): [HTMLElement, HTMLElement] {
  const node = h("span", "iws-metric");
  node.dataset.metric = name;
  node.title = title;
  const value = h("span", "iws-metric-value");
  node.append(h("span", "iws-stat-label", label), value);
  return [node, value];
}

export function createMetrics(parent: HTMLElement, signal: AbortSignal): { update(data: MetricsData): void } {
  const root = h("div", "iws-metrics");
  const [rateNode, rate] = metric("rate", "rate", "messages received per second");
  const [gapNode, gap] = metric(
    "gap",
    "Δt",
    "time between incoming messages: mean and 95th percentile over the last 1,000 the view holds",
  );
  const [latencyNode, latency] = metric("latency", "RTT", "round-trip time of the last ping (keepalive or ws.ping())");
  const timeline = h("span", "iws-timeline");
  timeline.title = "status changes, oldest first";
  root.append(rateNode, gapNode, latencyNode, timeline);
  parent.append(root);
  signal.addEventListener("abort", () => root.remove(), { once: true });

  let drawn = "";
  return {
    update(data: MetricsData): void {
      rateNode.hidden = data.rate === null;
      if (data.rate !== null) setText(rate, formatRate(data.rate));
      setText(gap, data.gaps ? `${formatMs(data.gaps.mean)} · p95 ${formatMs(data.gaps.p95)}` : "–");
      let rtt: string;
      if (data.mode === "browser") rtt = "n/a in browser mode";
      else if (data.latency === undefined) rtt = "n/a";
      else if (data.latency === null) rtt = "after the first ping";
      else rtt = formatMs(data.latency * 1000);
      setText(latency, rtt);
      latencyNode.dataset.available = data.mode !== "browser" && typeof data.latency === "number" ? "true" : "false";
      const key = data.timeline.map((c) => `${c.time}:${c.status}`).join(",");
      if (key !== drawn) {
        drawn = key;
        timeline.replaceChildren(
          ...data.timeline.map((change) => {
            const item = h("span", "iws-timeline-item", `${formatTime(change.time).slice(0, 8)} ${change.status}`);
            item.dataset.status = change.status;
            item.title = new Date(change.time).toISOString();
            return item;
          }),
        );
      }
    },
  };
}
