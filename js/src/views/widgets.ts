// The Log and the Composer as widgets of their own (iws.Log(ws), iws.Composer(ws)):
// a per-model feed of rows from the kernel, and the components of log.ts and
// composer.ts drawn inside an .iws-widget frame.
import { toNumber, toText } from "../format";
import { Fetcher, type FullMessage, type LogFeed, RowRing, toRows } from "../rows";
import type { Outgoing } from "../store";
import type { SavedMessage, SendFormat } from "../types";
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

/** Rows of one Log model, shared by all its views (a widget shown twice keeps one feed). */
class ViewFeed implements LogFeed {
  readonly ring: RowRing;
  epoch = 0;
  private skipped = 0;
  private readonly fetcher: Fetcher;
  private readonly listeners = new Set<() => void>();
  private users = 0;
  private readonly onMessage = (content: unknown, buffers: unknown): void => this.receive(content, buffers);
  private readonly onRows = (): void => {
    this.ring.resize(toNumber(this.model.get("rows"), 100_000));
    this.notify();
  };

  constructor(private readonly model: ViewModel) {
    this.ring = new RowRing(toNumber(model.get("rows"), 100_000));
    this.fetcher = new Fetcher((content) => post(model, content));
    model.on("msg:custom", this.onMessage);
    model.on("change:rows", this.onRows);
    post(model, { type: "hello" });
  }

  get omitted(): number {
    const newest = this.ring.at(this.ring.total - 1);
    return newest ? Math.max(0, newest.seq - this.ring.length) : this.skipped;
  }

  fetch(seq: number): Promise<FullMessage> {
    return this.fetcher.fetch(seq);
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
    this.model.off("msg:custom", this.onMessage);
    this.model.off("change:rows", this.onRows);
    this.fetcher.dispose("the log was closed before the kernel answered");
    feeds.delete(this.model);
  }

  private receive(content: unknown, buffers: unknown): void {
    if (typeof content !== "object" || content === null) return;
    const msg = content as Record<string, unknown>;
    if (this.fetcher.receive(msg, buffers) || msg.type !== "rows") return;
    const incoming = toRows(msg.rows);
    const ring = this.ring;
    if (msg.reset === true) {
      // The answer to our hello may come after newer rows: keep those, put older ones first.
      const oldest = ring.at(ring.first);
      const kept = [];
      for (let i = ring.first; i < ring.total; i++) kept.push(ring.at(i));
      const older = incoming.filter((row) => oldest === undefined || row.seq < oldest.seq);
      ring.reset([...older, ...kept.filter((row) => row !== undefined)]);
      this.epoch += 1;
      this.skipped = Math.max(0, toNumber(msg.skipped));
    } else {
      const newest = ring.at(ring.total - 1)?.seq ?? 0;
      for (const row of incoming) if (row.seq > newest) ring.push(row);
      this.skipped += Math.max(0, toNumber(msg.skipped));
    }
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
