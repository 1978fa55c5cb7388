// Every frame on the wire, both directions; frames arrive in batches (custom messages).
import { get, type Model, onMessage, watch } from "../model";
import type { InspectorTraits } from "../traits";
import { asker, closeControl, h, num, str } from "./dom";
import { type FrameInfo, frameCard } from "./frame";

const CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 4000];
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
