// The close-code table, the connection's own code highlighted, and a close control.
import { get, type Model, watch } from "../model";
import type { CloseCodesTraits } from "../traits";
import { asker, clear, closeControl, h, str } from "./dom";

export function renderCloseCodes(model: Model<CloseCodesTraits>, el: HTMLElement, signal: AbortSignal): void {
  const root = h("div", "iws-t iws-t-closecodes");
  el.appendChild(root);
  root.appendChild(h("div", "iws-t-title", "Close codes (RFC 6455 §7.4)"));
  const status = h("div", "iws-t-stats");
  const table = h("table", "iws-t-codes");
  root.append(status, table);
  const sendable = (get(model, "sendable") as number[]) ?? [];
  if (sendable.length && get(model, "status") !== undefined && str(get(model, "status"))) {
    root.appendChild(closeControl(asker(model, signal), sendable, signal));
  }
  watch(
    model,
    ["codes", "close_code", "close_reason", "status"],
    () => {
      clear(table);
      const code = get(model, "close_code") as number | null;
      const head = h("tr");
      for (const c of ["code", "name", "meaning"]) head.appendChild(h("th", "", c));
      table.appendChild(head);
      for (const [c, name, meaning] of (get(model, "codes") as [number, string, string][]) ?? []) {
        const tr = h("tr", "iws-t-code");
        tr.dataset.code = String(c);
        const mine = code !== null && (code === c || (c >= 3000 && code >= c && code < c + 1000));
        if (mine) tr.dataset.current = "true";
        tr.append(h("td", "", String(c)), h("td", "", name), h("td", "", meaning));
        table.appendChild(tr);
      }
      const st = str(get(model, "status"));
      status.textContent =
        code === null || code === undefined
          ? st
            ? `connection ${st}: no close code yet`
            : "a reference table"
          : `this connection ended with ${code}${get(model, "close_reason") ? `: ${str(get(model, "close_reason"))}` : ""}`;
    },
    signal,
  );
}
