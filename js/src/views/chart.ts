// iws.Chart(ws, "price", ...): a live uPlot line chart. It is handed only new points
// (times in ms, one column per series); it keeps its own bounded window and redraws at
// most `fps` times a second, on animation frames, thinned to about two points per pixel
// column (columns.ts). Plain data in, no model access (widgets.ts binds it).
// DOM contract: .iws-chart[data-redraws][data-points][data-skipped][data-paused]
// [data-theme] > .iws-chart-header (.iws-chart-stats, .iws-chart-pause) + .iws-chart-plot
// (uPlot: canvas, .u-legend with one .u-series per path after the time; with `by`, one
// per group and path, labelled with the group's value, in first-seen order: data-groups).
import uPlot from "uplot";
import { formatCount, plural } from "../format";
import { cssVar, newSlot, onThemeChange, pinHeight, pinned, setText } from "./dom";
import { type GroupCounts, GroupedColumns, groupStats, seriesLabels } from "./groups";

const PALETTE: [string, string][] = [
  ["--jp-brand-color1", "#1976d2"],
  ["--jp-warn-color1", "#f57c00"],
  ["--jp-success-color1", "#388e3c"],
  ["--jp-error-color1", "#d32f2f"],
  ["--jp-accent-color1", "#7b1fa2"],
  ["--jp-brand-color3", "#90caf9"],
  ["--jp-warn-color3", "#ffcc80"],
  ["--jp-success-color3", "#a5d6a7"],
];
// Past the palette, the colours come again, dashed, then dotted.
const DASHES: number[][] = [[], [6, 3], [2, 2]];

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text = "",
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text) node.textContent = text;
  return node;
}

export interface ChartOptions {
  /** One series per name (field paths); with `by`, one per group and name. */
  readonly names: readonly string[];
  /** The field naming each message's group (null: no groups), and most groups. */
  readonly by: string | null;
  readonly maxGroups: number;
  /** Bounds of the window: points, and a time span in ms (null: none). */
  readonly points: number;
  readonly spanMs: number | null;
  readonly height: number;
  readonly fps: number;
  readonly paused: boolean;
  /** The Pause button: asks for `paused` (the answer comes back through setPaused). */
  onPause(paused: boolean): void;
}

/** A group's new points: `t` (ms) and one column per name (group 0 without `by`). */
export interface ChartPart {
  readonly group: number;
  readonly t: Float64Array;
  readonly ys: Float64Array[];
}

/** New points; the groups' labels and counts of values not drawn, when told. */
export interface ChartPoints {
  readonly parts: readonly ChartPart[];
  readonly groups: readonly string[] | null;
  readonly ignored: number | null;
  readonly skipped: number | null;
  readonly counts: GroupCounts | null;
}

export interface ChartHandle {
  /** Everything the window holds now (replaces what the chart had). */
  reset(points: ChartPoints): void;
  /** Points that came after. */
  add(points: ChartPoints): void;
  setPaused(paused: boolean): void;
  setBounds(points: number, spanMs: number | null): void;
  setHeight(height: number): void;
  setFps(fps: number): void;
}

export function createChart(el: HTMLElement, options: ChartOptions, signal: AbortSignal): ChartHandle {
  const names = options.names;
  const by = options.by;
  const cols = new GroupedColumns(names.length || 1, options.points, options.spanMs);
  if (by === null) cols.ensure(1);
  let groups: string[] = [];
  let counts: GroupCounts = { ungrouped: 0, extraGroups: 0, extraMessages: 0 };
  let labels = seriesLabels(names, by === null ? null : groups);
  let built: string[] = []; // the labels the plot was built with
  let paused = options.paused;
  let height = options.height;
  let fps = options.fps;
  let redraws = 0;
  let ignored = 0;
  let skipped = 0;

  const root = element("div", "iws-widget iws-chart");
  const header = element("div", "iws-chart-header");
  const stats = element("span", "iws-chart-stats");
  const pause = element("button", "iws-chart-pause");
  pause.type = "button";
  header.append(stats, pause);
  const plotBox = element("div", "iws-chart-plot");
  const what = `numeric values of ${names.join(", ")}${by === null ? "" : ` by ${by}`}`;
  const empty = element("div", "iws-chart-empty", `waiting for ${what}…`);
  // The header and the plot lay out on their own (see pinned; styles: .iws-chart-plot is
  // `contain: strict`): the counters and uPlot's legend change without laying out the
  // notebook. The plot's box takes uPlot's height, and its width as its intrinsic width.
  root.append(pinned(header, signal), plotBox, empty);
  el.append(root);

  let plot: uPlot | null = null;
  let unpin = (): void => undefined;
  function fit(): void {
    if (!plot) return;
    plotBox.style.containIntrinsicWidth = `${plot.width}px`;
    unpin();
    unpin = pinHeight(plotBox, plot.root, signal);
  }

  function plotOptions(width: number): uPlot.Options {
    const text = cssVar(root, "--jp-ui-font-color2", "#757575");
    const grid = cssVar(root, "--jp-border-color2", "#e0e0e0");
    const family = cssVar(root, "--jp-ui-font-family", "system-ui, sans-serif");
    const font = `11px ${family}`;
    const axis: uPlot.Axis = {
      stroke: text,
      font,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
    };
    return {
      width,
      height,
      pxAlign: 0,
      series: [
        { label: "time" },
        ...labels.map((label, i): uPlot.Series => {
          const [variable, fallback] = PALETTE[i % PALETTE.length] as [string, string];
          const dash = DASHES[Math.floor(i / PALETTE.length) % DASHES.length] as number[];
          // 1 px lines: without a GPU, Chromium draws them on Skia's cheaper hairline path.
          // uPlot writes labels as text (textContent), never as HTML.
          return {
            label,
            stroke: cssVar(root, variable, fallback),
            ...(dash.length ? { dash } : {}),
            width: 1,
            spanGaps: true,
            points: { show: false },
          };
        }),
      ],
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: 60 }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      hooks: {
        draw: [
          () => {
            redraws += 1;
            root.dataset.redraws = String(redraws);
          },
        ],
      },
    };
  }

  function build(): void {
    plot?.destroy();
    // The colours come from the theme in force now (rebuilt when JupyterLab switches).
    root.dataset.theme = document.body?.dataset.jpThemeName ?? "";
    built = labels;
    const width = Math.max(200, Math.floor(plotBox.clientWidth || 600));
    plot = new uPlot(plotOptions(width), cols.thin(width, 1e-3) as uPlot.AlignedData, plotBox);
    fit();
  }

  // The counters' text changes at most 4 times a second: each change costs the page a
  // layout, and nobody reads a number that changes 30 times a second.
  let statsAt = 0;
  let statsTimer = 0;
  function showStats(force = false): void {
    root.dataset.points = String(cols.length);
    root.dataset.skipped = String(skipped);
    if (by !== null) root.dataset.groups = String(groups.length);
    const now = performance.now();
    if (!force && now - statsAt < 250) {
      if (statsTimer === 0 && !signal.aborted) {
        statsTimer = window.setTimeout(
          () => {
            statsTimer = 0;
            showStats(true);
          },
          250 - (now - statsAt),
        );
      }
      return;
    }
    statsAt = now;
    const parts = [plural(cols.length, "point")];
    if (ignored) parts.push(`${formatCount(ignored)} ignored (no number)`);
    if (skipped) parts.push(`${formatCount(skipped)} skipped`);
    if (by !== null) parts.push(...groupStats(by, options.maxGroups, counts, "drawn"));
    if (paused) parts.push("paused");
    setText(stats, parts.join(" · "));
    empty.hidden = cols.length > 0;
  }

  function showPaused(): void {
    root.dataset.paused = String(paused);
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
    showStats(true);
  }

  // Redraws happen on animation frames, at most `fps` a second, only when data came.
  // When the page is busy (animation frames come late), the chart draws less often, down
  // to 2 a second: each canvas update costs the page a paint and a commit, and a chart that
  // keeps drawing at 30 a second on a struggling page is what makes it stutter.
  let dirty = false;
  let frame = 0;
  let lastDraw = 0;
  let askedAt = 0;
  let lateness = 0; // how late animation frames come, ms (moving average)
  function schedule(): void {
    if (frame === 0 && !signal.aborted) {
      askedAt = performance.now();
      frame = requestAnimationFrame(draw);
    }
  }
  function draw(now: number): void {
    frame = 0;
    lateness = 0.8 * lateness + 0.2 * Math.max(0, performance.now() - askedAt - 17);
    if (!dirty || paused || signal.aborted) return;
    const interval = Math.min(500, Math.max(1000 / Math.max(1, fps), 4 * lateness));
    // Slots counted from the page's time origin: at 30 a second the chart draws in the
    // frames the text views also redraw in (see LOG_PHASE_MS in dom.ts).
    if (!newSlot(now, lastDraw, interval)) {
      schedule();
      return;
    }
    lastDraw = now;
    dirty = false;
    if (!plot || built !== labels) build();
    else plot.setData(cols.thin(plot.width, 1e-3) as uPlot.AlignedData);
  }

  function take(points: ChartPoints): void {
    ignored = points.ignored ?? ignored;
    skipped = points.skipped ?? skipped;
    counts = points.counts ?? counts;
    if (by !== null && points.groups && points.groups.length > groups.length) {
      // New groups: new lines (the plot is built again at the next draw).
      groups = [...points.groups];
      cols.ensure(groups.length);
      labels = seriesLabels(names, groups);
      dirty = true;
      schedule();
    }
    for (const part of points.parts) {
      if (part.t.length === 0 || part.group >= (by === null ? 1 : groups.length)) continue;
      cols.append(part.group, part.t, part.ys);
      dirty = true;
      schedule();
    }
    showStats();
  }

  pause.addEventListener("click", () => options.onPause(!paused), { signal });

  // Follow the box's width (output area, HBox, sidebar) and the JupyterLab theme.
  if (typeof ResizeObserver !== "undefined") {
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, Math.floor(plotBox.clientWidth));
      if (plot && width !== plot.width) {
        plot.setSize({ width, height: plot.height });
        fit();
        dirty = true;
        schedule();
      }
    });
    resize.observe(plotBox);
    signal.addEventListener("abort", () => resize.disconnect(), { once: true });
  }
  onThemeChange(() => {
    if (plot) build();
  }, signal);

  signal.addEventListener(
    "abort",
    () => {
      if (frame) cancelAnimationFrame(frame);
      if (statsTimer) clearTimeout(statsTimer);
      plot?.destroy();
      plot = null;
    },
    { once: true },
  );
  showPaused();
  return {
    reset(points) {
      cols.clear();
      dirty = true; // an empty window still draws (axes), once
      take(points);
      schedule();
    },
    add: take,
    setPaused(value) {
      paused = value;
      showPaused();
      if (!paused) {
        // Resume jumps to now: what came while paused is in the window already.
        dirty = true;
        schedule();
      }
    },
    setBounds(points, spanMs) {
      cols.setBounds(points, spanMs);
      dirty = true;
      schedule();
    },
    setHeight(value) {
      height = value;
      plot?.setSize({ width: plot.width, height });
      fit();
    },
    setFps(value) {
      fps = value;
    },
  };
}
