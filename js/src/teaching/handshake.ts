// The opening handshake: request, response, Accept computation, negotiation.
import { get, type Model, watch } from "../model";
import type { HandshakeTraits } from "../traits";
import { clear, h, str } from "./dom";

const TRAITS: (keyof HandshakeTraits & string)[] = [
  "state",
  "source",
  "attempt",
  "request_line",
  "request_headers",
  "response_line",
  "response_headers",
  "response_body",
  "status_code",
  "explanation",
  "accept",
  "subprotocol",
  "extensions",
  "redacted",
  "error",
  "url",
];

function headBlock(cls: string, title: string, line: string, headers: string[][]): HTMLElement {
  const box = h("div", `iws-t-head ${cls}`);
  box.appendChild(h("div", "iws-t-subtitle", title));
  const pre = h("pre", "iws-t-http");
  pre.appendChild(h("span", "iws-t-http-line", `${line}\n`));
  for (const [name, value] of headers) {
    const row = h("span", "iws-t-http-header");
    row.dataset.name = str(name).toLowerCase();
    row.append(h("b", "", `${str(name)}:`), document.createTextNode(` ${str(value)}\n`));
    pre.appendChild(row);
  }
  box.appendChild(pre);
  return box;
}

export function renderHandshake(model: Model<HandshakeTraits>, el: HTMLElement, signal: AbortSignal): void {
  const root = h("div", "iws-t iws-t-handshake");
  el.appendChild(root);
  watch(
    model,
    TRAITS,
    () => {
      clear(root);
      const state = str(get(model, "state"));
      root.dataset.state = state;
      const title = h("div", "iws-t-title", `Opening handshake · ${str(get(model, "url"))}`);
      const badge = h("span", "iws-t-badge iws-t-hs-state", state);
      badge.dataset.state = state;
      title.appendChild(badge);
      root.appendChild(title);
      const reqLine = str(get(model, "request_line"));
      if (!reqLine) {
        root.appendChild(h("div", "iws-t-note", str(get(model, "error")) || "waiting for the handshake…"));
        return;
      }
      if (get(model, "source") === "parsed") {
        root.appendChild(
          h(
            "div",
            "iws-t-note",
            "This connection opened before the tap: shown as websockets parsed it, not byte for byte. Use WebSocket(url, inspect=True) for the exact bytes.",
          ),
        );
      }
      const cols = h("div", "iws-t-cols");
      cols.appendChild(
        headBlock(
          "iws-t-request",
          "① The client asks: HTTP GET with Upgrade",
          reqLine,
          (get(model, "request_headers") as string[][]) ?? [],
        ),
      );
      const respLine = str(get(model, "response_line"));
      if (respLine) {
        const resp = headBlock(
          "iws-t-response",
          "② The server answers",
          respLine,
          (get(model, "response_headers") as string[][]) ?? [],
        );
        const body = str(get(model, "response_body"));
        if (body) resp.appendChild(h("pre", "iws-t-http iws-t-body", body));
        cols.appendChild(resp);
      }
      root.appendChild(cols);
      const why = h("div", "iws-t-explain", `${str(get(model, "status_code"))}: ${str(get(model, "explanation"))}`);
      why.dataset.status = str(get(model, "status_code"));
      root.appendChild(why);

      const acc = (get(model, "accept") ?? {}) as Record<string, unknown>;
      if (acc.key) {
        const box = h("div", "iws-t-accept");
        box.appendChild(h("div", "iws-t-subtitle", "③ Sec-WebSocket-Key → Sec-WebSocket-Accept (RFC 6455 §4.2.2)"));
        const steps: [string, string][] = [
          ["key the client drew (16 random bytes, base64)", str(acc.key)],
          ["+ the protocol's GUID", str(acc.concatenated)],
          ["SHA-1 of that (hex)", str(acc.sha1_hex)],
          ["base64 of the SHA-1: expected Accept", str(acc.expected)],
          ["what the server sent", str(acc.received) || "(none)"],
        ];
        const ol = h("ol", "iws-t-steps");
        for (const [label, value] of steps) {
          const li = h("li");
          li.append(h("span", "iws-t-label", `${label}: `), h("code", "", value));
          ol.appendChild(li);
        }
        box.appendChild(ol);
        const ok = acc.ok === true;
        const verdict = h(
          "div",
          "iws-t-accept-verdict",
          ok
            ? "✓ match: the server read this very request; it speaks WebSocket"
            : "✗ no match (or no Accept): the client must not use this connection",
        );
        verdict.dataset.ok = String(ok);
        box.appendChild(verdict);
        root.appendChild(box);
      }
      const neg = h("div", "iws-t-negotiated");
      neg.append(
        h("span", "iws-t-label", "Subprotocol: "),
        h("code", "iws-t-subprotocol", str(get(model, "subprotocol")) || "(none)"),
        h("span", "iws-t-label", " · Extensions: "),
        h("code", "iws-t-extensions", str(get(model, "extensions")) || "(none)"),
      );
      root.appendChild(neg);
      const redacted = (get(model, "redacted") as string[]) ?? [];
      root.appendChild(
        h(
          "div",
          "iws-t-note iws-t-redacted",
          redacted.length
            ? `Redacted here and in the saved notebook (secrets stay in the kernel): ${redacted.join(", ")}; URL tokens show as ***.`
            : "Secret headers (Authorization, cookies, headers= you pass) and URL tokens are redacted here and in the saved notebook.",
        ),
      );
    },
    signal,
  );
}
