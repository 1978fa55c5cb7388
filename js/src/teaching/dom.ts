// DOM helpers for the teaching views. Data from the kernel only ever goes through textContent.
import type { AnyModel } from "@anywidget/types";

export type Model = AnyModel<Record<string, unknown>>;

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

/** Watch traits: calls `fn` now and on each change, until `signal` aborts. */
export function watch(model: Model, names: string[], fn: () => void, signal: AbortSignal): void {
  for (const name of names) {
    const cb = (): void => fn();
    model.on(`change:${name}`, cb);
    signal.addEventListener("abort", () => model.off(`change:${name}`, cb), { once: true });
  }
  fn();
}

type Reply = Record<string, unknown>;
let nextId = 1;

/** Custom-message request/response with an id; the promise rejects with the kernel's error. */
export function request(model: Model, content: Reply, signal: AbortSignal, timeoutMs = 15_000): Promise<Reply> {
  const id = `iws-t-${nextId++}`;
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(() => {
      done();
      reject(new Error(`no answer from the kernel within ${timeoutMs / 1000} s (is it busy?)`));
    }, timeoutMs);
    const onMsg = (msg: unknown): void => {
      const m = msg as Reply;
      if (!m || m["id"] !== id) return;
      done();
      if (typeof m["error"] === "string") reject(new Error(m["error"]));
      else resolve(m);
    };
    const done = (): void => {
      window.clearTimeout(timer);
      model.off("msg:custom", onMsg);
    };
    model.on("msg:custom", onMsg);
    signal.addEventListener("abort", done, { once: true });
    model.send({ ...content, id });
  });
}

/** A close control: code select + reason + button; sends {type: "close", code, reason}. */
export function closeControl(model: Model, codes: number[], signal: AbortSignal): HTMLElement {
  const box = h("div", "iws-t-closectl");
  const select = h("select", "iws-t-close-code");
  for (const code of codes) {
    const opt = h("option", "", String(code));
    opt.value = String(code);
    select.appendChild(opt);
  }
  const reason = h("input", "iws-t-close-reason");
  reason.placeholder = "reason (≤ 123 bytes)";
  reason.maxLength = 123;
  const button = h("button", "iws-t-button iws-t-close-button", "Close with this code");
  const out = h("span", "iws-t-closectl-out");
  button.addEventListener(
    "click",
    () => {
      out.textContent = "closing…";
      request(model, { type: "close", code: Number(select.value), reason: reason.value }, signal)
        .then((r) => (out.textContent = `closed with ${str(r["closed"])}`))
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
      span.dataset["field"] = fieldClass(f[0]);
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
