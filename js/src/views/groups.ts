// The chart's window with `by=`: one Columns per group (the `points` bound per group; the
// time span counted back from the newest point of any group, so a group that goes quiet
// scrolls off), drawn as one uPlot table: the groups' times merged on one x axis, each
// series null where its group has no point. Without `by` there is one group, drawn as
// Columns draws it. Also the series' labels and the group counters' text. No DOM, no model.
import { formatCount, plural } from "../format";
import { Columns, finite } from "./columns";

type Table = (number | null)[][];

export class GroupedColumns {
  readonly groups: Columns[] = [];

  constructor(
    /** Value columns per group (the field paths). */
    readonly series: number,
    public maxPoints: number,
    public spanMs: number | null,
  ) {}

  /** Points held, over all groups. */
  get length(): number {
    let n = 0;
    for (const g of this.groups) n += g.length;
    return n;
  }

  /** Makes sure groups 0..count-1 exist (a group's line exists before its points). */
  ensure(count: number): void {
    while (this.groups.length < count) this.groups.push(new Columns(this.series, this.maxPoints, this.spanMs));
  }

  clear(): void {
    for (const g of this.groups) g.clear();
  }

  setBounds(maxPoints: number, spanMs: number | null): void {
    this.maxPoints = Math.max(1, maxPoints);
    this.spanMs = spanMs;
    for (const g of this.groups) g.setBounds(this.maxPoints, spanMs);
    this.trim();
  }

  /** Appends points to group `group`: `t` (ms) with `ys[s][i]` for each path `s`. */
  append(group: number, t: Float64Array, ys: Float64Array[]): void {
    this.ensure(group + 1);
    (this.groups[group] as Columns).append(t, ys);
    this.trim();
  }

  private trim(): void {
    if (this.spanMs === null || this.groups.length < 2) return;
    let newest = Number.NEGATIVE_INFINITY;
    for (const g of this.groups) newest = Math.max(newest, g.newest ?? newest);
    if (newest === Number.NEGATIVE_INFINITY) return;
    for (const g of this.groups) g.dropBefore(newest - this.spanMs);
  }

  /**
   * What uPlot draws: x, then each group's series (group-major), at most about
   * `2 * buckets` rows. Few points are drawn as they are, merged on one time axis; more
   * are thinned on one grid of time buckets, each series keeping its min and max per
   * bucket in the order they came (as Columns.thin does for one group).
   */
  thin(buckets: number, timeScale = 1): Table {
    if (this.groups.length === 1) return (this.groups[0] as Columns).thin(buckets, timeScale);
    if (this.length <= 2 * buckets || buckets < 1) return this.merged(timeScale);
    return this.bucketed(buckets, timeScale);
  }

  private empty(): Table {
    return Array.from({ length: 1 + this.groups.length * this.series }, () => []);
  }

  private merged(timeScale: number): Table {
    const out = this.empty();
    const xs = out[0] as (number | null)[];
    const at = this.groups.map((g) => g.start);
    for (;;) {
      let time = Number.POSITIVE_INFINITY;
      this.groups.forEach((g, k) => {
        if ((at[k] as number) < g.end) time = Math.min(time, g.t[at[k] as number] as number);
      });
      if (time === Number.POSITIVE_INFINITY) return out;
      xs.push(time * timeScale);
      this.groups.forEach((g, k) => {
        const i = at[k] as number;
        const has = i < g.end && g.t[i] === time;
        for (let s = 0; s < this.series; s++) {
          out[1 + k * this.series + s]?.push(has ? finite((g.ys[s] as Float64Array)[i]) : null);
        }
        if (has) at[k] = i + 1;
      });
    }
  }

  private bucketed(buckets: number, timeScale: number): Table {
    const out = this.empty();
    const xs = out[0] as (number | null)[];
    let t0 = Number.POSITIVE_INFINITY;
    let t1 = Number.NEGATIVE_INFINITY;
    for (const g of this.groups) {
      if (g.length === 0) continue;
      t0 = Math.min(t0, g.t[g.start] as number);
      t1 = Math.max(t1, g.t[g.end - 1] as number);
    }
    const width = (t1 - t0) / buckets || 1;
    const n = this.groups.length * this.series;
    const first = new Float64Array(buckets).fill(Number.POSITIVE_INFINITY);
    const last = new Float64Array(buckets).fill(Number.NEGATIVE_INFINITY);
    const count = new Uint32Array(buckets);
    const lows = new Float64Array(buckets * n).fill(Number.POSITIVE_INFINITY);
    const highs = new Float64Array(buckets * n).fill(Number.NEGATIVE_INFINITY);
    const lowLast = new Uint8Array(buckets * n); // the bucket's low came after its high
    this.groups.forEach((g, k) => {
      for (let i = g.start; i < g.end; i++) {
        const t = g.t[i] as number;
        const b = Math.min(buckets - 1, Math.floor((t - t0) / width));
        if (t < (first[b] as number)) first[b] = t;
        if (t > (last[b] as number)) last[b] = t;
        count[b] = (count[b] as number) + 1;
        for (let s = 0; s < this.series; s++) {
          const v = (g.ys[s] as Float64Array)[i] as number;
          const cell = b * n + k * this.series + s;
          if (v < (lows[cell] as number)) {
            lows[cell] = v;
            lowLast[cell] = 1;
          }
          if (v > (highs[cell] as number)) {
            highs[cell] = v;
            lowLast[cell] = 0;
          }
        }
      }
    });
    for (let b = 0; b < buckets; b++) {
      const c = count[b] as number;
      if (c === 0) continue;
      xs.push((first[b] as number) * timeScale);
      if (c > 1) xs.push((last[b] as number) * timeScale);
      for (let s = 0; s < n; s++) {
        const col = out[s + 1] as (number | null)[];
        const lo = finite(lows[b * n + s]);
        const hi = finite(highs[b * n + s]);
        if (c === 1) col.push(lo);
        else if (lowLast[b * n + s]) col.push(hi, lo);
        else col.push(lo, hi);
      }
    }
    return out;
  }
}

/** The chart's series labels: the paths; with groups, each group's value (and the path). */
export function seriesLabels(paths: readonly string[], groups: readonly string[] | null): string[] {
  if (groups === null) return [...paths];
  return groups.flatMap((g) => (paths.length > 1 ? paths.map((p) => `${g} · ${p}`) : [g]));
}

/** What `by=` could not place, as the views' stats say it (empty parts: nothing). */
export interface GroupCounts {
  ungrouped: number;
  extraGroups: number;
  extraMessages: number;
}

export function groupStats(by: string, maxGroups: number, counts: GroupCounts, verb: string): string[] {
  const parts: string[] = [];
  if (counts.extraGroups) {
    parts.push(
      `${plural(counts.extraGroups, "group")} not ${verb} (max_groups=${formatCount(maxGroups)}): ` +
        plural(counts.extraMessages, "message"),
    );
  }
  if (counts.ungrouped) parts.push(`${formatCount(counts.ungrouped)} without ${by}`);
  return parts;
}
