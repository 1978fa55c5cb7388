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

Usage: python bench/views_page.py [--seconds 30] [--rate 10000] [--json] [--no-baseline]
(``--no-baseline``: the last page only.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from typing import Any

from _page import heap_mb, lab, long_task_stats, start, stop, wait_until

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


def measure(lab_: Any, label: str, rate: int, seconds: float) -> dict[str, Any]:
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
        # Warm up (the first flushes, the JIT); in full runs until the chart's window is
        # full, so that the heap is measured in the steady state.
        time.sleep(WINDOW + 2.0 if seconds >= 20 else min(2.0, seconds / 2))
        cdp = context.new_cdp_session(page)
        heap_start = heap_mb(cdp)
        before = page.evaluate(COUNTERS)
        start(page)
        time.sleep(seconds)
        stats = long_task_stats(stop(page))
        after = page.evaluate(COUNTERS)
        heap_end = heap_mb(cdp)
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


def main(
    seconds: float = 30.0, rate: int = 10_000, baseline: bool = True, as_json: bool = False
) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with lab() as lab_:
        for label in [p for p in PAGES if baseline or p == "views"]:
            results[label] = measure(lab_, label, rate, seconds)
    if as_json:
        print(json.dumps(results))
    else:
        report(rate, seconds, results)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    main(args.seconds, args.rate, not args.no_baseline, args.json)
