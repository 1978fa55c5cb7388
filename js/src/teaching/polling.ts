// Push versus polling: latency per event and bytes per event, as measured in the kernel.
import { get, type Model, watch } from "../model";
import type { PollingTraits } from "../traits";
import { asker, clear, h, num, str } from "./dom";

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

type Side = Record<string, unknown>;

function chart(polling: number[], push: number[]): SVGSVGElement {
  const w = 560,
    hgt = 200,
    pad = 36;
  const root = svg("svg", { viewBox: `0 0 ${w} ${hgt}`, class: "iws-t-chart", role: "img" });
  const max = Math.max(1, ...polling, ...push);
  const n = Math.max(polling.length, push.length, 2);
  const x = (i: number): number => pad + (i / (n - 1)) * (w - 2 * pad);
  const y = (v: number): number => hgt - pad - (v / max) * (hgt - 2 * pad);
  root.appendChild(svg("line", { x1: pad, y1: hgt - pad, x2: w - pad, y2: hgt - pad, class: "iws-t-axis" }));
  root.appendChild(svg("line", { x1: pad, y1: pad, x2: pad, y2: hgt - pad, class: "iws-t-axis" }));
  const top = svg("text", { x: 2, y: pad, class: "iws-t-axis-label" });
  top.textContent = `${max.toFixed(0)} ms`;
  const bottom = svg("text", { x: pad, y: hgt - 8, class: "iws-t-axis-label" });
  bottom.textContent = "events in order →";
  root.append(top, bottom);
  for (const [values, cls] of [
    [polling, "iws-t-series-polling"],
    [push, "iws-t-series-push"],
  ] as const) {
    const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    root.appendChild(svg("polyline", { points, class: cls, fill: "none" }));
  }
  return root;
}

export function renderPolling(model: Model<PollingTraits>, el: HTMLElement, signal: AbortSignal): void {
  const ask = asker(model, signal);
  const root = h("div", "iws-t iws-t-polling");
  el.appendChild(root);
  root.appendChild(h("div", "iws-t-title", "Push versus polling, measured"));
  const params = h("div", "iws-t-stats");
  const run = h("button", "iws-t-button iws-t-run", "Run");
  const state = h("span", "iws-t-badge iws-t-lab-state");
  const out = h("div", "iws-t-lab-results");
  const controls = h("div", "iws-t-controls");
  controls.append(run, state);
  root.append(params, controls, out);
  run.addEventListener(
    "click",
    () => {
      ask({ type: "run" }).catch((e: Error) => (state.textContent = e.message));
    },
    { signal },
  );
  watch(
    model,
    ["events", "rate", "interval", "state", "error", "results"],
    () => {
      params.textContent = `${num(get(model, "events"))} events at ${num(get(model, "rate"))}/s; HTTP polls every ${num(get(model, "interval"))} s; the WebSocket pushes each event as it happens`;
      const st = str(get(model, "state"));
      state.textContent = st === "error" ? `error: ${str(get(model, "error"))}` : st;
      state.dataset.state = st;
      run.disabled = st === "running";
      clear(out);
      const r = (get(model, "results") ?? {}) as Record<string, unknown>;
      const poll = r.polling as Side | undefined;
      const push = r.push as Side | undefined;
      if (!poll || !push) return;
      const table = h("table", "iws-t-lab-table");
      const head = h("tr");
      for (const c of ["", "median latency", "95th pct", "bytes on the wire / event", "requests (empty)", "setup"])
        head.appendChild(h("th", "", c));
      table.appendChild(head);
      const row = (name: string, s: Side, cls: string): void => {
        const tr = h("tr", cls);
        tr.append(
          h("td", "", name),
          h("td", "iws-t-median", `${num(s.median_ms).toFixed(2)} ms`),
          h("td", "", `${num(s.p95_ms).toFixed(2)} ms`),
          h("td", "iws-t-per-event", `${num(s.bytes_per_event).toFixed(1)} B`),
          h("td", "", s.requests ? `${num(s.requests)} (${num(s.empty)})` : "—"),
          h("td", "", s.setup_bytes ? `${num(s.setup_bytes)} B handshake, once` : "—"),
        );
        table.appendChild(tr);
      };
      row("HTTP polling", poll, "iws-t-row-polling");
      row("WebSocket push", push, "iws-t-row-push");
      out.appendChild(table);
      out.appendChild(h("div", "iws-t-label", "Delivery latency per event (ms): polling (dashed) vs push (solid)"));
      out.appendChild(chart((poll.latency_ms as number[]) ?? [], (push.latency_ms as number[]) ?? []));
    },
    signal,
  );
}
