"""Page responsiveness with live views: a fast TickerServer shown in a real JupyterLab.

Three pages in the same run, one after the other, each with its own kernel
(``history=`` 2 s of messages, so that the views read every message):

* baseline: ``ws`` displayed (the WebSocket widget's own view) and nothing else;
* chart_values: ``ws`` + ``HBox([Chart(ws, "price", window=10), Values(ws)])``;
* views: the same + ``Log(ws)``.

For SECONDS on each page, measured in the browser: main-thread long tasks
(PerformanceObserver "longtask": count over 100 ms and the longest), animation
frames per second the page still managed, the worst timer lag, chart redraws
per second (the chart's ``data-redraws`` counter), the JS heap before and after
(after a forced GC through CDP ``HeapProfiler.collectGarbage``), and the
messages per second really delivered (the widget's received counter).

Each task over 100 ms is listed with when it began, and each animation frame over 100 ms
with where its time went (Chromium's long-animation-frame entries: rendering, style and
layout, the scripts that ran).

Usage: python bench/views_page.py [--seconds 30] [--rate 10000] [--json] [--no-baseline]
[--pages chart_values] (``--no-baseline``: the last page only.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from typing import Any

from _page import Steal, heap_mb, lab, long_task_stats, start, stop, wait_until
from _trace import print_summary, summarise, trace_start, trace_stop

COUNTERS = """
() => {
  const received = document.querySelector('.iws-received');
  const chart = document.querySelector('.iws-chart');
  return {
    received: received ? Number(received.textContent.replace(/[^0-9]/g, '')) : 0,
    redraws: chart ? Number(chart.dataset.redraws || 0) : null,
    points: chart ? Number(chart.dataset.points || 0) : null,
    skipped: chart ? Number(chart.dataset.skipped || 0) : null,
    values: document.querySelectorAll('.iws-values-row').length,
  };
}
"""


WINDOW = 10  # the chart's window in seconds: full before the heap is first measured
LOG_ROWS = 100_000  # iws.Log's default rows
LOG_FULL = f"""() => {{
  const log = document.querySelector('.iws-log-widget .iws-logview');
  return !log || Number(log.dataset.total || 0) >= {LOG_ROWS};
}}"""

# The pages, each on its own kernel: what is displayed besides ``ws``.
PAGES = {
    "baseline": [],
    "chart_values": [f'W.HBox([iws.Chart(ws, "price", window={WINDOW}), iws.Values(ws)])'],
    "views": [
        f'W.HBox([iws.Chart(ws, "price", window={WINDOW}), iws.Values(ws)])',
        "iws.Log(ws) if hasattr(iws, 'Log') else None",
    ],
}
TITLES = {"baseline": "ws only", "chart_values": "+Chart+Values", "views": "+Log too"}
RATIOS = {"chart_values": "CV/ws", "views": "all/ws"}


def cells(rate: int, page: str) -> list[str]:
    return [
        "import ipywebsockets as iws\nimport ipywidgets as W",
        # A history of 2 s at the full rate, so the views miss nothing (the harder case
        # for the page: every point reaches the chart).
        f"srv = iws.TickerServer(rate={rate}).start()\n"
        f"ws = iws.WebSocket(srv.url, history={max(1000, 2 * rate)})",
        "ws",
        *PAGES[page],
    ]


def measure(
    lab_: Any,
    label: str,
    rate: int,
    seconds: float,
    trace: bool = False,
    css: str = "",
    screenshot: str = "",
) -> dict[str, Any]:
    name = f"bench_{label}"
    views = label != "baseline"
    with lab_.notebook(cells(rate, label), name) as (page, context):
        ready = "() => { const r = document.querySelector('.iws-received'); "
        ready += "return r && Number(r.textContent.replace(/[^0-9]/g, '')) > 0"
        if views:
            ready += " && document.querySelector('.iws-chart canvas') !== null"
            ready += " && document.querySelectorAll('.iws-values-row').length >= 5"
        ready += "; }"
        wait_until(page, name, ready, 60, "the views show messages")
        if css:  # e.g. ".iws-values {display: none}" to see what one part costs
            page.add_style_tag(content=css)
        # Warm up (the first flushes, the JIT); in full runs until the chart's window is
        # full, so that the heap is measured in the steady state.
        t0 = time.monotonic()
        time.sleep(WINDOW + 2.0 if seconds >= 20 else min(2.0, seconds / 2))
        if seconds >= 20 and label == "views":
            # ... and until the Log keeps all the rows it can (100,000): the heap is
            # flat from then on, not while its ring fills.
            with contextlib.suppress(RuntimeError):
                wait_until(page, name, LOG_FULL, 40, "the Log's ring is full")
        warmup = time.monotonic() - t0
        cdp = context.new_cdp_session(page)
        heap_start = heap_mb(cdp)
        before = page.evaluate(COUNTERS)
        if trace:
            trace_start(lab_.browser)
        with Steal() as steal:
            start(page)
            time.sleep(seconds)
            stats = long_task_stats(stop(page))
        after = page.evaluate(COUNTERS)
        if trace:
            print(f"{TITLES[label]}:", flush=True)
            saved = os.environ.get("IWS_TRACE_DIR", "")
            path = os.path.join(saved, f"trace-{label}.json") if saved else ""
            print_summary(summarise(trace_stop(lab_.browser, path)))
        heap_end = heap_mb(cdp)
        if screenshot:
            page.screenshot(path=screenshot.replace("{page}", label), full_page=True)
        elapsed = stats["seconds"]
        redraws = None
        if after["redraws"] is not None and before["redraws"] is not None:
            redraws = (after["redraws"] - before["redraws"]) / elapsed
        return {
            **stats,
            "msgs_per_s": (after["received"] - before["received"]) / elapsed,
            "chart_redraws_per_s": redraws,
            "chart_points": after["points"],
            "chart_skipped": after["skipped"],
            "value_rows": after["values"],
            "heap_start_mb": heap_start,
            "heap_end_mb": heap_end,
            "warmup_s": warmup,
            "steal_percent": steal.percent,
            # Per task over 100 ms: the most vCPU time the host stole in a 100 ms window
            # during it (ms, both vCPUs).
            "steal_during_long_tasks_ms": [
                steal.worst_ms(t, t + d / 1000) for t, d in stats["tasks_over_100ms_at"]
            ],
        }


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def report(rate: int, seconds: float, results: dict[str, dict[str, Any]]) -> None:
    rows = [
        ("messages/s delivered", "msgs_per_s", ",.0f"),
        ("long tasks > 100 ms", "long_tasks_over_100ms", "d"),
        ("long tasks > 50 ms", "long_tasks_over_50ms", "d"),
        ("longest task (ms)", "longest_task_ms", ".0f"),
        ("animation frames/s", "frames_per_s", ".1f"),
        ("worst timer lag (ms)", "timer_lag_max_ms", ".0f"),
        ("chart redraws/s", "chart_redraws_per_s", ".1f"),
        ("JS heap start (MiB)", "heap_start_mb", ".1f"),
        ("JS heap end (MiB)", "heap_end_mb", ".1f"),
    ]
    base = results.get("baseline")
    labels = [k for k in PAGES if k in results]
    print(f"views_page  TickerServer rate={rate:,}/s, {seconds:g} s measured per page")
    head = "".join(f"{TITLES[k]:>15}" for k in labels)
    ratios = "".join(f"{RATIOS[k]:>8}" for k in labels if k != "baseline") if base else ""
    print(f"  {'':24}{head}{ratios}")
    for label, key, spec in rows:
        cells = "".join(f"{_fmt(results[k][key], spec):>15}" for k in labels)
        if base:
            for k in labels:
                if k == "baseline":
                    continue
                b, v = base[key], results[k][key]
                ok = isinstance(b, (int, float)) and b and v is not None
                cells += f"{v / b:>8.2f}" if ok else f"{'':>8}"
        print(f"  {label:24}{cells}")
    for k in labels:
        r = results[k]
        if r["steal_percent"] is not None:
            steal = r["steal_percent"]
            print(f"  {TITLES[k]}: CPU time stolen by the host (VM steal): {steal:.1f} %")
        if r["tasks_over_100ms_at"]:
            print(
                f"  {TITLES[k]}: tasks over 100 ms at (s, ms) {r['tasks_over_100ms_at']}; "
                f"host steal during them (ms per 100 ms) {r['steal_during_long_tasks_ms']}"
            )
        for f in r["long_frames"]:
            scripts = ", ".join(f"{x['what'].strip()} {x['ms']} ms" for x in f["scripts"])
            print(
                f"    animation frame at {f['at'] / 1000:.2f} s: {f['ms']} ms (rendering "
                f"{f['render']} ms, style + layout {f['style']} ms); scripts: {scripts or '-'}"
            )
        print(
            f"  {TITLES[k]}: warm-up {r['warmup_s']:.0f} s; JS heap every 5 s (no forced GC): "
            f"{r['heap_every_5s_mb']} MiB"
        )
        if r["chart_points"] is not None:
            print(
                f"  {TITLES[k]}: heap {r['heap_end_mb'] - r['heap_start_mb']:+.1f} MiB over the "
                f"run; chart window {r['chart_points']:,} points, {r['chart_skipped']:,} "
                "messages skipped (evicted from the history before read)"
            )
    with contextlib.suppress(OSError):
        print(
            "  load average (1, 5, 15 min) at the end: "
            + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        )


def table_rows(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The figures as rows for ``make bench`` (one JSON object per figure and page)."""
    base = results.get("baseline")
    out: list[dict[str, Any]] = []

    def row(
        page: str,
        figure: str,
        value: float,
        baseline: float | None,
        target: str,
        ok: Any,
        unit: str,
    ) -> None:
        ratio = value / baseline if baseline else None
        out.append(
            {
                "bench": "views_page",
                "figure": f"{figure} ({TITLES[page]})",
                "value": float(value),
                "baseline": None if baseline is None else float(baseline),
                "ratio": ratio,
                "target": target,
                "ok": ok,
                "unit": unit,
            }
        )

    for page in [p for p in PAGES if p != "baseline" and p in results]:
        r = results[page]
        b = base or {}
        row(
            page,
            "long tasks > 100 ms",
            r["long_tasks_over_100ms"],
            b.get("long_tasks_over_100ms"),
            "0",
            r["long_tasks_over_100ms"] == 0,
            "count",
        )
        row(
            page,
            "long tasks > 50 ms",
            r["long_tasks_over_50ms"],
            b.get("long_tasks_over_50ms"),
            "few (not part of the issue's target)",
            None,
            "count",
        )
        row(
            page,
            "longest task",
            r["longest_task_ms"],
            b.get("longest_task_ms"),
            "< 100",
            r["longest_task_ms"] < 100,
            "ms",
        )
        redraws = r["chart_redraws_per_s"]
        if redraws is not None:
            row(page, "chart redraws/s", redraws, None, "> 0, <= 30", 0 < redraws <= 30.5, "1/s")
        row(
            page,
            "animation frames/s",
            r["frames_per_s"],
            b.get("frames_per_s"),
            "informational",
            None,
            "1/s",
        )
        growth = r["heap_end_mb"] - r["heap_start_mb"]
        row(page, "JS heap growth over the run", growth, None, "< 5 (flat)", growth < 5, "MiB")
        msgs = r["msgs_per_s"]
        base_msgs = b.get("msgs_per_s")
        ok = msgs >= 0.8 * base_msgs if base_msgs else None
        row(page, "messages/s delivered", msgs, base_msgs, ">= 0.8 x ws only", ok, "1/s")
    return out


def main(
    seconds: float = 30.0,
    rate: int = 10_000,
    baseline: bool = True,
    as_json: bool = False,
    pages: list[str] | None = None,
    trace: bool = False,
    css: str = "",
    screenshot: str = "",
) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    chosen = pages or [p for p in PAGES if baseline or p == "views"]
    with lab() as lab_:
        for label in chosen:
            results[label] = measure(lab_, label, rate, seconds, trace, css, screenshot)
    if as_json:
        # The last line: the results per page and the rows ``make bench`` reads.
        print(json.dumps({**results, "rows": table_rows(results)}))
    else:
        report(rate, seconds, results)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pages", default="", help="comma-separated: " + ",".join(PAGES))
    parser.add_argument(
        "--trace",
        action="store_true",
        help="record a Chromium trace of each page and say what its long tasks are "
        "(tracing slows the page: figures of traced runs are not comparable)",
    )
    parser.add_argument("--css", default="", help="a style sheet added to each page")
    parser.add_argument(
        "--screenshot", default="", help="save each page at the end (PATH, {page} = page name)"
    )
    args = parser.parse_args()
    main(
        args.seconds,
        args.rate,
        not args.no_baseline,
        args.json,
        [p for p in args.pages.split(",") if p] or None,
        args.trace,
        args.css,
        args.screenshot,
    )
