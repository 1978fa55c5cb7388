// One frame, its header decoded bit by bit (shared by the inspector and the playground).
import { h, hexBytes, str } from "./dom";

export interface FrameInfo {
  seq?: number;
  dir?: string;
  time?: number;
  fin: boolean;
  rsv: boolean[];
  opcode: number;
  opname: string;
  masked: boolean;
  length: number;
  length_form: string;
  mask_key: string;
  header: string;
  wire: string;
  payload_hex: string;
  more: number;
  text: string;
  fields: [string, number, number, string, string][];
  problems?: string[];
  close?: [number | null, string, string];
  inflated?: string;
  inflated_length?: number;
  fragment?: number;
  message?: { frames: number; length: number; text: string };
  // The protocol packet(s) the message carried, decoded by a protocol socket's codec.
  packet?: string;
}

const ARROWS: Record<string, string> = { out: "→ client to server", in: "← server to client" };

export function frameSummary(f: FrameInfo): string {
  const parts = [f.opname, f.fin ? "FIN" : "not FIN", `${f.length} B`];
  if (f.masked) parts.push("masked");
  if (f.rsv[0]) parts.push("RSV1 (compressed)");
  if (f.fragment) parts.push(`fragment ${f.fragment}`);
  return parts.join(" · ");
}

export function frameCard(f: FrameInfo, open: boolean): HTMLElement {
  const card = h("details", "iws-t-frame");
  card.open = open;
  card.dataset.opcode = f.opname;
  if (f.dir) card.dataset.dir = f.dir;
  if (f.problems?.length) card.dataset.invalid = "true";
  const summary = h("summary", "iws-t-frame-summary");
  if (f.seq !== undefined) summary.appendChild(h("span", "iws-t-seq", `#${f.seq}`));
  if (f.dir) summary.appendChild(h("span", "iws-t-dir", ARROWS[f.dir] ?? f.dir));
  summary.appendChild(h("span", "iws-t-opname", f.opname));
  summary.appendChild(h("span", "iws-t-brief", frameSummary(f)));
  const preview = f.close
    ? `close ${str(f.close[0])} ${f.close[2]}${f.close[1] ? `: ${f.close[1]}` : ""}`
    : (f.inflated ?? f.text);
  summary.appendChild(h("span", "iws-t-preview", preview));
  if (f.packet !== undefined) summary.appendChild(h("span", "iws-t-packet", f.packet));
  card.appendChild(summary);

  const table = h("table", "iws-t-fields");
  const head = h("tr");
  for (const c of ["field", "bytes", "bits", "value"]) head.appendChild(h("th", "", c));
  table.appendChild(head);
  for (const [name, start, end, bits, value] of f.fields) {
    const tr = h("tr", "iws-t-field");
    tr.dataset.field = name;
    tr.append(
      h("td", "iws-t-fname", name),
      h("td", "", end - start === 1 ? `${start}` : `${start}–${end - 1}`),
      h("td", "iws-t-bits", bits),
      h("td", "iws-t-fvalue", value),
    );
    table.appendChild(tr);
  }
  card.appendChild(table);

  card.appendChild(h("div", "iws-t-label", "Bytes on the wire (header, then payload as sent):"));
  const hex = [f.header, f.wire].filter((x) => x).join(" ");
  card.appendChild(
    hexBytes(
      hex,
      f.fields.map(([n, s, e]) => [n, s, e]),
    ),
  );
  if (f.more > 0) card.appendChild(h("div", "iws-t-note", `… ${f.more} more payload bytes not shown`));
  if (f.masked) {
    card.appendChild(h("div", "iws-t-label", `Unmasked payload (each byte XOR key byte i mod 4, key ${f.mask_key}):`));
    card.appendChild(hexBytes(f.payload_hex, []));
  }
  if (f.text) card.appendChild(textRow("As text:", f.text));
  if (f.inflated !== undefined) {
    card.appendChild(textRow(`Inflated (permessage-deflate, ${str(f.inflated_length)} B):`, f.inflated));
  }
  if (f.message) {
    card.appendChild(
      textRow(`Reassembled message (${f.message.frames} frames, ${f.message.length} B):`, f.message.text),
    );
  }
  if (f.packet !== undefined) card.appendChild(textRow("Protocol packet:", f.packet));
  for (const p of f.problems ?? []) card.appendChild(h("div", "iws-t-problem", p));
  return card;
}

function textRow(label: string, text: string): HTMLElement {
  const row = h("div", "iws-t-textrow");
  row.append(h("span", "iws-t-label", label), h("code", "iws-t-text", text));
  return row;
}
