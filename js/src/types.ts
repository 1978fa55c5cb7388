// Shapes that cross the wire between the kernel and the views (the models' traits
// are in traits.ts). Field names are snake_case because Python owns them.

export type Status = "connecting" | "open" | "reconnecting" | "closing" | "closed" | "no-browser";

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

/** What a view asks to send: text, JSON text (checked first), or bytes. */
export type Outgoing = string | Uint8Array;
