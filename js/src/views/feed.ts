// The rows of one Log model (iws.Log(ws)), shared by all its views: a widget shown
// twice keeps one feed. Binding glue: it talks to the Log's model through model.ts.
import { toNumber } from "../format";
import { type Content, get, type Model, onChange, onMessage, post, Requests, referenced } from "../model";
import { type FullMessage, fullFromReply, type LogFeed, RowRing, toRows } from "../rows";
import { type FrameStore, type SocketModel, storeFor } from "../store";
import type { LogTraits, SocketTraits } from "../traits";
import type { Row } from "../types";

const DEFAULT_ROWS = 100_000;

export type LogModel = Model<LogTraits>;

/** The source WebSocket's per-page store (`source` is a widget reference), or null. */
async function sourceStore(model: LogModel): Promise<FrameStore | null> {
  const source = await referenced<SocketTraits>(model, get(model, "source"));
  return source === null ? null : storeFor(source as SocketModel);
}

/**
 * New rows are those the page already has for the source (its store: the kernel's
 * `frames`, or browser mode's own socket), from the log's first message (`_first`) on;
 * the kernel answers the log's hello with the history since then (older rows first).
 */
class ViewFeed implements LogFeed {
  readonly ring: RowRing;
  epoch = 0;
  private readonly first: number;
  private newest = 0; // seq of the newest row held
  private store: FrameStore | null = null;
  private storeEpoch = -1;
  private seen = 0; // rows of the store's ring already looked at (absolute index)
  private readonly requests: Requests;
  private readonly listeners = new Set<() => void>();
  private readonly controller = new AbortController();
  private users = 0;

  constructor(private readonly model: LogModel) {
    const signal = this.controller.signal;
    this.ring = new RowRing(toNumber(get(model, "rows"), DEFAULT_ROWS));
    this.first = Math.max(1, toNumber(get(model, "_first"), 1));
    this.requests = new Requests(model, signal, { closed: "the log was closed before the kernel answered" });
    onMessage(model, (content) => this.receive(content), signal);
    onChange(
      model,
      ["rows"],
      () => {
        this.ring.resize(toNumber(get(model, "rows"), DEFAULT_ROWS));
        this.notify();
      },
      signal,
    );
    post(model, { type: "hello" });
    const follow = (why: unknown): void => {
      // No store to read: the kernel sends this log the rows itself.
      console.warn("[ipywebsockets] the log reads its rows from the kernel:", why);
      if (!signal.aborted) post(model, { type: "follow" });
    };
    sourceStore(model).then((store) => {
      if (store === null) return follow("its WebSocket is not a widget reference");
      if (signal.aborted) return;
      this.store = store;
      store.subscribe(() => this.pull(), signal);
      this.pull();
    }, follow);
  }

  /** Messages since the log's first that it does not hold. */
  get omitted(): number {
    return this.newest === 0 ? 0 : Math.max(0, this.newest - this.first + 1 - this.ring.length);
  }

  fetch(seq: number): Promise<FullMessage> {
    if (this.store !== null) return this.store.fetch(seq);
    return this.requests.request({ type: "get", seq }).then((reply) => fullFromReply(reply.content, reply.buffers));
  }

  /** Calls `callback` after every change until `signal` aborts; the last user disposes the feed. */
  use(callback: () => void, signal: AbortSignal): void {
    this.users += 1;
    this.listeners.add(callback);
    signal.addEventListener(
      "abort",
      () => {
        this.listeners.delete(callback);
        this.users -= 1;
        if (this.users === 0) this.dispose();
      },
      { once: true },
    );
  }

  private dispose(): void {
    this.controller.abort();
    feeds.delete(this.model);
  }

  /** Takes the store's rows that are newer than ours. */
  private pull(): void {
    const store = this.store;
    if (store === null) return;
    const source = store.ring;
    if (store.epoch !== this.storeEpoch) {
      this.storeEpoch = store.epoch; // its rows were replaced: look at all of them again
      this.seen = source.first;
    }
    let added = false;
    for (let i = Math.max(this.seen, source.first); i < source.total; i++) {
      const row = source.at(i);
      if (row !== undefined) added = this.append(row) || added;
    }
    this.seen = source.total;
    if (added) this.notify();
  }

  /** Appends `row` if it is newer than ours and not before the log's first; returns whether. */
  private append(row: Row): boolean {
    if (row.seq <= this.newest || row.seq < this.first) return false;
    this.ring.push(row);
    this.newest = row.seq;
    return true;
  }

  private receive(msg: Content): void {
    if (msg.type !== "rows") return;
    const ring = this.ring;
    if (msg.reset !== true) {
      // The kernel feeds this log (see `follow`): each seq once, in order.
      let added = false;
      for (const row of toRows(msg.rows)) added = this.append(row) || added;
      if (added) this.notify();
      return;
    }
    // The history since the log's first message. Rows from the store may have come
    // first: keep them, put the older ones of the answer before them.
    ring.resetUnder(toRows(msg.rows).filter((row) => row.seq >= this.first));
    const newest = ring.at(ring.total - 1);
    if (newest !== undefined) this.newest = Math.max(this.newest, newest.seq);
    this.epoch += 1;
    this.notify();
  }

  private notify(): void {
    for (const callback of this.listeners) callback();
  }
}

const feeds = new WeakMap<LogModel, ViewFeed>();

/** The feed of a Log model, created on first use. */
export function feedFor(model: LogModel): ViewFeed {
  let feed = feeds.get(model);
  if (!feed) {
    feed = new ViewFeed(model);
    feeds.set(model, feed);
  }
  return feed;
}
