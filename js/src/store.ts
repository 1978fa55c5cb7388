// Per-model state shared by every view of one widget: the ring of recent rows,
// the omitted-message count and pending send requests.
import { toNumber, toText } from "./format";
import { Fetcher, type FullMessage, type LogFeed, RowRing, fullFromRow, hasPayload, toRows } from "./rows";
import type { LocalTraits, Model, Row, SendFormat, Traits } from "./types";

const DEFAULT_VIEW_ROWS = 10_000;

/** What a view asks to send: text, JSON text (checked first), or bytes. */
export type Outgoing = string | Uint8Array;

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

export class FrameStore implements LogFeed {
  /** The most recent rows, at most `view_rows` of them. */
  readonly ring: RowRing;
  /** Bumped whenever the rows are replaced rather than appended to. */
  epoch = 0;
  /** Messages not shown: never sent to the view (the kernel counts them) or evicted from the ring. */
  private omittedByKernel = 0;
  /** Whether the rows came from the kernel (not from the saved notebook only). */
  private fromKernel = false;
  /** Browser mode, in the front end that holds the socket: its own counters and status. */
  private local: LocalTraits | null = null;
  private direct: ((data: string | ArrayBuffer) => string | null) | null = null;
  /**
   * Browser mode, in the front end that holds the socket: messages its current
   * socket received, and when (epoch ms) it took the first and the latest one.
   * Shown on the widget's element as `data-iws-in`, `data-iws-first-in`,
   * `data-iws-last-in` (benchmarks and tests read them; no globals).
   */
  readonly arrivals = { count: 0, first: 0, last: 0 };
  private readonly fetcher: Fetcher;
  /**
   * Trait values that rode in `frames` messages, newer than the model's until the
   * kernel's next `update` message. Kept here, not `model.set`: a set would be
   * buffered by ipywidgets and sent back to the kernel by the next `save_changes`.
   */
  private readonly kernelState = new Map<string, unknown>();

  private readonly model: Model;
  private readonly controller = new AbortController();
  private readonly listeners = new Set<() => void>();
  private readonly pending = new Map<number, (error: string | null) => void>();
  // Every open front end of a kernel sees every send_result; a random start
  // keeps one browser tab from taking another tab's answer for its own.
  private nextId = 1 + Math.floor(Math.random() * 2 ** 30);

  constructor(model: Model) {
    this.model = model;
    this.ring = new RowRing(viewRows(model));
    this.fetcher = new Fetcher((content) => this.post(content));
    const signal = this.controller.signal;
    listen(model, "msg:custom", (content: unknown, buffers: unknown) => this.receive(content, buffers), signal);
    listen(model, "change:view_rows", () => this.ring.resize(viewRows(model)) && this.notify(), signal);
    // A notebook reopened without its kernel: the last rows saved with it, until the kernel speaks.
    const persisted = toRows((model as unknown as { get(name: string): unknown }).get("persisted"));
    if (persisted.length > 0) this.ring.reset(persisted);
    if (model.get("mode") !== "browser") this.post({ type: "hello" });
  }

  /** Messages before the newest row that the log does not hold (seqs count every message). */
  get omitted(): number {
    const newest = this.ring.at(this.ring.total - 1);
    return newest ? Math.max(0, newest.seq - this.ring.length) : this.omittedByKernel;
  }

  /** The full message `seq`: from this browser's socket when it still has it, else from the kernel. */
  fetch(seq: number): Promise<FullMessage> {
    const row = this.ring.bySeq(seq);
    if (hasPayload(row)) return Promise.resolve(fullFromRow(row));
    return this.fetcher.fetch(seq);
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
    if (this.kernelState.has(name)) return this.kernelState.get(name) as Traits[K];
    return this.model.get(name);
  }

  /** Browser mode: this front end holds the socket (`local` set) or no longer does (null). */
  setLocal(local: LocalTraits | null, direct: ((data: string | ArrayBuffer) => string | null) | null): void {
    this.local = local;
    this.direct = direct;
    Object.assign(this.arrivals, { count: 0, first: 0, last: 0 });
    this.notify();
  }

  /** A message the browser socket received or sent: shown without a kernel round trip. */
  appendLocal(row: Row): void {
    this.ring.push(row);
    this.notify();
  }

  /** Counters changed without a new row (e.g. the rate): views redraw. */
  touch(): void {
    this.notify();
  }

  /** Sends `data` (this browser's socket, or the kernel's); resolves to an error text, or null. */
  request(format: SendFormat, data: Outgoing): Promise<string | null> {
    if (this.direct !== null) {
      return Promise.resolve(this.direct(typeof data === "string" ? data : data.slice().buffer));
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      const error =
        typeof data === "string"
          ? this.post({ type: "send", id, format, data })
          : this.post({ type: "send", id, format: "binary" }, [data.slice().buffer]);
      if (error !== null) {
        this.pending.delete(id);
        resolve(error);
      }
    });
  }

  /** Sends a custom message to the kernel; returns an error text if that failed. */
  post(content: Record<string, unknown>, buffers: ArrayBuffer[] = []): string | null {
    try {
      this.model.send(content, undefined, buffers);
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
    this.fetcher.dispose("the widget was closed before the kernel answered");
  }

  private receive(content: unknown, buffers: unknown): void {
    if (typeof content !== "object" || content === null) return;
    const msg = content as Record<string, unknown>;
    if (this.fetcher.receive(msg, buffers)) return;
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
    // message per flush, not two); its next `update` message supersedes them.
    if (typeof msg.state === "object" && msg.state !== null) {
      for (const [key, value] of Object.entries(msg.state as Record<string, unknown>)) {
        if (!this.kernelState.has(key)) {
          listen(this.model, `change:${key}`, () => this.kernelState.delete(key), this.controller.signal);
        }
        this.kernelState.set(key, value);
      }
      this.notify();
    }
    const incoming = toRows(msg.frames);
    const omitted = Math.max(0, toNumber(msg.omitted));
    if (this.local !== null && !(msg.reset === true && this.ring.total === 0)) {
      // This browser's socket already showed these rows; only a first tail is news.
      return;
    }
    if (msg.reset === true) {
      // The answer to our hello can come late (a cell was running): keep the rows
      // that arrived meanwhile and put the older ones of the tail before them.
      // (Rows not from the kernel, those saved with the notebook, are replaced.)
      if (this.fromKernel) this.ring.resetUnder(incoming);
      else this.ring.reset(incoming);
      this.epoch += 1;
      this.omittedByKernel = omitted;
    } else {
      for (const row of incoming) this.ring.push(row);
      this.omittedByKernel += omitted;
    }
    this.fromKernel = true;
    this.notify();
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

// anywidget loads each widget's module on its own (a blob URL per model), so module
// state is not shared between a WebSocket and the views that follow it (iws.Log), and it
// hands `initialize` and every `render` a different proxy of the same model. Stores are
// therefore kept in one page-wide registry: per widget manager (a notebook's widgets),
// per widget (its `_iws_key` trait, a uuid). Bump the symbol's version when FrameStore's
// surface changes (two builds of this module may share a page).
const REGISTRY = Symbol.for("ipywebsockets.stores.v1");

function registry(model: Model): Map<string, FrameStore> {
  const page = globalThis as unknown as Record<symbol, WeakMap<object, Map<string, FrameStore>> | undefined>;
  const all = page[REGISTRY] ?? new WeakMap<object, Map<string, FrameStore>>();
  page[REGISTRY] = all;
  const manager = (model as { widget_manager?: object }).widget_manager ?? globalThis;
  let stores = all.get(manager);
  if (!stores) {
    stores = new Map();
    all.set(manager, stores);
  }
  return stores;
}

function keyOf(model: Model): string {
  return toText((model as unknown as { get(name: string): unknown }).get("_iws_key"));
}

/** The store of `model`'s widget, created (and the kernel greeted) on first use. */
export function storeFor(model: Model): FrameStore {
  const stores = registry(model);
  const key = keyOf(model);
  let store = stores.get(key);
  if (!store) {
    store = new FrameStore(model);
    stores.set(key, store);
  }
  return store;
}

export function disposeStore(model: Model): void {
  const stores = registry(model);
  const key = keyOf(model);
  const store = stores.get(key);
  if (store) {
    stores.delete(key);
    store.dispose();
  }
}
