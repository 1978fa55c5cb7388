// Pure formatting helpers: no DOM, no model.

/** Coerces a wire value to a finite number, or `fallback`. */
export function toNumber(value: unknown, fallback = 0): number {
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : fallback;
}

/** Coerces a wire value to a string; null and undefined become "". */
export function toText(value: unknown): string {
  return value == null ? "" : String(value);
}

/** Plain digits, no locale grouping, so tests and scripts can parse them. */
export function formatCount(value: unknown): string {
  return String(Math.trunc(toNumber(value)));
}

/** Digits grouped with commas, for prose only (never for counters). */
export function groupDigits(value: number): string {
  return String(Math.trunc(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(value: unknown): string {
  let n = Math.max(0, toNumber(value));
  if (n < 1024) return `${Math.trunc(n)} B`;
  let unit = 0;
  while (n >= 1024 && unit < BYTE_UNITS.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${BYTE_UNITS[unit]}`;
}

export function formatRate(value: unknown): string {
  const n = Math.max(0, toNumber(value));
  return `${n < 100 ? n.toFixed(1) : Math.round(n)}/s`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Local wall-clock time as HH:MM:SS.mmm. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return "--:--:--.---";
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

const CLOSE_CODES: Record<number, string> = {
  1000: "normal closure",
  1001: "going away",
  1002: "protocol error",
  1003: "unsupported data",
  1005: "no status code received",
  1006: "connection lost without a close frame",
  1007: "invalid payload data",
  1008: "policy violation",
  1009: "message too big",
  1010: "mandatory extension missing",
  1011: "internal server error",
  1012: "service restart",
  1013: "try again later",
  1014: "bad gateway",
  1015: "TLS handshake failure",
};

export function closeCodeName(code: number): string {
  if (CLOSE_CODES[code]) return CLOSE_CODES[code];
  if (code >= 3000 && code < 4000) return "registered application code";
  if (code >= 4000 && code < 5000) return "private application code";
  return "unknown close code";
}

/** "closed 1000 reason", or "" while the socket has not closed. */
export function formatClose(code: unknown, reason: unknown): string {
  if (code == null) return "";
  const text = toText(reason);
  return `closed ${formatCount(code)}${text ? ` ${text}` : ""}`;
}

export function formatOmitted(count: number): string {
  const noun = count === 1 ? "message" : "messages";
  return `${groupDigits(count)} earlier ${noun} not shown (kept in ws.messages)`;
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${groupDigits(count)} ${count === 1 ? singular : pluralForm}`;
}

const PREVIEW_CHARS = 500;
const PREVIEW_BYTES = 48;

/** UTF-8 length of a string without allocating (lone surrogates count 3, as encoders do). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i += 1;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** The one-line preview of a message, as the kernel makes it: compact JSON, hex for binary. */
export function previewPayload(data: string | ArrayBuffer): { text: string; json: boolean } {
  if (typeof data !== "string") {
    const bytes = new Uint8Array(data, 0, Math.min(PREVIEW_BYTES, data.byteLength));
    const head = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
    const more = data.byteLength - PREVIEW_BYTES;
    return { text: more > 0 ? `${head} … (+${more} bytes)` : head, json: false };
  }
  let text = data;
  let json = false;
  if (text.length <= 20 * PREVIEW_CHARS && (text[0] === "{" || text[0] === "[")) {
    try {
      text = JSON.stringify(JSON.parse(text));
      json = true;
    } catch {
      // not JSON: shown as it came
    }
  }
  if (text.length > PREVIEW_CHARS) {
    text = `${text.slice(0, PREVIEW_CHARS)}… (+${text.length - PREVIEW_CHARS} chars)`;
  }
  return { text, json };
}

/** Events per second over a sliding window of whole seconds (as the kernel's RateMeter). */
export class RateMeter {
  private readonly buckets = new Map<number, number>();
  private first: number | null = null;

  constructor(private readonly window = 5) {}

  add(nowSeconds: number, n = 1): void {
    if (this.first === null) this.first = nowSeconds;
    const second = Math.floor(nowSeconds);
    this.buckets.set(second, (this.buckets.get(second) ?? 0) + n);
    if (this.buckets.size > this.window + 2) {
      for (const key of this.buckets.keys()) if (key < second - this.window - 1) this.buckets.delete(key);
    }
  }

  rate(nowSeconds: number): number {
    const second = Math.floor(nowSeconds);
    const start = second - this.window + 1;
    let count = 0;
    for (const [s, n] of this.buckets) if (s >= start && s <= second) count += n;
    if (count === 0 || this.first === null) return 0;
    const span = Math.min(this.window - 1 + (nowSeconds - second), Math.max(nowSeconds - this.first, 1));
    return count / span;
  }
}

/** A classic hex dump: offset, 16 bytes in hex, their ASCII (dots for the rest). */
export function hexDump(bytes: Uint8Array, limit = 64 * 1024): string {
  const n = Math.min(bytes.length, limit);
  const lines: string[] = [];
  for (let offset = 0; offset < n; offset += 16) {
    let hex = "";
    let ascii = "";
    for (let i = 0; i < 16; i++) {
      if (offset + i < n) {
        const b = bytes[offset + i] as number;
        hex += `${b.toString(16).padStart(2, "0")} `;
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
      } else hex += "   ";
      if (i === 7) hex += " ";
    }
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex} |${ascii}|`);
  }
  if (bytes.length > n) lines.push(`… ${groupDigits(bytes.length - n)} more bytes (Copy copies them all)`);
  return lines.join("\n");
}

/** Bytes as plain hex pairs separated by spaces. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Hex text ("00 ff", "00ff", "0x00, 0xff") to bytes; throws with the reason when it is not hex. */
export function parseHex(text: string): Uint8Array {
  const digits = text.replace(/0x/gi, "").replace(/[\s,:;-]+/g, "");
  const bad = digits.search(/[^0-9a-f]/i);
  if (bad >= 0) throw new Error(`not hex: ${JSON.stringify(digits[bad])} is not a hex digit`);
  if (digits.length % 2 !== 0) throw new Error(`not hex: ${digits.length} digits, an odd number (two per byte)`);
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
