// Per-model state shared by every view of one widget: the ring of recent rows,
// the omitted-message count and pending send requests.
import { toNumber, toText } from "./format";
import type { LocalTraits, Model, Row, SendFormat, Traits } from "./types";

const DEFAULT_VIEW_ROWS = 50;

/** Calls `model.on(event, callback)` until `signal` aborts. */
export function listen(
  model: Model,
  event: string,
  callback: (...args: any[]) => void,
  signal: AbortSignal,
): void {
  if (signal.aborted) return;
  model.on(event, callback);
  signal.addEventListener("abort", () => model.off(event, callback), { once: true });
}

export function viewRows(model: Model): number {
  const n = toNumber(model.get("view_rows"), DEFAULT_VIEW_ROWS);
  return n >= 0 ? Math.floor(n) : DEFAULT_VIEW_ROWS;
}

function toRow(value: unknown): Row | null {
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

export class FrameStore {
  /** The most recent rows, oldest first, at most `view_rows` of them. */
  rows: Row[] = [];
  /** Rows appended since the last reset; `rows[i]` has index `total - rows.length + i`. */
  total = 0;
  /** Bumped whenever the rows are replaced rather than appended to. */
  epoch = 0;
  /** Messages the kernel counted but did not send to the view. */
  omitted = 0;
  /** Browser mode, in the front end that holds the socket: its own counters and status. */
  private local: LocalTraits | null = null;
  private direct: ((data: string) => string | null) | null = null;

  private readonly model: Model;
  private readonly controller = new AbortController();
  private readonly listeners = new Set<() => void>();
  private readonly pending = new Map<number, (error: string | null) => void>();
  // Every open front end of a kernel sees every send_result; a random start
  // keeps one browser tab from taking another tab's answer for its own.
  private nextId = 1 + Math.floor(Math.random() * 2 ** 30);

  constructor(model: Model) {
    this.model = model;
    const signal = this.controller.signal;
    listen(model, "msg:custom", (content: unknown) => this.receive(content), signal);
    listen(model, "change:view_rows", () => this.trim() && this.notify(), signal);
    if (model.get("mode") !== "browser") this.post({ type: "hello" });
  }

  /** Calls `callback` after every change, until `signal` aborts. */
  subscribe(callback: () => void, signal: AbortSignal): void {
    if (signal.aborted) return;
    this.listeners.add(callback);
    signal.addEventListener("abort", () => this.listeners.delete(callback), { once: true });
  }

  /** A displayed trait: the socket's own value in the browser that holds it, else the model's. */
  value<K extends keyof Traits>(name: K): Traits[K] {
    const local = this.local;
    if (local !== null && name in local) return local[name as keyof LocalTraits] as Traits[K];
    return this.model.get(name);
  }

  /** Browser mode: this front end holds the socket (`local` set) or no longer does (null). */
  setLocal(local: LocalTraits | null, direct: ((data: string) => string | null) | null): void {
    this.local = local;
    this.direct = direct;
    this.notify();
  }

  /** A message the browser socket received or sent: shown without a kernel round trip. */
  appendLocal(row: Row): void {
    this.rows.push(row);
    this.total += 1;
    this.trim();
    this.notify();
  }

  /** Counters changed without a new row (e.g. the rate): views redraw. */
  touch(): void {
    this.notify();
  }

  /** Asks the kernel to send `data`; resolves to its error text, or null on success. */
  request(format: SendFormat, data: string): Promise<string | null> {
    if (this.direct !== null) return Promise.resolve(this.direct(data));
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      const error = this.post({ type: "send", id, format, data });
      if (error !== null) {
        this.pending.delete(id);
        resolve(error);
      }
    });
  }

  /** Sends a custom message to the kernel; returns an error text if that failed. */
  post(content: Record<string, unknown>): string | null {
    try {
      this.model.send(content);
      return null;
    } catch (exc) {
      console.error("[ipywebsockets] could not reach the kernel:", exc);
      return `could not reach the kernel: ${exc instanceof Error ? exc.message : String(exc)}`;
    }
  }

  dispose(): void {
    this.controller.abort();
    this.listeners.clear();
    for (const resolve of this.pending.values()) resolve("the widget was closed before the kernel answered");
    this.pending.clear();
  }

  private receive(content: unknown): void {
    if (typeof content !== "object" || content === null) return;
    const msg = content as Record<string, unknown>;
    switch (msg.type) {
      case "frames":
        this.receiveFrames(msg);
        break;
      case "send_result": {
        const id = toNumber(msg.id, NaN);
        const resolve = this.pending.get(id);
        if (resolve) {
          this.pending.delete(id);
          resolve(msg.error == null || msg.error === "" ? null : toText(msg.error));
        }
        break;
      }
      default:
        console.debug("[ipywebsockets] ignoring message of type", msg.type);
    }
  }

  private receiveFrames(msg: Record<string, unknown>): void {
    // The kernel sends the stream traits inside the frames message (one comm
    // message per flush, not two): apply them locally, never save them back.
    if (typeof msg.state === "object" && msg.state !== null) {
      for (const [key, value] of Object.entries(msg.state as Record<string, unknown>)) {
        this.model.set(key as keyof Traits, value as never);
      }
    }
    const incoming = Array.isArray(msg.frames)
      ? msg.frames.map(toRow).filter((row): row is Row => row !== null)
      : [];
    const omitted = Math.max(0, toNumber(msg.omitted));
    if (this.local !== null && !(msg.reset === true && this.total === 0)) {
      // This browser's socket already showed these rows; only a first tail is news.
      return;
    }
    if (msg.reset === true) {
      this.rows = incoming;
      this.total = incoming.length;
      this.epoch += 1;
      this.omitted = omitted;
    } else {
      for (const row of incoming) this.rows.push(row);
      this.total += incoming.length;
      this.omitted += omitted;
    }
    this.trim();
    this.notify();
  }

  /** Drops rows beyond `view_rows`; returns whether any were dropped. */
  private trim(): boolean {
    const excess = this.rows.length - viewRows(this.model);
    if (excess <= 0) return false;
    this.rows.splice(0, excess);
    if (this.local !== null) this.omitted += excess;
    return true;
  }

  private notify(): void {
    for (const callback of this.listeners) {
      try {
        callback();
      } catch (exc) {
        console.error("[ipywebsockets] view update failed:", exc);
      }
    }
  }
}

const stores = new WeakMap<Model, FrameStore>();

/** The store of `model`, created (and the kernel greeted) on first use. */
export function storeFor(model: Model): FrameStore {
  let store = stores.get(model);
  if (!store) {
    store = new FrameStore(model);
    stores.set(model, store);
  }
  return store;
}

export function disposeStore(model: Model): void {
  const store = stores.get(model);
  if (store) {
    stores.delete(model);
    store.dispose();
  }
}
