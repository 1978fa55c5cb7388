// DOM helpers for the teaching views, and their requests to the kernel (through
// model.ts). Data from the kernel only ever goes through textContent.
import { utf8Length } from "../format";
import { type Content, type Messenger, Requests } from "../model";

export type { Content };

/** Asks the kernel; resolves with its reply, rejects with its error (or after 15 s). */
export type Ask = (content: Content & { type: string }) => Promise<Content>;

/** Requests of one teaching view: the kernel answers `{type}` with the same type and id. */
export function asker(model: Messenger, signal: AbortSignal, timeoutMs = 15_000): Ask {
  const requests = new Requests(model, signal, { idPrefix: "iws-t-", closed: "the view was closed" });
  return (content) => requests.request(content, { reply: content.type, timeoutMs }).then((reply) => reply.content);
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = "",
  text?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function str(v: unknown): string {
  return v === null || v === undefined ? "" : String(v);
}

export function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

const MAX_REASON_BYTES = 123; // RFC 6455: a close frame's payload is at most 125 bytes

/** What is wrong with a close reason, or "" (the limit is in UTF-8 bytes, not characters). */
export function reasonProblem(reason: string): string {
  const bytes = utf8Length(reason);
  return bytes > MAX_REASON_BYTES
    ? `the reason is ${bytes} bytes of UTF-8; a close reason may have at most ${MAX_REASON_BYTES}`
    : "";
}

/**
 * A close control: code select + reason + button; sends {type: "close", code, reason}.
 * The reason is counted in UTF-8 bytes (an input's maxLength counts UTF-16 units, so 123
 * characters of "é", 246 bytes, would pass it): too long, the button is disabled, the
 * problem is shown, and nothing reaches the kernel.
 */
export function closeControl(ask: Ask, codes: number[], signal: AbortSignal): HTMLElement {
  const box = h("div", "iws-t-closectl");
  const select = h("select", "iws-t-close-code");
  for (const code of codes) {
    const opt = h("option", "", String(code));
    opt.value = String(code);
    select.appendChild(opt);
  }
  const reason = h("input", "iws-t-close-reason");
  reason.placeholder = "reason (≤ 123 bytes)";
  const button = h("button", "iws-t-button iws-t-close-button", "Close with this code");
  const out = h("span", "iws-t-closectl-out");
  const check = (): string => {
    const problem = reasonProblem(reason.value);
    button.disabled = problem !== "";
    reason.setCustomValidity(problem);
    if (problem || out.dataset.reasonProblem) out.textContent = problem;
    out.dataset.reasonProblem = problem ? "1" : "";
    return problem;
  };
  reason.addEventListener("input", check, { signal });
  button.addEventListener(
    "click",
    () => {
      if (check()) return;
      out.textContent = "closing…";
      ask({ type: "close", code: Number(select.value), reason: reason.value })
        .then((r) => (out.textContent = `closed with ${str(r.closed)}`))
        .catch((e: Error) => (out.textContent = e.message));
    },
    { signal },
  );
  box.append(h("span", "iws-t-label", "Close:"), select, reason, button, out);
  return box;
}

/** Hex bytes with the byte range [start, end) of each field marked by a class. */
export function hexBytes(hex: string, fields: [string, number, number][]): HTMLElement {
  const box = h("div", "iws-t-hex");
  const bytes = hex.split(" ").filter((b) => b.length > 0);
  bytes.forEach((b, i) => {
    const span = h("span", "iws-t-byte", b);
    const f = fields.find(([, s, e]) => i >= s && i < e);
    if (f) {
      span.dataset.field = fieldClass(f[0]);
      span.title = f[0];
    }
    box.appendChild(span);
  });
  return box;
}

export function fieldClass(name: string): string {
  if (name.startsWith("extended length")) return "length";
  if (["FIN", "RSV1", "RSV2", "RSV3", "opcode"].includes(name)) return "b0";
  if (name === "MASK" || name === "payload length") return "b1";
  if (name === "masking key") return "key";
  return "payload";
}
