// Per-model state shared by every view of one widget: the ring of recent rows,
// the omitted-message count and pending send requests.
import { toNumber, toText } from "./format";
import { type Content, get, type Model, managerOf, onChange, onMessage, post, Requests, sendRequest } from "./model";
import { type FullMessage, fullFromReply, fullFromRow, hasPayload, type LogFeed, RowRing, toRows } from "./rows";
import type { LocalTraits, SocketTraits } from "./traits";
import type { Outgoing, Row, SendFormat } from "./types";

const DEFAULT_VIEW_ROWS = 10_000;

export type SocketModel = Model<SocketTraits>;

export function viewRows(model: SocketModel): number {
  const n = toNumber(get(model, "view_rows"), DEFAULT_VIEW_ROWS);
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
  private readonly requests: Requests;
  /**
   * Trait values that rode in `frames` messages, newer than the model's until the
   * kernel's next `update` message. Kept here, not `model.set`: a set would be
   * buffered by ipywidgets and sent back to the kernel by the next `save_changes`.
   */
  private readonly kernelState = new Map<string, unknown>();

  private readonly model: SocketModel;
  private readonly controller = new AbortController();
  private readonly listeners = new Set<() => void>();

  constructor(model: SocketModel) {
    this.model = model;
    this.ring = new RowRing(viewRows(model));
    const signal = this.controller.signal;
    this.requests = new Requests(model, signal);
    onMessage(model, (content) => this.receive(content), signal);
    onChange(model, ["view_rows"], () => this.ring.resize(viewRows(model)) && this.notify(), signal);
    // A notebook reopened without its kernel: the last rows saved with it, until the kernel speaks.
    const persisted = toRows(get(model, "persisted"));
    if (persisted.length > 0) this.ring.reset(persisted);
    if (get(model, "mode") !== "browser") this.post({ type: "hello" });
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
    return this.requests.request({ type: "get", seq }).then((reply) => fullFromReply(reply.content, reply.buffers));
  }

  /** Calls `callback` after every change, until `signal` aborts. */
  subscribe(callback: () => void, signal: AbortSignal): void {
    if (signal.aborted) return;
    this.listeners.add(callback);
    signal.addEventListener("abort", () => this.listeners.delete(callback), { once: true });
  }

  /** A displayed trait: the socket's own value in the browser that holds it, else the model's. */
  value<K extends keyof SocketTraits & string>(name: K): SocketTraits[K] {
    const local = this.local;
    if (local !== null && name in local) return local[name as keyof LocalTraits] as SocketTraits[K];
    if (this.kernelState.has(name)) return this.kernelState.get(name) as SocketTraits[K];
    return get(this.model, name);
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
    return sendRequest(this.requests, format, data);
  }

  /** Sends a custom message to the kernel; returns an error text if that failed. */
  post(content: Content, buffers: ArrayBuffer[] = []): string | null {
    return post(this.model, content, buffers);
  }

  /** Rejects pending requests ("the widget was closed before the kernel answered"). */
  dispose(): void {
    this.controller.abort();
    this.listeners.clear();
  }

  private receive(msg: Content): void {
    if (msg.type === "frames") this.receiveFrames(msg);
    else if (msg.type !== "send_result" && msg.type !== "get_result") {
      console.debug("[ipywebsockets] ignoring message of type", msg.type);
    }
  }

  private receiveFrames(msg: Record<string, unknown>): void {
    // The kernel sends the stream traits inside the frames message (one comm
    // message per flush, not two); its next `update` message supersedes them.
    if (typeof msg.state === "object" && msg.state !== null) {
      for (const [key, value] of Object.entries(msg.state as Record<string, unknown>)) {
        if (!this.kernelState.has(key)) {
          const name = key as keyof SocketTraits & string;
          onChange(this.model, [name], () => this.kernelState.delete(key), this.controller.signal);
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

function registry(model: SocketModel): Map<string, FrameStore> {
  const page = globalThis as unknown as Record<symbol, WeakMap<object, Map<string, FrameStore>> | undefined>;
  const all = page[REGISTRY] ?? new WeakMap<object, Map<string, FrameStore>>();
  page[REGISTRY] = all;
  const manager = managerOf(model) ?? globalThis;
  let stores = all.get(manager);
  if (!stores) {
    stores = new Map();
    all.set(manager, stores);
  }
  return stores;
}

function keyOf(model: SocketModel): string {
  return toText(get(model, "_iws_key"));
}

/** The store of `model`'s widget, created (and the kernel greeted) on first use. */
export function storeFor(model: SocketModel): FrameStore {
  const stores = registry(model);
  const key = keyOf(model);
  let store = stores.get(key);
  if (!store) {
    store = new FrameStore(model);
    stores.set(key, store);
  }
  return store;
}

export function disposeStore(model: SocketModel): void {
  const stores = registry(model);
  const key = keyOf(model);
  const store = stores.get(key);
  if (store) {
    stores.delete(key);
    store.dispose();
  }
}
