// The message log: a filter and pause (log-toolbar.ts, log-filter.ts), a virtualised
// list of rows (log-list.ts) and a detail pane that shows one message in full
// (log-detail.ts). Plain data in (a LogFeed), no model access; DOM work happens at
// most once per animation frame however fast rows arrive.
import { plural } from "../format";
import type { LogFeed } from "../rows";
import { h, LOG_PHASE_MS, newSlot, pinned, setText, TEXT_SLOT_MS } from "./dom";
import { DetailPane } from "./log-detail";
import { Listing, makeFilter } from "./log-filter";
import { VirtualList } from "./log-list";
import { LogToolbar } from "./log-toolbar";

export interface LogHandle {
  /** The feed changed (new rows, reset): redraw at the next animation frame. */
  update(): void;
}

/** Builds the log inside `parent`; everything is undone when `signal` aborts. */
export function createLog(parent: HTMLElement, feed: LogFeed, signal: AbortSignal): LogHandle {
  const root = h("div", "iws-logview");
  const listing = new Listing();
  let epoch = -1;
  let pausedAt: number | null = null; // ring.total when paused

  const toolbar = new LogToolbar(
    {
      filter(input) {
        const { filter, problem } = makeFilter(input);
        toolbar.showProblem(problem);
        listing.setFilter(filter, feed.ring.first);
        list.forgetTop();
        list.follow = true;
        schedule(true);
      },
      pause() {
        const on = pausedAt === null;
        pausedAt = on ? feed.ring.total : null;
        toolbar.showPaused(on);
        if (!on) list.follow = true;
        schedule(true);
      },
    },
    signal,
  );
  const list = new VirtualList(
    {
      moved: () => schedule(true),
      clicked(seq) {
        if (detail.selected === seq) {
          detail.hide();
          return;
        }
        const row = feed.ring.bySeq(seq);
        if (row) void detail.show(row);
      },
      row: (seq) => feed.ring.bySeq(seq),
    },
    signal,
  );
  const detail = new DetailPane(
    (seq) => feed.fetch(seq),
    () => schedule(true),
    signal,
  );
  const omitted = h("div", "iws-omitted");
  omitted.title = "Rows the view does not keep (it keeps the newest) or that the kernel did not send it";

  // The toolbar, the notice and the list each lay out on their own (see pinned, styles:
  // .iws-omitted and .iws-log are `contain: strict` with a set height): a new row or count
  // redraws the log, not the notebook around it.
  root.append(pinned(toolbar.root, signal), omitted, list.root, detail.root);
  parent.append(root);

  /** The end of the listed rows (absolute): where the log was paused, or the newest. */
  function end(): number {
    return pausedAt === null ? feed.ring.total : Math.min(pausedAt, feed.ring.total);
  }

  function draw(): void {
    const ring = feed.ring;
    if (feed.epoch !== epoch) {
      epoch = feed.epoch;
      listing.reset(ring.first);
      list.forgetTop();
    }
    const listed = listing.update(ring, end());
    list.draw(ring, listed, detail.selected);

    // Notices and counts (data-total: rows ever added, data-oldest: the oldest kept row's
    // seq; for benchmarks and tests).
    root.dataset.total = String(ring.total);
    root.dataset.oldest = String(ring.at(ring.first)?.seq ?? "");
    const gone = feed.omitted;
    setText(omitted, gone > 0 ? `${plural(gone, "earlier message")} not shown` : "");
    omitted.hidden = gone <= 0;
    toolbar.showCounts({
      listed: listed.n,
      kept: pausedAt === null ? ring.length : Math.max(0, end() - ring.first),
      filtered: listing.filtered,
      fresh: pausedAt === null ? null : ring.total - end(),
    });
  }

  // New rows redraw at most 15 times a second, in the frames the other views redraw in
  // (see LOG_PHASE_MS; a fast stream would otherwise redraw every visible row at every
  // frame); the user's own moves at the next frame.
  let frame = 0;
  let urgent = false;
  let drawnAt = 0;
  function tick(now: number): void {
    frame = 0;
    if (!urgent && !newSlot(now, drawnAt, TEXT_SLOT_MS, LOG_PHASE_MS)) {
      frame = requestAnimationFrame(tick);
      return;
    }
    urgent = false;
    drawnAt = now;
    draw();
  }
  function schedule(now = false): void {
    urgent ||= now;
    if (frame === 0 && !signal.aborted) frame = requestAnimationFrame(tick);
  }

  // Keys typed here belong to the log, not to the notebook's shortcuts.
  for (const node of [toolbar.root, list.root, detail.root]) {
    node.addEventListener("keydown", (event) => event.stopPropagation(), { signal });
  }
  signal.addEventListener(
    "abort",
    () => {
      if (frame !== 0) cancelAnimationFrame(frame);
      frame = 0;
      root.remove();
    },
    { once: true },
  );

  list.attached();
  draw();
  return { update: () => schedule() };
}
