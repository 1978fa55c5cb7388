// The chart's bounded window in the page: columnar float64 (times in ms, one column per
// series, NaN where a point lacks a series), bounded by points and by a time span, and
// thinned to about two points per pixel column for drawing. No DOM, no model.

const MIN_CAPACITY = 1024;

export class Columns {
  t: Float64Array;
  ys: Float64Array[];
  start = 0;
  end = 0;

  constructor(
    readonly series: number,
    public maxPoints: number,
    public spanMs: number | null,
  ) {
    this.t = new Float64Array(MIN_CAPACITY);
    this.ys = Array.from({ length: series }, () => new Float64Array(MIN_CAPACITY));
  }

  get length(): number {
    return this.end - this.start;
  }

  clear(): void {
    this.start = 0;
    this.end = 0;
  }

  setBounds(maxPoints: number, spanMs: number | null): void {
    this.maxPoints = Math.max(1, maxPoints);
    this.spanMs = spanMs;
    this.trim();
  }

  /** Appends `t.length` points; `ys[s][i]` is series `s` at `t[i]`. */
  append(t: Float64Array, ys: Float64Array[]): void {
    const n = t.length;
    if (n === 0) return;
    // Points beyond the bound would be evicted at once: only the newest fit.
    const skip = Math.max(0, n - this.maxPoints);
    const count = n - skip;
    this.reserve(count);
    this.t.set(skip ? t.subarray(skip) : t, this.end);
    for (let s = 0; s < this.series; s++) {
      const col = ys[s];
      const dst = this.ys[s] as Float64Array;
      if (col && col.length === n) dst.set(skip ? col.subarray(skip) : col, this.end);
      else dst.fill(Number.NaN, this.end, this.end + count);
    }
    this.end += count;
    this.trim();
  }

  private reserve(count: number): void {
    if (this.end + count <= this.t.length) return;
    const live = this.length;
    const need = live + count;
    // Grow (doubling, up to twice the bound) or just slide the live points to the front.
    let capacity = this.t.length;
    while (capacity < need) capacity *= 2;
    if (capacity > this.t.length || this.start > 0) {
      const move = (src: Float64Array): Float64Array => {
        if (capacity === src.length) {
          src.copyWithin(0, this.start, this.end);
          return src;
        }
        const dst = new Float64Array(capacity);
        dst.set(src.subarray(this.start, this.end));
        return dst;
      };
      this.t = move(this.t);
      this.ys = this.ys.map(move);
      this.start = 0;
      this.end = live;
    }
  }

  /** The newest point's time (ms), or null when the window is empty. */
  get newest(): number | null {
    return this.end > this.start ? (this.t[this.end - 1] as number) : null;
  }

  /** Evicts the points older than `oldest` (ms): another series' time bound. */
  dropBefore(oldest: number): void {
    this.start = this.firstAtOrAfter(oldest, this.start);
    if (this.start === this.end) this.clear();
  }

  private firstAtOrAfter(time: number, from: number): number {
    let lo = from;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.t[mid] as number) < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private trim(): void {
    let start = Math.max(this.start, this.end - this.maxPoints);
    if (this.spanMs !== null && this.end > start) {
      start = this.firstAtOrAfter((this.t[this.end - 1] as number) - this.spanMs, start);
    }
    this.start = start;
    if (this.start === this.end) this.clear();
  }

  /**
   * What uPlot draws: plain arrays (null where a series has no value), at most about
   * `2 * buckets` points. A window holding more is thinned per time bucket to its first
   * and last times, carrying each series' min and max in that bucket, so peaks survive.
   * Times are multiplied by `timeScale` (uPlot reads seconds).
   */
  thin(buckets: number, timeScale = 1): (number | null)[][] {
    const { start, end, t } = this;
    const n = end - start;
    const out: (number | null)[][] = [[]];
    for (let s = 0; s < this.series; s++) out.push([]);
    const xs = out[0] as (number | null)[];
    if (n <= 2 * buckets || buckets < 1) {
      for (let i = start; i < end; i++) {
        xs.push((t[i] as number) * timeScale);
        for (let s = 0; s < this.series; s++) out[s + 1]?.push(finite((this.ys[s] as Float64Array)[i]));
      }
      return out;
    }
    const t0 = t[start] as number;
    const width = ((t[end - 1] as number) - t0) / buckets || 1;
    const lows = new Float64Array(this.series);
    const highs = new Float64Array(this.series);
    const lowLast = new Uint8Array(this.series); // the bucket's low came after its high
    let i = start;
    while (i < end) {
      const bucket = Math.min(buckets - 1, Math.floor(((t[i] as number) - t0) / width));
      const first = i;
      lows.fill(Number.POSITIVE_INFINITY);
      highs.fill(Number.NEGATIVE_INFINITY);
      while (i < end && Math.min(buckets - 1, Math.floor(((t[i] as number) - t0) / width)) === bucket) {
        for (let s = 0; s < this.series; s++) {
          const v = (this.ys[s] as Float64Array)[i] as number;
          if (v < (lows[s] as number)) {
            lows[s] = v;
            lowLast[s] = 1;
          }
          if (v > (highs[s] as number)) {
            highs[s] = v;
            lowLast[s] = 0;
          }
        }
        i++;
      }
      const last = i - 1;
      xs.push((t[first] as number) * timeScale);
      if (last > first) xs.push((t[last] as number) * timeScale);
      for (let s = 0; s < this.series; s++) {
        const col = out[s + 1] as (number | null)[];
        const lo = finite(lows[s]);
        const hi = finite(highs[s]);
        // min then max in the order they came, so the line's shape holds.
        const [a, b] = lowLast[s] ? [hi, lo] : [lo, hi];
        if (last > first) col.push(a, b);
        else col.push(lo);
      }
    }
    return out;
  }
}

export function finite(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null;
}

/** A float64 column from a comm buffer (a DataView, maybe unaligned): copied, so aligned. */
export function float64(buffer: unknown): Float64Array {
  if (buffer instanceof DataView) {
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength - (buffer.byteLength % 8));
    return new Float64Array(bytes.slice().buffer);
  }
  if (buffer instanceof ArrayBuffer)
    return new Float64Array(buffer.slice(0, buffer.byteLength - (buffer.byteLength % 8)));
  return new Float64Array(0);
}
