// The browser-side connection of a mode="browser" widget: open, reconnect with
// backoff, a bounded send queue, close. It knows nothing of models or views.
import type { Status } from "./types";

export interface Backoff {
  initial: number;
  factor: number;
  max_delay: number;
  max_attempts: number | null;
  jitter: number;
  stable?: number; // seconds (Backoff.stable); 5 when an older kernel does not say
}

export interface SocketConfig {
  url: string;
  protocols: string[];
  reconnect: Backoff | null;
  sendQueue: number;
  /** Largest incoming message in bytes; a larger one ends the connection (1009). */
  maxSize: number;
  /** The kernel has on_open hooks: hold the queue after each open until it says they are done. */
  hooks?: boolean;
  /** Seconds the hooks may hold the queue (the kernel's open_timeout). */
  hooksTimeout?: number;
}

export type Payload = string | ArrayBuffer;

export interface SocketEvents {
  status(status: Status, error: string): void;
  /** The `n`-th open of this socket; `held`: the queue waits for the kernel's on_open hooks. */
  open(subprotocol: string, n: number, held: boolean): void;
  message(data: Payload, time: number): void;
  sent(data: Payload, time: number, ref: number | null): void;
  /** A send that did not go out (queue full, or the connection ended first). */
  refused(ref: number | null, error: string): void;
  /** The connection ended for good. */
  closed(code: number | null, reason: string, error: string): void;
}

// Close codes after which a connection that was open is retried (as in kernel mode).
const RECONNECT_CODES = new Set([1001, 1006, 1011, 1012, 1013, 1014]);

/**
 * The backoff starts again from its first delay only after a connection stayed open this
 * long: max(Backoff.stable (5 s), twice the last delay). A server that accepts then closes
 * at once is retried with growing delays, and max_attempts ends it (the kernel's client
 * does the same).
 */
export function stableAfterMs(lastDelaySeconds: number, stableSeconds = 5): number {
  return Math.max(1000 * stableSeconds, 2000 * lastDelaySeconds);
}

const LOCAL_HOSTS = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|::1|.*\.localhost)$/i;
const PRIVATE_HOSTS =
  /^(10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|169\.254\.\d+\.\d+|.*\.local|\[f[cd][0-9a-f]*:.*\])$/i;

/** 0 = public, 1 = private network, 2 = this machine (Chromium's Local Network Access order). */
function addressSpace(host: string): number {
  if (LOCAL_HOSTS.test(host)) return 2;
  if (PRIVATE_HOSTS.test(host)) return 1;
  return 0;
}

/** Why a connection may have failed before opening: the browser never says. */
export function failureText(url: string, pageHost: string): string {
  let target = "";
  try {
    target = new URL(url).hostname;
  } catch {
    return `the browser could not open ${url}`;
  }
  const base =
    `the browser could not open the connection to ${target} (refused, unreachable, not a ` +
    "WebSocket server, or blocked by the browser: pages are not told which; the browser's " +
    "console has the details)";
  if (addressSpace(target) > addressSpace(pageHost)) {
    const where = addressSpace(target) === 2 ? "this computer" : "your local network";
    return (
      `${base}. This page comes from ${pageHost}, and ${target} is on ${where}: ` +
      "Chromium-based browsers block such connections (Local Network Access) unless the site " +
      "is allowed to reach local devices (the prompt, or the site settings). Open JupyterLab " +
      "from a local address (http://127.0.0.1 or localhost), allow the site, or use " +
      "mode='kernel' so the kernel connects"
    );
  }
  return base;
}

function describeClose(code: number, reason: string): string {
  return `code ${code}${reason ? ` (${reason})` : ""}`;
}

function payloadSize(data: Payload): number {
  return typeof data === "string" ? new TextEncoder().encode(data).length : data.byteLength;
}

/** Whether `data` is over `max` bytes, without encoding a string that clearly fits. */
export function overSize(data: Payload, max: number): boolean {
  if (typeof data !== "string") return data.byteLength > max;
  if (data.length > max) return true; // at least one byte per UTF-16 unit
  if (data.length * 3 <= max) return false; // at most three bytes per UTF-16 unit
  return payloadSize(data) > max;
}

/** Why a too-big message ended the connection (as kernel mode says it). */
export function tooBigText(size: number, max: number): string {
  return (
    `a message of ${size} bytes arrived, larger than max_size=${max} bytes; the connection was ` +
    "closed with 1009 (message too big). Pass a larger max_size= (at most 8 MiB in " +
    "mode='browser'; mode='kernel' takes any size)"
  );
}

// The page waits this much longer than the kernel's own limit for the hooks: the kernel
// starts counting when it hears of the open, and its word says more than ours.
const HOLD_MARGIN_MS = 2000;

/** Why the page stopped holding its queue for on_open hooks that never reported done. */
export function holdExpiredText(seconds: number): string {
  return (
    `the on_open hooks did not report done within ${seconds.toFixed(0)} s of the open (the ` +
    "kernel may be busy running a cell and not hear the browser until it ends); the messages " +
    "queued while away go out now"
  );
}

export class BrowserSocket {
  status: Status = "closed";
  private ws: WebSocket | null = null;
  private readonly queue: { data: Payload; ref: number | null }[] = [];
  private everOpen = false;
  private attempt = 0;
  private lastDelay = 0; // seconds waited before the current attempt
  private retryTimer = 0;
  private tooBig = ""; // why we closed: a message over max_size
  private closing = false;
  private ended = false;
  /** Opens so far; the kernel's hook sends name the open they belong to. */
  private opens = 0;
  private holding = 0; // the open whose queue waits for the kernel's on_open hooks (0: none)
  private holdUntil = 0; // performance.now() when the page stops waiting for them
  private holdTimer = 0;

  constructor(
    private readonly config: SocketConfig,
    private readonly events: SocketEvents,
  ) {}

  /** Whether the connection is open or trying to open. */
  get running(): boolean {
    return !this.ended && this.status !== "closed";
  }

  open(): void {
    this.setStatus("connecting", "");
    this.dial();
  }

  /**
   * Sends now when open, else queues (bounded); returns an error text or null.
   * `first`: sent by the kernel's on_open hooks for open number `first`: it goes out at
   * once, ahead of the held queue, or is refused if that connection is gone.
   */
  send(data: Payload, ref: number | null = null, first: number | null = null): string | null {
    this.releaseIfDue();
    if (!this.running || this.closing) {
      const error = "the connection is closed";
      this.events.refused(ref, error);
      return error;
    }
    const open = this.ws !== null && this.ws.readyState === WebSocket.OPEN;
    if (first !== null) {
      if (open && first === this.opens && this.ws) {
        this.ws.send(data);
        this.events.sent(data, Date.now(), ref);
        return null;
      }
      const error = "an on_open hook sent this for a connection that closed before it went out";
      this.events.refused(ref, error);
      return error;
    }
    if (open && this.ws && this.holding === 0) {
      this.ws.send(data);
      this.events.sent(data, Date.now(), ref);
      return null;
    }
    if (this.queue.length >= this.config.sendQueue) {
      const error = `${this.queue.length} messages already wait for the connection (send_queue)`;
      this.events.refused(ref, error);
      return error;
    }
    this.queue.push({ data, ref });
    return null;
  }

  /** Whether to hold the queue after the next opens for the kernel's on_open hooks. */
  setHooks(wanted: boolean, timeoutSeconds: number): void {
    this.config.hooks = wanted;
    this.config.hooksTimeout = timeoutSeconds;
  }

  /** The kernel's on_open hooks for open `n` are done: the held queue goes out. */
  release(n: number): boolean {
    if (this.holding === 0 || this.holding !== n) return false;
    this.holding = 0;
    window.clearTimeout(this.holdTimer);
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      for (const item of this.queue.splice(0)) {
        ws.send(item.data);
        this.events.sent(item.data, Date.now(), item.ref);
      }
    }
    return true;
  }

  /** The hooks had their time (the page's timers may run late: checked on events too). */
  private releaseIfDue(): void {
    if (this.holding === 0 || performance.now() < this.holdUntil) return;
    const seconds = (this.config.hooksTimeout ?? 10) + HOLD_MARGIN_MS / 1000;
    if (this.release(this.holding)) this.setStatus(this.status, holdExpiredText(seconds));
  }

  close(code = 1000, reason = ""): void {
    if (this.ended) return;
    this.closing = true;
    window.clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) {
      this.setStatus("closing", "");
      try {
        ws.close(code, reason);
      } catch (exc) {
        ws.close();
        console.warn("[ipywebsockets] close code refused by the browser:", exc);
      }
      return;
    }
    this.end(null, "", "");
  }

  /** Ends at once (the model went away): no more events. */
  dispose(): void {
    this.ended = true;
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.holdTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
        ws.close(1000, "widget closed");
      }
    }
  }

  private setStatus(status: Status, error: string): void {
    this.status = status;
    this.events.status(status, error);
  }

  private dial(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.config.url, this.config.protocols);
    } catch (exc) {
      // SyntaxError: bad URL or protocol names; SecurityError: a blocked port.
      this.end(
        null,
        "",
        `the browser refused to open ${this.config.url}: ${exc instanceof Error ? exc.message : String(exc)}`,
      );
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    let opened = false;
    let openedAt = 0;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      openedAt = performance.now();
      this.everOpen = true;
      this.opens += 1;
      window.clearTimeout(this.holdTimer);
      this.holding = this.config.hooks === true && !this.closing ? this.opens : 0;
      if (this.holding !== 0) {
        const wait = 1000 * (this.config.hooksTimeout ?? 10) + HOLD_MARGIN_MS;
        this.holdUntil = openedAt + wait;
        this.holdTimer = window.setTimeout(() => this.releaseIfDue(), wait);
      }
      this.events.open(ws.protocol, this.opens, this.holding !== 0);
      this.setStatus("open", "");
      if (this.closing) {
        ws.close(1000, "");
        return;
      }
      if (this.holding !== 0) return; // the kernel's on_open hooks go first
      for (const item of this.queue.splice(0)) {
        ws.send(item.data);
        this.events.sent(item.data, Date.now(), item.ref);
      }
    };
    ws.onmessage = (event: MessageEvent) => {
      if (this.ws !== ws || this.tooBig) return;
      this.releaseIfDue();
      const data = event.data as Payload;
      if (overSize(data, this.config.maxSize)) this.refuseTooBig(ws, payloadSize(data));
      else this.events.message(data, Date.now());
    };
    ws.onclose = (event: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.holding = 0; // the queue waits for the next open (and its hooks)
      window.clearTimeout(this.holdTimer);
      const stable = this.config.reconnect?.stable;
      if (opened && performance.now() - openedAt >= stableAfterMs(this.lastDelay, stable)) {
        this.attempt = 0; // it stayed up: a new failure starts the backoff again
        this.lastDelay = 0;
      }
      this.onClosed(ws, opened, event);
    };
  }

  /**
   * A message over max_size: not delivered; the connection ends for good, reported as
   * 1009 like kernel mode. Pages may close only with 1000 or 3000-4999, so the server
   * sees 1000 with the reason "message too big".
   */
  private refuseTooBig(ws: WebSocket, size: number): void {
    this.tooBig = tooBigText(size, this.config.maxSize);
    this.closing = true;
    window.clearTimeout(this.retryTimer);
    this.setStatus("closing", "");
    ws.close(1000, "message too big");
  }

  private onClosed(ws: WebSocket, opened: boolean, event: CloseEvent): void {
    const code = event.code === 1005 ? null : event.code;
    if (this.tooBig) {
      this.end(1009, "message too big", this.tooBig);
      return;
    }
    if (this.closing) {
      this.end(code, event.reason, "");
      return;
    }
    if (!opened && !this.everOpen) {
      // The first connection failed: final, as in kernel mode.
      this.end(null, "", failureText(this.config.url, window.location.hostname));
      return;
    }
    if (opened && this.config.protocols.length > 0 && ws.protocol === "") {
      this.end(
        code,
        event.reason,
        `the server accepted none of the subprotocols ${JSON.stringify(this.config.protocols)}; check protocols=`,
      );
      return;
    }
    const why = opened
      ? `connection lost: ${describeClose(event.code, event.reason)}`
      : failureText(this.config.url, window.location.hostname);
    const retriable = opened ? RECONNECT_CODES.has(event.code) : true;
    const backoff = this.config.reconnect;
    const next = this.attempt + 1;
    if (!retriable || !backoff || (backoff.max_attempts !== null && next > backoff.max_attempts)) {
      this.end(code, event.reason, opened ? (retriable ? why : "") : why);
      return;
    }
    this.attempt = next;
    const base = Math.min(backoff.max_delay, backoff.initial * backoff.factor ** (next - 1));
    const delay = base * (1 + backoff.jitter * (Math.random() * 2 - 1));
    this.lastDelay = delay;
    this.setStatus("reconnecting", `${why}; retry ${next} in ${delay.toFixed(1)} s`);
    this.retryTimer = window.setTimeout(() => {
      if (!this.closing && !this.ended) this.dial();
    }, delay * 1000);
  }

  private end(code: number | null, reason: string, error: string): void {
    if (this.ended) return;
    this.ended = true;
    this.ws = null;
    this.holding = 0;
    window.clearTimeout(this.holdTimer);
    let why = error;
    if (this.queue.length > 0) {
      const refused = this.queue.splice(0);
      why = why || `${refused.length} queued messages were not sent: the connection closed first`;
      for (const item of refused) this.events.refused(item.ref, "the connection closed first");
    }
    this.status = "closed";
    this.events.closed(code, reason, why);
  }
}

export { payloadSize };
