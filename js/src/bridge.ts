// Browser mode: one front end per model (the owner, chosen by the kernel) runs
// the socket, feeds its own views at full rate and reports to the kernel in
// batches (at most max_fps a second, and at most STREAM_HZ a second while a stream
// floods in; binary frames as buffers, each well under jupyter_server's websocket
// message limit). Nothing here depends on timers running on time: a hidden tab's
// timers may run once a minute, so batches also go out from socket and kernel
// message events. The wire protocol is described
// in docs/browser-mode.md.
import { previewPayload, RateMeter, toNumber, toText, utf8Length } from "./format";
import { type Content, get, onChange, onMessage, post } from "./model";
import { type Backoff, BrowserSocket, type Payload } from "./socket";
import type { FrameStore, SocketModel } from "./store";
import type { LocalTraits } from "./traits";
import type { Row, Status } from "./types";

const BEAT_MS = 1000;
// A batch is split before it grows past this (jupyter_server closes the notebook's kernel
// connection on a websocket message over 10 MiB; JSON escapes may multiply text by 6).
export const BATCH_BYTES = 2 ** 20;
const EVENT_BYTES = 64; // an event's JSON beside its data, generously
const TEXT_INLINE = 16 * 1024; // longer texts travel as UTF-8 buffers
// The random key the kernel seals the URL with (the longest URL, in UTF-8 bytes).
const KEY_BYTES = 8192;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the range is every ASCII character
const NON_ASCII = /[^\x00-\x7f]/;

// Each batch costs Jupyter about four messages however much it carries (the comm
// message, the kernel's busy and idle, often a frames message back), each one parsed
// and re-sent by the Jupyter server and handled by the page. While messages arrive
// at STREAM_RATE a second or more, batches go out at most STREAM_HZ a second.
export const STREAM_RATE = 1000;
export const STREAM_HZ = 10;

/** ms from one batch to the next: 1000 / max_fps, or 1000 / STREAM_HZ if longer while
 * the last batch carried `messages` socket messages over `spanMs` at STREAM_RATE or more. */
export function batchIntervalMs(maxFps: number, messages: number, spanMs: number): number {
  const interval = 1000 / Math.max(1, maxFps);
  const streaming = messages * 1000 >= STREAM_RATE * Math.max(spanMs, 1);
  return streaming ? Math.max(interval, 1000 / STREAM_HZ) : interval;
}

type WireEvent = Record<string, unknown>;

/** A row built from a socket event; its preview is made only if a view shows it. */
class LocalRow implements Row {
  private preview: { text: string; json: boolean } | null = null;

  constructor(
    readonly seq: number,
    readonly time: number,
    readonly dir: "in" | "out",
    readonly size: number,
    private readonly data: Payload,
  ) {}

  get kind(): "text" | "binary" {
    return typeof this.data === "string" ? "text" : "binary";
  }

  get text(): string {
    this.preview ??= previewPayload(this.data);
    return this.preview.text;
  }

  get json(): boolean {
    this.preview ??= previewPayload(this.data);
    return this.preview.json;
  }

  /** The whole message, for a view that expands or copies it. */
  payload(): Payload {
    return this.data;
  }
}

/** `sealed` XOR `key`: the URL the kernel sealed for this front end only (see peers.py). */
export function unseal(sealed: Uint8Array, key: Uint8Array): string {
  const out = new Uint8Array(sealed.length);
  for (let i = 0; i < sealed.length; i++) out[i] = sealed[i] ^ key[i];
  return new TextDecoder().decode(out);
}

function pageVisible(): boolean {
  return typeof document === "undefined" || document.visibilityState !== "hidden";
}

function toArrayBuffer(view: unknown): ArrayBuffer {
  if (view instanceof ArrayBuffer) return view;
  if (ArrayBuffer.isView(view)) {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    return bytes.slice().buffer;
  }
  return new ArrayBuffer(0);
}

export class Bridge {
  /** This front end's id; the kernel names the owner by it. */
  readonly client = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  owner = false;

  private socket: BrowserSocket | null = null;
  private gen = -1;
  private seq = 1; // seq of the next message event
  private first = 1; // seq of the first message event in the pending batch
  private events: WireEvent[] = [];
  private buffers: ArrayBuffer[] = [];
  private pendingBytes = 0; // estimated size of the pending batch
  private lastSend = 0; // id of the last kernel send this page got
  private readonly key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  private flushTimer = 0;
  private lastFlush = 0;
  private readonly beatTimer: number;
  private readonly controller = new AbortController();
  private readonly meter = new RateMeter();
  private unmetered = 0; // messages received since the meter was last told
  private local: LocalTraits = Bridge.freshTraits();
  private maxFps = 30;
  private interval = 1000 / 30; // ms to the next batch (batchIntervalMs)

  constructor(
    private readonly model: SocketModel,
    private readonly store: FrameStore,
  ) {
    const signal = this.controller.signal;
    onMessage(model, (content, buffers) => this.command(content, buffers), signal);
    const fps = (): void => {
      this.maxFps = toNumber(get(model, "max_fps"), 30);
      this.interval = batchIntervalMs(this.maxFps, 0, 0);
    };
    fps();
    onChange(model, ["max_fps"], fps, signal);
    this.post({ type: "hello", client: this.client, visible: pageVisible(), key: 0 }, [this.key.slice().buffer]);
    this.beatTimer = window.setInterval(() => this.beat(), BEAT_MS);
    if (typeof document !== "undefined") {
      // Hidden, the kernel waits longer for us; visible again, it hears so at once.
      document.addEventListener("visibilitychange", () => this.answer(), { signal });
      window.addEventListener("pagehide", () => this.post({ type: "bye", client: this.client }), { signal });
    }
  }

  dispose(): void {
    this.controller.abort();
    window.clearInterval(this.beatTimer);
    window.clearTimeout(this.flushTimer);
    this.socket?.dispose();
    this.socket = null;
  }

  /** Sends `data` from a view of this front end; returns an error text or null. */
  sendFromView(data: Payload): string | null {
    if (!this.socket) return "the connection is not open in this browser";
    return this.socket.send(data, null);
  }

  private static freshTraits(): LocalTraits {
    return {
      status: "connecting",
      error: "",
      received: 0,
      sent: 0,
      bytes_received: 0,
      bytes_sent: 0,
      rate: 0,
      close_code: null,
      close_reason: "",
      subprotocol: "",
      reconnects: 0,
    };
  }

  // -- commands from the kernel ----------------------------------------------------

  private command(msg: Content, buffers: DataView[]): void {
    if (msg.client !== this.client) {
      if (msg.type === "owner" && this.owner) this.disown();
      return;
    }
    switch (msg.type) {
      case "owner":
        this.own(msg, buffers);
        break;
      case "probe":
        this.answer();
        break;
      case "ws_send": {
        const ref = toNumber(msg.id, -1);
        // Ids come in order: a gap means Jupyter's connection to this page dropped some.
        if (ref > this.lastSend + 1) this.push({ e: "missed", from: this.lastSend + 1, to: ref - 1 });
        this.lastSend = Math.max(this.lastSend, ref);
        const data: Payload = typeof msg.text === "string" ? msg.text : toArrayBuffer(buffers[0]);
        // first: an on_open hook's send, for the socket's open number `first`.
        const first = typeof msg.first === "number" ? msg.first : null;
        if (this.socket) this.socket.send(data, ref, first);
        else this.push({ e: "refused", ref, error: "the connection is not open in the browser" });
        break;
      }
      case "ws_close":
        this.socket?.close(toNumber(msg.code, 1000), toText(msg.reason));
        break;
      case "hooks": // ws.on_open hooks were added or removed in the kernel
        if (toNumber(msg.gen, -1) === this.gen) this.socket?.setHooks(msg.wanted === true, toNumber(msg.timeout, 10));
        break;
      case "hooks_done":
        if (toNumber(msg.gen, -1) === this.gen && this.socket?.release(toNumber(msg.n, 0))) {
          const error = toText(msg.error);
          if (error) {
            this.local.error = error; // a hook raised (the kernel counted it), or ran too long
            this.store.touch();
          }
        }
        break;
      default:
        break;
    }
  }

  private own(msg: Record<string, unknown>, buffers: DataView[]): void {
    this.owner = true;
    const gen = toNumber(msg.gen, 0);
    const hooks = msg.hooks === true;
    const hooksTimeout = toNumber(msg.hooks_timeout, 10);
    if (msg.connect !== true) return;
    if (gen === this.gen && this.socket?.running) {
      this.socket.setHooks(hooks, hooksTimeout);
      return;
    }
    this.socket?.dispose();
    this.gen = gen;
    this.seq = this.first = toNumber(msg.seq, 1);
    this.events = [];
    this.buffers = [];
    this.pendingBytes = 0;
    this.lastSend = toNumber(msg.next_id, 1) - 1;
    const sealed = buffers[0];
    const url =
      msg.sealed === true && sealed
        ? unseal(new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength), this.key)
        : "";
    if (!url) {
      // Only the owner's key unseals the URL; an owner message without it cannot connect.
      this.push({ e: "closed", code: null, reason: "", error: "the kernel sent this page no URL to open" });
      this.flush();
      return;
    }
    this.local = { ...Bridge.freshTraits(), reconnects: this.local.reconnects };
    this.store.setLocal(this.local, (data) => this.sendFromView(data));
    const reconnect = msg.reconnect as Backoff | null;
    const socket = new BrowserSocket(
      {
        url,
        protocols: Array.isArray(msg.protocols) ? msg.protocols.map(toText) : [],
        reconnect: reconnect && typeof reconnect === "object" ? reconnect : null,
        sendQueue: Math.max(1, toNumber(msg.send_queue, 1000)),
        maxSize: Math.max(1, toNumber(msg.max_size, 2 ** 20)),
        hooks,
        hooksTimeout,
      },
      {
        status: (status, error) => this.onStatus(socket, status, error),
        open: (subprotocol, n, held) => {
          if (this.socket !== socket) return;
          this.local.subprotocol = subprotocol;
          this.local.close_code = null;
          this.local.close_reason = "";
          this.push({ e: "open", subprotocol, n, held });
        },
        message: (data, time) => this.onData(socket, "in", data, time, null),
        sent: (data, time, ref) => this.onData(socket, "out", data, time, ref),
        refused: (ref, error) => {
          if (this.socket === socket && ref !== null) this.push({ e: "refused", ref, error });
        },
        closed: (code, reason, error) => {
          if (this.socket !== socket) return;
          Object.assign(this.local, { status: "closed", close_code: code, close_reason: reason, error });
          this.push({ e: "closed", code, reason, error });
          this.flush();
        },
      },
    );
    this.socket = socket;
    socket.open();
  }

  /** Another front end holds the socket now: stop ours, show the kernel's view. */
  private disown(): void {
    this.owner = false;
    this.socket?.dispose();
    this.socket = null;
    this.store.setLocal(null, null);
  }

  // -- socket events -------------------------------------------------------------------

  private onStatus(socket: BrowserSocket, status: Status, error: string): void {
    if (this.socket !== socket) return;
    if (status === "reconnecting" && this.local.status === "open") this.local.reconnects += 1;
    this.local.status = status;
    this.local.error = error;
    this.push({ e: "status", status, error });
  }

  private onData(socket: BrowserSocket, dir: "in" | "out", data: Payload, time: number, ref: number | null): void {
    if (this.socket !== socket) return;
    // Most text is ASCII: one native regex test instead of a loop over every character.
    const size = typeof data === "string" ? (NON_ASCII.test(data) ? utf8Length(data) : data.length) : data.byteLength;
    // Before the numbering moves on: a batch split here starts with this message.
    this.makeRoom(ref !== null ? 0 : size);
    if (dir === "in" && typeof data === "string" && size <= TEXT_INLINE) {
      // The common case, incoming text: a run of them is one event of columns.
      const last = this.events[this.events.length - 1];
      if (last !== undefined && last.e === "ins") {
        (last.t as number[]).push(time - (last.t0 as number));
        (last.text as string[]).push(data);
      } else this.events.push({ e: "ins", t0: time, t: [0], text: [data] });
    } else {
      const event: WireEvent = { e: dir, t: time };
      if (ref !== null) event.ref = ref;
      else if (typeof data === "string" && size <= TEXT_INLINE) event.text = data;
      else {
        event.buf = this.buffers.length;
        this.buffers.push(typeof data === "string" ? (new TextEncoder().encode(data).buffer as ArrayBuffer) : data);
        if (typeof data === "string") event.utf8 = 1;
      }
      this.events.push(event);
    }
    const local = this.local;
    if (dir === "in") {
      const arrivals = this.store.arrivals;
      arrivals.last = time;
      if (arrivals.count++ === 0) arrivals.first = time;
      local.received += 1;
      local.bytes_received += size;
      this.unmetered += 1; // into the rate meter at the next flush or beat, not one by one
    } else {
      local.sent += 1;
      local.bytes_sent += size;
    }
    this.store.appendLocal(new LocalRow(this.seq, time, dir, size, data));
    this.seq += 1;
    this.flushIfDue();
  }

  // -- batches to the kernel ----------------------------------------------------------------

  /** Sends the pending batch first if `size` more bytes would take it past BATCH_BYTES. */
  private makeRoom(size: number): void {
    const cost = EVENT_BYTES + size;
    if (this.events.length > 0 && this.pendingBytes + cost > BATCH_BYTES) this.flush();
    this.pendingBytes += cost;
  }

  private push(event: WireEvent): void {
    this.makeRoom(0);
    this.events.push(event);
    this.flushIfDue();
  }

  /** Sends the batch if max_fps allows it now, else arms a timer for when it does. */
  private flushIfDue(): void {
    const wait = this.lastFlush + this.interval - performance.now();
    if (wait <= 0) {
      // Due: send from this event (socket or kernel message), not from a timer that a
      // hidden tab may run a minute late.
      this.flush();
      return;
    }
    if (this.flushTimer === 0) this.flushTimer = window.setTimeout(() => this.flush(), wait);
  }

  /** Tells the kernel we are here, now: the kernel probed us, or the page's visibility changed. */
  private answer(): void {
    if (this.socket) this.flush();
    else this.post({ type: "beat", client: this.client, visible: pageVisible() });
  }

  private meterNow(): void {
    if (this.unmetered === 0) return;
    this.meter.add(Date.now() / 1000, this.unmetered);
    this.unmetered = 0;
  }

  private beat(): void {
    this.meterNow();
    this.local.rate = Math.round(this.meter.rate(Date.now() / 1000) * 100) / 100;
    if (this.socket) {
      this.store.touch();
      if (performance.now() - this.lastFlush >= BEAT_MS) this.flush();
    } else {
      this.post({ type: "beat", client: this.client, visible: pageVisible() });
    }
  }

  private flush(): void {
    window.clearTimeout(this.flushTimer);
    this.flushTimer = 0;
    const now = performance.now();
    this.interval = batchIntervalMs(this.maxFps, this.seq - this.first, now - this.lastFlush);
    this.lastFlush = now;
    this.meterNow();
    const events = this.events;
    const buffers = this.buffers;
    const first = this.first;
    this.events = [];
    this.buffers = [];
    this.pendingBytes = 0;
    this.first = this.seq;
    const socket = this.socket;
    this.post(
      {
        type: "batch",
        client: this.client,
        gen: this.gen,
        first,
        visible: pageVisible(),
        running: socket?.running ?? false,
        status: this.local.status,
        error: this.local.error,
        events,
      },
      buffers,
    );
  }

  private post(content: Content, buffers: ArrayBuffer[] = []): void {
    // A failure is logged; the kernel sees the gap in the numbering and counts what was lost.
    if (!this.controller.signal.aborted) post(this.model, content, buffers);
  }
}
