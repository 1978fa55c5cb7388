// When the log redraws. New rows: at the first animation frame of a slot (15 a second, see
// TEXT_SLOT_MS), so a slow stream's row is drawn at the next frame and a fast stream does
// not redraw every visible row at every frame. The user's moves: at the next frame. Anything
// else (the socket's counters, the kernel's traits): nothing for the log to draw.
import { LOG_PHASE_MS, newSlot, TEXT_SLOT_MS } from "./dom";

/** What a frame does: draw now, ask again at the next frame, or nothing. */
export type Verdict = "draw" | "wait" | "skip";

export class DrawGate {
  /** The rows as last drawn (see {@link rowsKey}). */
  private drawnKey = "";
  /** The frame time of the last draw that showed new rows. */
  private rowsAt = Number.NEGATIVE_INFINITY;

  /**
   * The verdict for an animation frame at `now` (its timestamp); `key` says what the rows
   * look like now, `urgent` that the user moved (scroll, filter, pause, a click).
   */
  due(now: number, key: string, urgent: boolean): Verdict {
    const fresh = key !== this.drawnKey;
    if (fresh && (urgent || newSlot(now, this.rowsAt, TEXT_SLOT_MS, LOG_PHASE_MS))) {
      this.drawnKey = key;
      this.rowsAt = now;
      return "draw";
    }
    if (urgent) return "draw";
    return fresh ? "wait" : "skip";
  }
}

/** The rows a log shows, as a key that changes whenever they do. */
export function rowsKey(epoch: number, total: number, first: number, length: number, omitted: number): string {
  return `${epoch} ${total} ${first} ${length} ${omitted}`;
}
