// Every access to an anywidget model: trait reads and writes, trait changes and custom
// messages (each until an AbortSignal aborts, so nothing leaks), posting custom
// messages, and requests that wait for their reply by id. Views never see a model;
// the binding modules hand them plain data. No DOM here: unit tests run it in node.
import type { AnyModel } from "@anywidget/types";
import type { Outgoing, SendFormat } from "./types";

/** A custom message's content (snake_case keys: they cross the wire). */
export type Content = Record<string, unknown>;

/** What this module needs of a model: `AnyModel<T>` is one; tests pass a fake. */
export type Model<T extends object> = AnyModel<T & Record<string, unknown>>;

/** The part of a model that carries custom messages. */
export interface Messenger {
  on(eventName: "msg:custom", callback: (content: unknown, buffers: DataView[]) => void): void;
  off(eventName: "msg:custom", callback: (content: unknown, buffers: DataView[]) => void): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

/** A trait's value. */
export function get<T extends object, K extends keyof T & string>(model: Model<T>, name: K): T[K] {
  return model.get(name) as T[K];
}

/** Sets a trait and sends it to the kernel. */
export function set<T extends object, K extends keyof T & string>(model: Model<T>, name: K, value: T[K]): void {
  model.set(name, value as never);
  model.save_changes();
}

/** Calls `callback` whenever one of the traits `names` changes, until `signal` aborts. */
export function onChange<T extends object>(
  model: Model<T>,
  names: readonly (keyof T & string)[],
  callback: () => void,
  signal: AbortSignal,
): void {
  if (signal.aborted) return;
  const handler = (): void => callback();
  for (const name of names) model.on(`change:${name}`, handler);
  signal.addEventListener(
    "abort",
    () => {
      for (const name of names) model.off(`change:${name}`, handler);
    },
    { once: true },
  );
}

/** `onChange`, and `callback` once now. */
export function watch<T extends object>(
  model: Model<T>,
  names: readonly (keyof T & string)[],
  callback: () => void,
  signal: AbortSignal,
): void {
  onChange(model, names, callback, signal);
  callback();
}

/** Calls `callback` with each custom message (objects only) until `signal` aborts. */
export function onMessage(
  model: Messenger,
  callback: (content: Content, buffers: DataView[]) => void,
  signal: AbortSignal,
): void {
  if (signal.aborted) return;
  const handler = (content: unknown, buffers: DataView[] | undefined): void => {
    if (typeof content === "object" && content !== null) callback(content as Content, buffers ?? []);
  };
  model.on("msg:custom", handler);
  signal.addEventListener("abort", () => model.off("msg:custom", handler), { once: true });
}

/** Sends a custom message to the kernel; returns an error text if that failed. */
export function post(model: Messenger, content: Content, buffers: ArrayBuffer[] = []): string | null {
  try {
    model.send(content, undefined, buffers);
    return null;
  } catch (exc) {
    console.error("[ipywebsockets] could not reach the kernel:", exc);
    return `could not reach the kernel: ${errorText(exc)}`;
  }
}

export function errorText(exc: unknown): string {
  return exc instanceof Error ? exc.message : String(exc);
}

// Every open front end of a kernel sees every reply: a random start keeps one browser
// tab from taking another tab's answer for its own.
let lastId = Math.floor(Math.random() * 2 ** 30);

/** A request id not used before in this page. */
export function newId(): number {
  lastId += 1;
  return lastId;
}

export interface Reply {
  readonly content: Content;
  readonly buffers: DataView[];
}

export interface RequestOptions {
  /** The reply's type; default `<type>_result`. */
  readonly reply?: string;
  readonly buffers?: ArrayBuffer[];
  /** Rejects when no reply came in this time; default: waits until the signal aborts. */
  readonly timeoutMs?: number;
}

export interface RequestsOptions {
  /** Why pending requests reject when the signal aborts. */
  readonly closed?: string;
  /** Ids are `${idPrefix}${n}` strings when set, numbers otherwise. */
  readonly idPrefix?: string;
}

interface Pending {
  readonly reply: string;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Request and reply over custom messages, as anywidget's `invoke`: a request carries an
 * `id`; the reply `{type: "<type>_result", id, error?}` resolves the promise, or rejects
 * it with `error` when that is a non-empty value. Pending requests reject when `signal`
 * aborts.
 */
export class Requests {
  private readonly pending = new Map<number | string, Pending>();
  private readonly closed: string;
  private readonly idPrefix: string | undefined;

  constructor(
    private readonly model: Messenger,
    private readonly signal: AbortSignal,
    options: RequestsOptions = {},
  ) {
    this.closed = options.closed ?? "the widget was closed before the kernel answered";
    this.idPrefix = options.idPrefix;
    onMessage(model, (content, buffers) => this.take(content, buffers), signal);
    signal.addEventListener("abort", () => this.rejectAll(this.closed), { once: true });
  }

  /** Sends `{...content, id}`; resolves with the reply. */
  request(content: Content & { type: string }, options: RequestOptions = {}): Promise<Reply> {
    if (this.signal.aborted) return Promise.reject(new Error(this.closed));
    const id = this.idPrefix === undefined ? newId() : `${this.idPrefix}${newId()}`;
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs;
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.pending.delete(id);
              reject(new Error(`no answer from the kernel within ${timeoutMs / 1000} s (is it busy?)`));
            }, timeoutMs);
      this.pending.set(id, { reply: options.reply ?? `${content.type}_result`, resolve, reject, timer });
      const error = post(this.model, { ...content, id }, options.buffers ?? []);
      if (error !== null) this.settle(id)?.reject(new Error(error));
    });
  }

  /** How many requests wait for their reply. */
  get size(): number {
    return this.pending.size;
  }

  private take(content: Content, buffers: DataView[]): void {
    const id = content.id;
    if (typeof id !== "number" && typeof id !== "string") return;
    const waiting = this.pending.get(id);
    if (waiting === undefined || waiting.reply !== content.type) return;
    this.settle(id);
    const error = content.error;
    if (error != null && error !== "") waiting.reject(new Error(String(error)));
    else waiting.resolve({ content, buffers });
  }

  private settle(id: number | string): Pending | undefined {
    const waiting = this.pending.get(id);
    if (waiting === undefined) return undefined;
    this.pending.delete(id);
    if (waiting.timer !== undefined) clearTimeout(waiting.timer);
    return waiting;
  }

  private rejectAll(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new Error(reason));
  }
}

/**
 * Asks the kernel to send `data` on the socket: `{type: "send", id, format, data}`
 * (binary: `{type: "send", id, format: "binary"}` and the bytes as one buffer),
 * answered by `send_result`. Resolves to the error text, or null once sent (or queued).
 */
export function sendRequest(requests: Requests, format: SendFormat, data: Outgoing): Promise<string | null> {
  const sent =
    typeof data === "string"
      ? requests.request({ type: "send", format, data })
      : requests.request({ type: "send", format: "binary" }, { buffers: [data.slice().buffer] });
  return sent.then(
    () => null,
    (exc: unknown) => errorText(exc),
  );
}

let lastViewId = 0;

/**
 * Follows a view's custom messages. `onReset` gets the kernel's answer to this view's
 * hello (everything it holds); `onUpdate` gets the updates that came after it. Updates
 * that arrive before the answer are already in it and are dropped; answers to other views
 * of the same model are ignored.
 */
export function follow(
  model: Messenger,
  signal: AbortSignal,
  resetType: string,
  onReset: (content: Content, buffers: DataView[]) => void,
  onUpdate: (content: Content, buffers: DataView[]) => void,
): void {
  lastViewId += 1;
  const id = `${Date.now().toString(36)}-${lastViewId}`;
  let ready = false;
  onMessage(
    model,
    (content, buffers) => {
      if (content.type === resetType) {
        if (content.id !== id) return;
        ready = true;
        onReset(content, buffers);
      } else if (ready) onUpdate(content, buffers);
    },
    signal,
  );
  post(model, { type: "hello", id });
}

/** The view a model asks for (its `_view` trait), or "" for the WebSocket widget itself. */
export function viewName(model: { get(name: string): unknown }): string {
  const name = model.get("_view");
  return typeof name === "string" ? name : "";
}

/** The model a widget reference trait (`"IPY_MODEL_<id>"`) points to, or null. */
export async function referenced<S extends object>(model: Model<object>, ref: unknown): Promise<Model<S> | null> {
  if (typeof ref !== "string" || !ref.startsWith("IPY_MODEL_")) return null;
  return (await model.widget_manager.get_model(ref.slice("IPY_MODEL_".length))) as unknown as Model<S>;
}

/**
 * The widget manager a model belongs to (a notebook's widgets), if it says.
 *
 * Jupyter's managers are class instances, one per notebook. marimo hands every
 * `initialize` and `render` a new proxy of the model with a new plain-object
 * `widget_manager`, which names no notebook: undefined there (the page is one
 * notebook), so `initialize` and `render` find the same store.
 */
export function managerOf(model: object): object | undefined {
  const manager = (model as { widget_manager?: object }).widget_manager;
  if (manager === null || typeof manager !== "object") return undefined;
  return Object.getPrototypeOf(manager) === Object.prototype ? undefined : manager;
}
