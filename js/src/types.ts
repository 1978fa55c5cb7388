// Shapes that cross the wire between the kernel and the view. Field names are
// snake_case because Python owns them.
import type { AnyModel } from "@anywidget/types";

export type Status = "connecting" | "open" | "reconnecting" | "closing" | "closed";

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
  mode: string;
}

export type Model = AnyModel<Traits>;

/** One message as prepared by the kernel for display. */
export interface Row {
  seq: number;
  time: number;
  dir: "in" | "out";
  kind: "text" | "binary";
  size: number;
  text: string;
  json: boolean;
}

export type SendFormat = "text" | "json";
