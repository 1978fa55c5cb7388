// The synced traits of each widget model, as the Python classes declare them
// (src/ipywebsockets/widget.py, views/*.py, teaching/*.py). Names are snake_case:
// they cross the wire. A trait marked optional may be missing in older kernels.
import type { Status } from "./types";

/** The `WebSocket` widget. */
export interface SocketTraits {
  url: string;
  mode: string;
  _iws_key: string;
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
  evicted: number;
  callback_errors: number;
  lost: number;
  /** Round-trip time of the last keepalive ping, seconds (kernel mode). */
  latency?: number | null;
  binding_errors?: string[];
  /** The last rows saved with the notebook (`persisted_row` in `_jupyter/rows.py`). */
  persisted?: unknown[];
  max_fps: number;
  view_rows: number;
  saved: unknown[];
}

/** The traits a browser-mode owner knows first-hand, ahead of the kernel. */
export type LocalTraits = Pick<
  SocketTraits,
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

/** Every live view (views/_base.py). `source` is a widget reference, "IPY_MODEL_<id>". */
export interface ViewTraits {
  _view: string;
  source: string;
  skipped: number;
}

export interface LogTraits extends ViewTraits {
  rows: number;
  _first: number;
}

export interface ChartTraits extends ViewTraits {
  paths: string[];
  /** Seconds; null: no time bound. */
  window: number | null;
  points: number;
  height: number;
  fps: number;
  paused: boolean;
  /** The field naming each message's group (null: no groups), and most groups. */
  by: string | null;
  max_groups: number;
}

export interface ValuesTraits extends ViewTraits {
  paths: string[];
  limit: number;
  by: string | null;
  max_groups: number;
}

export interface ComposerTraits extends ViewTraits {
  saved: unknown[];
  status: string;
}

export interface MetricsTraits extends ViewTraits {
  mode: string;
  rate: number;
  gap_mean_ms: number | null;
  gap_p95_ms: number | null;
  latency: number | null;
  timeline: { time?: unknown; status?: unknown }[];
}

/** Every teaching view (teaching/_base.py). */
export interface TeachingTraits {
  _view: string;
}

export interface AnatomyTraits extends TeachingTraits {
  payload: string;
  kind: string;
  mask: boolean;
  mask_key: string;
  fragment_size: number;
  close_code: number;
  hex_input: string;
  from_client: boolean;
  built: Record<string, unknown>;
  decoded: Record<string, unknown>;
}

export interface CloseCodesTraits extends TeachingTraits {
  codes: [number, string, string][];
  sendable: number[];
  close_code: number | null;
  close_reason: string;
  status: string;
  error: string;
}

export interface HandshakeTraits extends TeachingTraits {
  url: string;
  state: string;
  source: string;
  attempt: number;
  request_line: string;
  request_headers: string[][];
  response_line: string;
  response_headers: string[][];
  response_body: string;
  status_code: number;
  explanation: string;
  accept: Record<string, unknown>;
  subprotocol: string;
  extensions: string;
  redacted: string[];
  error: string;
}

export interface InspectorTraits extends TeachingTraits {
  url: string;
  attempt: number;
  frames_seen: number;
  skipped: number;
  evicted: number;
  bytes_out: number;
  bytes_in: number;
  compressed: boolean;
  rows: number;
  note: string;
  last_rtt: number | null;
  close_code: number | null;
}

export interface PollingTraits extends TeachingTraits {
  events: number;
  rate: number;
  interval: number;
  state: string;
  error: string;
  results: Record<string, unknown>;
}
