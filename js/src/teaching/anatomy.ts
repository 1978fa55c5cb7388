// The frame playground: build bytes from fields, or decode pasted hex (the kernel computes).
import { get, type Model } from "../model";
import type { AnatomyTraits } from "../traits";
import { asker, clear, h, str } from "./dom";
import { type FrameInfo, frameCard } from "./frame";

interface Result {
  frames?: FrameInfo[];
  bytes?: string;
  notes?: string[];
  error?: string;
}

function showResult(box: HTMLElement, r: Result | undefined): void {
  clear(box);
  if (!r) return;
  if (r.error) box.appendChild(h("div", "iws-t-problem iws-t-error", r.error));
  if (r.bytes) {
    box.appendChild(h("div", "iws-t-label", "All bytes:"));
    box.appendChild(h("code", "iws-t-allbytes", r.bytes));
  }
  for (const n of r.notes ?? []) box.appendChild(h("div", "iws-t-note", n));
  for (const f of r.frames ?? []) box.appendChild(frameCard(f, true));
}

function labelled(label: string, input: HTMLElement): HTMLElement {
  const l = h("label", "iws-t-input");
  l.append(h("span", "iws-t-label", label), input);
  return l;
}

export function renderAnatomy(model: Model<AnatomyTraits>, el: HTMLElement, signal: AbortSignal): void {
  const ask = asker(model, signal);
  const root = h("div", "iws-t iws-t-anatomy");
  el.appendChild(root);
  root.appendChild(h("div", "iws-t-title", "Frame anatomy: build a frame"));
  const payload = h("input", "iws-t-payload");
  payload.value = str(get(model, "payload"));
  const kind = h("select", "iws-t-kind");
  for (const k of ["text", "binary", "ping", "pong", "close"]) {
    const o = h("option", "", k);
    o.value = k;
    kind.appendChild(o);
  }
  kind.value = str(get(model, "kind"));
  const mask = h("input", "iws-t-mask");
  mask.type = "checkbox";
  mask.checked = get(model, "mask") === true;
  const key = h("input", "iws-t-maskkey");
  key.value = str(get(model, "mask_key"));
  const frag = h("input", "iws-t-fragment");
  frag.type = "number";
  frag.min = "0";
  frag.value = str(get(model, "fragment_size"));
  const code = h("input", "iws-t-closecode");
  code.type = "number";
  code.value = str(get(model, "close_code"));
  const form = h("div", "iws-t-form");
  form.append(
    labelled("payload", payload),
    labelled("kind", kind),
    labelled("mask (client)", mask),
    labelled("masking key", key),
    labelled("fragment every N bytes (0: one frame)", frag),
    labelled("close code", code),
  );
  const built = h("div", "iws-t-built");
  root.append(form, built);

  root.appendChild(h("div", "iws-t-title", "Decode bytes (hex)"));
  const hex = h("textarea", "iws-t-hexinput");
  hex.rows = 2;
  hex.placeholder = "81 05 48 65 6c 6c 6f";
  hex.value = str(get(model, "hex_input"));
  const fromClient = h("input", "iws-t-fromclient");
  fromClient.type = "checkbox";
  fromClient.checked = get(model, "from_client") === true;
  const decodeBtn = h("button", "iws-t-button iws-t-decode", "Decode");
  const decodeForm = h("div", "iws-t-form");
  decodeForm.append(labelled("bytes", hex), labelled("sent by a client", fromClient), decodeBtn);
  const decoded = h("div", "iws-t-decoded");
  root.append(decodeForm, decoded);

  showResult(built, get(model, "built") as Result);
  showResult(decoded, get(model, "decoded") as Result);

  let timer = 0;
  const rebuild = (): void => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      ask({
        type: "encode",
        payload: payload.value,
        kind: kind.value,
        mask: mask.checked,
        mask_key: key.value,
        fragment_size: Number(frag.value) || 0,
        close_code: Number(code.value) || 1000,
      })
        .then((r) => showResult(built, r.result as Result))
        .catch((e: Error) => showResult(built, { error: e.message }));
    }, 150);
  };
  for (const input of [payload, kind, mask, key, frag, code]) {
    input.addEventListener("input", rebuild, { signal });
    input.addEventListener("change", rebuild, { signal });
  }
  const decode = (): void => {
    ask({ type: "decode", hex: hex.value, from_client: fromClient.checked })
      .then((r) => showResult(decoded, r.result as Result))
      .catch((e: Error) => showResult(decoded, { error: e.message }));
  };
  decodeBtn.addEventListener("click", decode, { signal });
  signal.addEventListener("abort", () => window.clearTimeout(timer), { once: true });
}
