// iws.Chart(ws, "price", ...): a live uPlot line chart. The kernel sends only new points
// (float64 buffers: times in ms, one column per series); this view keeps its own bounded
// window and redraws at most `fps` times a second, on animation frames, thinned to about
// two points per pixel column. DOM contract: .iws-chart[data-redraws][data-points]
// [data-skipped][data-paused][data-theme] > .iws-chart-header (.iws-chart-stats, .iws-chart-pause) + .iws-chart-plot
// (uPlot: canvas, .u-legend with one .u-series per path after the time).
import uPlot from "uplot";
import { formatCount, plural, toNumber } from "../format";
import { Columns, float64 } from "./columns";
import { newSlot, pinHeight, pinned, setText } from "./dom";
import { cssVar, follow, on, onThemeChange } from "./follow";
import type { ViewModel } from "./index";

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

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text = ""): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text) node.textContent = text;
  return node;
}

function paths(model: ViewModel): string[] {
  const value = model.get("paths");
  return Array.isArray(value) ? value.map(String) : [];
}

function spanMs(model: ViewModel): number | null {
  const seconds = model.get("window");
  return typeof seconds === "number" && seconds > 0 ? seconds * 1000 : null;
}

export function renderChart(model: ViewModel, el: HTMLElement, signal: AbortSignal): void {
  const names = paths(model);
  const cols = new Columns(names.length || 1, toNumber(model.get("points"), 100_000), spanMs(model));
  let paused = Boolean(model.get("paused"));
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
  const empty = element("div", "iws-chart-empty", `waiting for numeric values of ${names.join(", ")}…`);
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

  function options(width: number): uPlot.Options {
    const text = cssVar(root, "--jp-ui-font-color2", "#757575");
    const grid = cssVar(root, "--jp-border-color2", "#e0e0e0");
    const family = cssVar(root, "--jp-ui-font-family", "system-ui, sans-serif");
    const font = `11px ${family}`;
    const axis: uPlot.Axis = { stroke: text, font, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    return {
      width,
      height: toNumber(model.get("height"), 240),
      pxAlign: 0,
      series: [
        { label: "time" },
        ...names.map((name, i): uPlot.Series => {
          const [variable, fallback] = PALETTE[i % PALETTE.length] as [string, string];
          // 1 px lines: without a GPU, Chromium draws them on Skia's hairline path (the
          // chart frames' commits, where the canvas is drawn: 7.3 -> 2.8 ms from 1.5 px).
          return { label: name, stroke: cssVar(root, variable, fallback), width: 1, spanGaps: true, points: { show: false } };
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
    const width = Math.max(200, Math.floor(plotBox.clientWidth || 600));
    plot = new uPlot(options(width), cols.thin(width, 1e-3) as uPlot.AlignedData, plotBox);
    fit();
  }

  // The counters' text changes at most 4 times a second: each change costs the page a
  // layout, and nobody reads a number that changes 30 times a second.
  let statsAt = 0;
  let statsTimer = 0;
  function showStats(force = false): void {
    root.dataset.points = String(cols.length);
    root.dataset.skipped = String(skipped);
    const now = performance.now();
    if (!force && now - statsAt < 250) {
      if (statsTimer === 0 && !signal.aborted) {
        statsTimer = window.setTimeout(() => ((statsTimer = 0), showStats(true)), 250 - (now - statsAt));
      }
      return;
    }
    statsAt = now;
    const parts = [plural(cols.length, "point")];
    if (ignored) parts.push(`${formatCount(ignored)} ignored (no number)`);
    if (skipped) parts.push(`${formatCount(skipped)} skipped`);
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
    const interval = Math.min(500, Math.max(1000 / Math.max(1, toNumber(model.get("fps"), 30)), 4 * lateness));
    // Slots counted from the page's time origin: at 30 a second the chart draws in the
    // frames the text views also redraw in (see LOG_PHASE_MS in dom.ts).
    if (!newSlot(now, lastDraw, interval)) {
      schedule();
      return;
    }
    lastDraw = now;
    dirty = false;
    if (!plot) build();
    else plot.setData(cols.thin(plot.width, 1e-3) as uPlot.AlignedData);
  }

  function take(content: Record<string, any>, buffers: DataView[]): void {
    ignored = toNumber(content.ignored, ignored);
    skipped = toNumber(content.skipped, skipped);
    const n = toNumber(content.n, 0);
    if (n > 0 && buffers.length >= 1) {
      const t = float64(buffers[0]);
      cols.append(t.length === n ? t : t.subarray(0, n), buffers.slice(1).map(float64));
      dirty = true;
      schedule();
    }
    showStats();
  }

  follow(
    model,
    signal,
    "window",
    (content, buffers) => {
      cols.clear();
      dirty = true; // an empty window still draws (axes), once
      take(content, buffers);
      schedule();
    },
    (content, buffers) => {
      if (content.type === "points") take(content, buffers);
    },
  );

  pause.addEventListener(
    "click",
    () => {
      model.set("paused", !paused);
      model.save_changes();
    },
    { signal },
  );
  on(
    model,
    "change:paused",
    () => {
      paused = Boolean(model.get("paused"));
      showPaused();
      if (!paused) {
        // Resume jumps to now: what came while paused is in the window already.
        dirty = true;
        schedule();
      }
    },
    signal,
  );
  on(
    model,
    "change:window",
    () => {
      cols.setBounds(toNumber(model.get("points"), 100_000), spanMs(model));
      dirty = true;
      schedule();
    },
    signal,
  );
  on(model, "change:points", () => cols.setBounds(toNumber(model.get("points"), 100_000), spanMs(model)), signal);
  on(
    model,
    "change:height",
    () => {
      plot?.setSize({ width: plot.width, height: toNumber(model.get("height"), 240) });
      fit();
    },
    signal,
  );

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
}
