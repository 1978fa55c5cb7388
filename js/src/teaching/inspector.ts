// Every frame on the wire, both directions; frames arrive in batches (custom messages).
import { utf8Length } from "../format";
import { get, type Model, onMessage, watch } from "../model";
import type { InspectorTraits } from "../traits";
import { asker, closeControl, h, num, str } from "./dom";
import { type FrameInfo, frameCard } from "./frame";

const CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 4000];
const MAX_REASON_BYTES = 123; // RFC 6455: a close frame's payload is at most 125 bytes

/** What is wrong with a close reason, or "" (the limit is in UTF-8 bytes, not characters). */
export function reasonProblem(reason: string): string {
  const bytes = utf8Length(reason);
  return bytes > MAX_REASON_BYTES
    ? `the reason is ${bytes} bytes of UTF-8; a close reason may have at most ${MAX_REASON_BYTES}`
    : "";
}

/**
 * Makes a close control count its reason in UTF-8 bytes: an input's maxLength counts
 * UTF-16 units, so 123 characters of "é" (246 bytes) would pass it. Too long, the button
 * is disabled and a click never reaches the kernel.
 */
function limitReasonBytes(control: HTMLElement, signal: AbortSignal): void {
  const input = control.querySelector<HTMLInputElement>(".iws-t-close-reason");
  const button = control.querySelector<HTMLButtonElement>(".iws-t-close-button");
  const out = control.querySelector<HTMLElement>(".iws-t-closectl-out");
  if (!input || !button || !out) return;
  input.removeAttribute("maxlength");
  const check = (): string => {
    const problem = reasonProblem(input.value);
    button.disabled = problem !== "";
    input.setCustomValidity(problem);
    if (problem || out.dataset.reasonProblem) out.textContent = problem;
    out.dataset.reasonProblem = problem ? "1" : "";
    return problem;
  };
  input.addEventListener("input", check, { signal });
  // Capture on the box runs before the button's own click handler.
  control.addEventListener(
    "click",
    (event) => {
      if (event.target === button && check()) event.stopImmediatePropagation();
    },
    { signal, capture: true },
  );
}

export function renderInspector(model: Model<InspectorTraits>, el: HTMLElement, signal: AbortSignal): void {
  const ask = asker(model, signal);
  const root = h("div", "iws-t iws-t-inspector");
  el.appendChild(root);
  root.appendChild(h("div", "iws-t-title", "Frame inspector"));
  const stats = h("div", "iws-t-stats");
  const note = h("div", "iws-t-note iws-t-inspector-note");
  const controls = h("div", "iws-t-controls");
  const ping = h("button", "iws-t-button iws-t-ping", "Send ping");
  const rtt = h("span", "iws-t-rtt");
  ping.addEventListener(
    "click",
    () => {
      rtt.textContent = "…";
      ask({ type: "ping", payload: "hello" })
        .then((r) => (rtt.textContent = `pong after ${(num(r.rtt) * 1000).toFixed(2)} ms`))
        .catch((e: Error) => (rtt.textContent = e.message));
    },
    { signal },
  );
  const close = closeControl(ask, CLOSE_CODES, signal);
  limitReasonBytes(close, signal);
  controls.append(ping, rtt, close);
  const list = h("div", "iws-t-frames");
  root.append(stats, note, controls, list);

  watch(
    model,
    ["frames_seen", "skipped", "evicted", "bytes_out", "bytes_in", "compressed", "note", "attempt", "close_code"],
    () => {
      const parts = [
        `connection #${num(get(model, "attempt"))}`,
        `${num(get(model, "frames_seen"))} frames`,
        `${num(get(model, "bytes_out"))} B sent`,
        `${num(get(model, "bytes_in"))} B received (handshake included)`,
      ];
      if (get(model, "compressed")) parts.push("permessage-deflate on: data frames travel compressed (RSV1)");
      const skipped = num(get(model, "skipped"));
      const evicted = num(get(model, "evicted"));
      if (skipped) parts.push(`${skipped} not shown (too fast for the view)`);
      if (evicted) parts.push(`${evicted} no longer kept by the kernel`);
      const code = get(model, "close_code");
      if (code !== null && code !== undefined) parts.push(`closed with ${str(code)}`);
      stats.textContent = parts.join(" · ");
      note.textContent = str(get(model, "note"));
    },
    signal,
  );

  const maxRows = (): number => Math.max(1, num(get(model, "rows")) || 200);
  const add = (frames: (FrameInfo | { reset: number })[]): void => {
    for (const f of frames) {
      if ("reset" in f) {
        list.appendChild(h("div", "iws-t-reset", `— connection #${f.reset} —`));
        continue;
      }
      list.appendChild(frameCard(f, false));
    }
    while (list.children.length > maxRows()) list.firstChild?.remove();
  };
  onMessage(
    model,
    (m) => {
      if (m.type === "frames" && Array.isArray(m.frames)) add(m.frames as FrameInfo[]);
    },
    signal,
  );
  ask({ type: "snapshot" })
    .then((r) => {
      if (Array.isArray(r.frames)) add(r.frames as FrameInfo[]);
    })
    .catch((e: Error) => {
      if (!signal.aborted) console.warn("[ipywebsockets] inspector snapshot:", e.message);
    });
}
