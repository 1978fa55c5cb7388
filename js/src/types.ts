// Shapes that cross the wire between the kernel and the view. Field names are
// snake_case because Python owns them.
import type { AnyModel } from "@anywidget/types";

export type Status = "connecting" | "open" | "reconnecting" | "closing" | "closed" | "no-browser";

/** Synced traits of the Python `WebSocket` widget. */
export interface Traits {
  url: string;
  status: Status;
  error: string;
  received: number;
  sent: number;
  bytes_received: number;
  bytes_sent: number;
  rate: number;
  close_code: number | null;
  close_reason: string;
  subprotocol: string;
  reconnects: number;
  last_value: unknown;
  max_fps: number;
  view_rows: number;
  evicted: number;
  callback_errors: number;
  lost: number;
  mode: string;
  saved: SavedMessage[];
  /** Added by the bindings work; may be missing in older kernels. */
  binding_errors?: string[];
  /** The last rows saved with the notebook (`_frontend._row` dicts); may be missing. */
  persisted?: unknown[];
  /** Round-trip time of the last keepalive ping, seconds (kernel mode); may be missing. */
  latency?: number | null;
}

/** The traits a browser-mode owner knows first-hand, ahead of the kernel. */
export type LocalTraits = Pick<
  Traits,
  | "status"
  | "error"
  | "received"
  | "sent"
  | "bytes_received"
  | "bytes_sent"
  | "rate"
  | "close_code"
  | "close_reason"
  | "subprotocol"
  | "reconnects"
>;

export type Model = AnyModel<Traits>;

/** One message as prepared for display (by the kernel, or by the browser socket). */
export interface Row {
  readonly seq: number;
  readonly time: number;
  readonly dir: "in" | "out";
  readonly kind: "text" | "binary";
  readonly size: number;
  readonly text: string;
  readonly json: boolean;
}

export type SendFormat = "text" | "json" | "binary";

/** A message kept in a composer's list (the `saved` trait, saved with the notebook). */
export interface SavedMessage {
  name: string;
  format: SendFormat;
  data: string; // binary: hex
}
