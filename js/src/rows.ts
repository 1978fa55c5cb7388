// Rows for the log: a bounded ring with absolute indices, the wire-to-Row
// conversion and on-demand full messages. No DOM, no model.
import { toNumber, toText } from "./format";
import type { Row } from "./types";

/** The full payload of one message, fetched when a row is expanded or copied. */
export interface FullMessage {
  readonly seq: number;
  readonly kind: "text" | "binary";
  readonly text: string; // text messages
  readonly bytes: Uint8Array | null; // binary messages
}

/** What the log component reads: rows, what was not shown, and full messages on demand. */
export interface LogFeed {
  readonly ring: RowRing;
  /** Bumped whenever the rows are replaced rather than appended to. */
  readonly epoch: number;
  /** Earlier messages the log never got or no longer keeps. */
  readonly omitted: number;
  /** The full message `seq` (rejects with the reason, e.g. evicted from the kernel's history). */
  fetch(seq: number): Promise<FullMessage>;
}

/**
 * The last `capacity` rows in a circular buffer: append and evict in O(1),
 * rows addressed by absolute index (`first` .. `total - 1`).
 */
export class RowRing {
  private buf: (Row | undefined)[] = [];
  private head = 0; // buffer slot of the oldest row
  /** Rows kept. */
  length = 0;
  /** Rows ever appended; row `i` (absolute) is kept when `first <= i < total`. */
  total = 0;
  /** Rows pushed out by newer ones. */
  evicted = 0;

  constructor(private capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
  }

  get first(): number {
    return this.total - this.length;
  }

  get limit(): number {
    return this.capacity;
  }

  /** Appends a row; returns whether the oldest one was evicted for it. */
  push(row: Row): boolean {
    if (this.length < this.capacity) {
      const slot = (this.head + this.length) % this.capacity;
      if (slot === this.buf.length) this.buf.push(row);
      else this.buf[slot] = row;
      this.length += 1;
      this.total += 1;
      return false;
    }
    this.buf[this.head] = row;
    this.head = (this.head + 1) % this.capacity;
    this.total += 1;
    this.evicted += 1;
    return true;
  }

  /** The row at absolute index `i`, or undefined when it is not kept. */
  at(i: number): Row | undefined {
    const k = i - this.first;
    if (k < 0 || k >= this.length) return undefined;
    return this.buf[(this.head + k) % this.capacity];
  }

  /** The kept row with this seq (rows are in seq order), or undefined. */
  bySeq(seq: number): Row | undefined {
    let lo = this.first;
    let hi = this.total - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const row = this.at(mid);
      if (!row) return undefined;
      if (row.seq === seq) return row;
      if (row.seq < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Replaces every row (a new epoch); `total` restarts at their count. */
  reset(rows: readonly Row[]): void {
    const kept = rows.length > this.capacity ? rows.slice(rows.length - this.capacity) : rows;
    this.buf = kept.slice();
    this.head = 0;
    this.length = kept.length;
    this.total = kept.length;
    this.evicted = 0;
  }

  /**
   * Puts `tail`'s rows that come before the oldest kept row (by seq) under the kept ones,
   * and those after the newest kept row on top, as one reset (a new epoch): a history
   * that answers late, after newer rows came.
   */
  resetUnder(tail: readonly Row[]): void {
    const oldest = this.at(this.first);
    const newest = this.at(this.total - 1);
    const kept: Row[] = [];
    for (let i = this.first; i < this.total; i++) kept.push(this.at(i) as Row);
    // The tail may also hold rows newer than the kept ones: the kernel sends them
    // once, in the tail, and not again in the next frames.
    const before = tail.filter((row) => oldest === undefined || row.seq < oldest.seq);
    const after = newest === undefined ? [] : tail.filter((row) => row.seq > newest.seq);
    this.reset([...before, ...kept, ...after]);
  }

  /** Changes the capacity, keeping the newest rows; returns how many were dropped. */
  resize(capacity: number): number {
    capacity = Math.max(1, Math.floor(capacity));
    if (capacity === this.capacity) return 0;
    const rows: Row[] = [];
    for (let i = Math.max(this.first, this.total - capacity); i < this.total; i++) {
      const row = this.at(i);
      if (row) rows.push(row);
    }
    const dropped = this.length - rows.length;
    const total = this.total;
    this.capacity = capacity;
    this.buf = rows;
    this.head = 0;
    this.length = rows.length;
    this.total = total;
    this.evicted += dropped;
    return dropped;
  }
}

/** A row object (the `persisted` trait, saved with a notebook), or null if it is not one. */
export function toRow(value: unknown): Row | null {
  if (typeof value !== "object" || value === null) return null;
  const raw = value as Record<string, unknown>;
  return {
    seq: toNumber(raw.seq),
    time: toNumber(raw.time),
    dir: raw.dir === "out" ? "out" : "in",
    kind: raw.kind === "binary" ? "binary" : "text",
    size: toNumber(raw.size),
    text: toText(raw.text),
    json: raw.json === true,
  };
}

// Bits of a wire row's flags (`_jupyter/rows.py`).
const FLAG_OUT = 1;
const FLAG_BINARY = 2;
const FLAG_JSON = 4;

/**
 * Rows as the kernel sends them to the page (`_jupyter/rows.py`, `wire_rows`): columns
 * `{seq: [], t0, time: [ms after t0], flags: [], size: [], text: []}`. A list of
 * row objects (the `persisted` trait) is read too; anything else gives no rows.
 */
export function toRows(value: unknown): Row[] {
  if (Array.isArray(value)) return value.map(toRow).filter((row): row is Row => row !== null);
  if (typeof value !== "object" || value === null) return [];
  const cols = value as Record<string, unknown>;
  const { seq, time, flags, size, text } = cols;
  if (![seq, time, flags, size, text].every(Array.isArray)) return [];
  const seqs = seq as unknown[];
  const times = time as unknown[];
  const bits = flags as unknown[];
  const sizes = size as unknown[];
  const texts = text as unknown[];
  const t0 = toNumber(cols.t0);
  const rows: Row[] = new Array(seqs.length);
  for (let i = 0; i < seqs.length; i++) {
    const f = toNumber(bits[i]);
    rows[i] = {
      seq: toNumber(seqs[i]),
      time: t0 + toNumber(times[i]),
      dir: f & FLAG_OUT ? "out" : "in",
      kind: f & FLAG_BINARY ? "binary" : "text",
      size: toNumber(sizes[i]),
      text: toText(texts[i]),
      json: (f & FLAG_JSON) !== 0,
    };
  }
  return rows;
}

function toBytes(view: unknown): Uint8Array | null {
  if (view instanceof ArrayBuffer) return new Uint8Array(view);
  if (ArrayBuffer.isView(view)) return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return null;
}

/**
 * The full message in the kernel's reply to `{"type": "get", "id", "seq"}`:
 * `{"type": "get_result", "id", "seq", "kind", "text"}` (binary: one buffer).
 */
export function fullFromReply(content: Record<string, unknown>, buffers: readonly unknown[]): FullMessage {
  const binary = content.kind === "binary";
  const bytes = binary ? toBytes(buffers[0]) : null;
  return {
    seq: toNumber(content.seq),
    kind: binary ? "binary" : "text",
    text: binary ? "" : toText(content.text),
    bytes: binary ? (bytes ?? new Uint8Array(0)) : null,
  };
}

/** A row that still holds its payload (browser mode's own rows). */
export interface PayloadRow extends Row {
  payload(): string | ArrayBuffer;
}

export function hasPayload(row: Row | undefined): row is PayloadRow {
  return row !== undefined && typeof (row as Partial<PayloadRow>).payload === "function";
}

/** The full message of a row that holds its payload. */
export function fullFromRow(row: PayloadRow): FullMessage {
  const data = row.payload();
  return typeof data === "string"
    ? { seq: row.seq, kind: "text", text: data, bytes: null }
    : { seq: row.seq, kind: "binary", text: "", bytes: new Uint8Array(data) };
}
