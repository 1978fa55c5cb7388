// The Log and the Composer as widgets of their own (iws.Log(ws), iws.Composer(ws)):
// a per-model feed of rows from the kernel, and the components of log.ts and
// composer.ts drawn inside an .iws-widget frame.
import { toNumber, toText } from "../format";
import { Fetcher, type FullMessage, type LogFeed, RowRing, toRows } from "../rows";
import { type FrameStore, type Outgoing, storeFor } from "../store";
import type { Model, Row, SavedMessage, SendFormat } from "../types";
import { createComposer, savedList } from "./composer";
import { h } from "./dom";
import type { ViewModel } from "./index";
import { createLog } from "./log";
import { type StatusChange, createMetrics } from "./metrics";

function post(model: ViewModel, content: Record<string, unknown>, buffers: ArrayBuffer[] = []): string | null {
  try {
    model.send(content, undefined, buffers);
    return null;
  } catch (exc) {
    console.error("[ipywebsockets] could not reach the kernel:", exc);
    return `could not reach the kernel: ${exc instanceof Error ? exc.message : String(exc)}`;
  }
}

/** The source WebSocket's per-page store (`model.source` is a widget reference), or null. */
async function sourceStore(model: ViewModel): Promise<FrameStore | null> {
  const ref = model.get("source");
  if (typeof ref !== "string" || !ref.startsWith("IPY_MODEL_")) return null;
  const source = await model.widget_manager.get_model(ref.slice("IPY_MODEL_".length));
  return storeFor(source as unknown as Model);
}

/**
 * Rows of one Log model, shared by all its views (a widget shown twice keeps one feed).
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
  private readonly fetcher: Fetcher;
  private readonly listeners = new Set<() => void>();
  private readonly controller = new AbortController();
  private users = 0;
  private readonly onMessage = (content: unknown, buffers: unknown): void => this.receive(content, buffers);
  private readonly onRows = (): void => {
    this.ring.resize(toNumber(this.model.get("rows"), 100_000));
    this.notify();
  };

  constructor(private readonly model: ViewModel) {
    this.ring = new RowRing(toNumber(model.get("rows"), 100_000));
    this.first = Math.max(1, toNumber(model.get("_first"), 1));
    this.fetcher = new Fetcher((content) => post(model, content));
    model.on("msg:custom", this.onMessage);
    model.on("change:rows", this.onRows);
    post(model, { type: "hello" });
    const follow = (why: unknown): void => {
      // No store to read: the kernel sends this log the rows itself.
      console.warn("[ipywebsockets] the log reads its rows from the kernel:", why);
      if (!this.controller.signal.aborted) post(model, { type: "follow" });
    };
    sourceStore(model).then((store) => {
      if (store === null) return follow("its WebSocket is not a widget reference");
      if (this.controller.signal.aborted) return;
      this.store = store;
      store.subscribe(() => this.pull(), this.controller.signal);
      this.pull();
    }, follow);
  }

  /** Messages since the log's first that it does not hold. */
  get omitted(): number {
    return this.newest === 0 ? 0 : Math.max(0, this.newest - this.first + 1 - this.ring.length);
  }

  fetch(seq: number): Promise<FullMessage> {
    return this.store !== null ? this.store.fetch(seq) : this.fetcher.fetch(seq);
  }

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
    this.model.off("msg:custom", this.onMessage);
    this.model.off("change:rows", this.onRows);
    this.fetcher.dispose("the log was closed before the kernel answered");
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

  private receive(content: unknown, buffers: unknown): void {
    if (typeof content !== "object" || content === null) return;
    const msg = content as Record<string, unknown>;
    if (this.fetcher.receive(msg, buffers) || msg.type !== "rows") return;
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

const feeds = new WeakMap<ViewModel, ViewFeed>();

export function renderLog(model: ViewModel, el: HTMLElement, signal: AbortSignal): void {
  let feed = feeds.get(model);
  if (!feed) {
    feed = new ViewFeed(model);
    feeds.set(model, feed);
  }
  const root = h("div", "iws-widget iws-log-widget");
  el.append(root);
  const log = createLog(root, feed, signal);
  feed.use(() => log.update(), signal);
  signal.addEventListener("abort", () => root.remove(), { once: true });
}

export function renderComposer(model: ViewModel, el: HTMLElement, signal: AbortSignal): void {
  const root = h("div", "iws-widget iws-composer-widget");
  el.append(root);
  const pending = new Map<number, (error: string | null) => void>();
  let nextId = 1 + Math.floor(Math.random() * 2 ** 30);
  const onMessage = (content: unknown): void => {
    if (typeof content !== "object" || content === null) return;
    const msg = content as Record<string, unknown>;
    if (msg.type !== "send_result") return;
    const resolve = pending.get(toNumber(msg.id, NaN));
    if (!resolve) return;
    pending.delete(toNumber(msg.id));
    resolve(msg.error == null || msg.error === "" ? null : toText(msg.error));
  };
  model.on("msg:custom", onMessage);

  const composer = createComposer(
    root,
    {
      send: (format: SendFormat, data: Outgoing) =>
        new Promise((resolve) => {
          const id = nextId++;
          pending.set(id, resolve);
          const error =
            typeof data === "string"
              ? post(model, { type: "send", id, format, data })
              : post(model, { type: "send", id, format: "binary" }, [data.slice().buffer]);
          if (error !== null) {
            pending.delete(id);
            resolve(error);
          }
        }),
      saved: () => savedList(model.get("saved")),
      setSaved: (list: SavedMessage[]) => {
        model.set("saved", list);
        model.save_changes();
      },
    },
    signal,
  );
  const onSaved = (): void => composer.savedChanged();
  const onStatus = (): void => composer.setStatus(toText(model.get("status")));
  model.on("change:saved", onSaved);
  model.on("change:status", onStatus);
  signal.addEventListener(
    "abort",
    () => {
      model.off("msg:custom", onMessage);
      model.off("change:saved", onSaved);
      model.off("change:status", onStatus);
      for (const resolve of pending.values()) resolve("the composer was closed before the kernel answered");
      pending.clear();
      root.remove();
    },
    { once: true },
  );
}

export function renderMetrics(model: ViewModel, el: HTMLElement, signal: AbortSignal): void {
  const root = h("div", "iws-widget iws-metrics-widget");
  el.append(root);
  const metrics = createMetrics(root, signal);
  const num = (name: string): number | null => {
    const value = model.get(name);
    return typeof value === "number" && Number.isFinite(value) ? value : null;
  };
  const update = (): void => {
    const mean = num("gap_mean_ms");
    const p95 = num("gap_p95_ms");
    const timeline: StatusChange[] = Array.isArray(model.get("timeline"))
      ? (model.get("timeline") as Record<string, unknown>[]).map((c) => ({
          time: toNumber(c.time),
          status: toText(c.status),
        }))
      : [];
    metrics.update({
      mode: toText(model.get("mode")) || "kernel",
      rate: num("rate") ?? 0,
      gaps: mean === null || p95 === null ? null : { mean, p95, n: 0 },
      latency: num("latency"),
      timeline,
    });
  };
  update();
  for (const name of ["rate", "gap_mean_ms", "gap_p95_ms", "latency", "timeline", "mode"]) {
    model.on(`change:${name}`, update);
  }
  signal.addEventListener(
    "abort",
    () => {
      for (const name of ["rate", "gap_mean_ms", "gap_p95_ms", "latency", "timeline", "mode"]) {
        model.off(`change:${name}`, update);
      }
      root.remove();
    },
    { once: true },
  );
}
