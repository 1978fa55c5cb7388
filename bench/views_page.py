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
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
E2E = HERE.parent / "tests" / "e2e"
sys.path.insert(0, str(E2E))

from iws_e2e_harness import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    cell_errors,
    run_notebook,
)


def _e2e_conftest() -> Any:
    """JupyterEnv / JupyterServer: the isolated JupyterLab the e2e tests start."""
    spec = importlib.util.spec_from_file_location("iws_e2e_conftest", E2E / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


START = """
() => {
  const b = window.__iwsBench = {long: [], frames: 0, lagMax: 0, t0: performance.now()};
  b.po = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.long.push(e.duration);
  });
  b.po.observe({type: 'longtask'});
  const tick = () => { b.frames++; b.raf = requestAnimationFrame(tick); };
  b.raf = requestAnimationFrame(tick);
  let last = performance.now();
  b.iv = setInterval(() => {
    const now = performance.now();
    b.lagMax = Math.max(b.lagMax, now - last - 50);
    last = now;
  }, 50);
}
"""

STOP = """
() => {
  const b = window.__iwsBench;
  b.po.disconnect(); cancelAnimationFrame(b.raf); clearInterval(b.iv);
  return {long: b.long, frames: b.frames, lagMax: b.lagMax, ms: performance.now() - b.t0};
}
"""

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


def _heap(cdp: Any) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return float(cdp.send("Runtime.getHeapUsage")["usedSize"]) / 2**20


def _wait(page: Any, name: str, check: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(check):
        errors = cell_errors(page, name)
        if errors:
            raise RuntimeError(f"a notebook cell raised: {errors[0]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the page did not get ready ({check}): {page.evaluate(COUNTERS)}")
        time.sleep(0.2)


def measure(
    browser: Any, base_url: str, root: Path, label: str, rate: int, seconds: float
) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    name = f"bench_{label}"
    views = label != "baseline"
    try:
        run_notebook(page, base_url, cells(rate, label), name, "lab", notebooks_root=root)
        ready = "() => { const r = document.querySelector('.iws-received'); "
        ready += "return r && Number(r.textContent.replace(/[^0-9]/g, '')) > 0"
        if views:
            ready += " && document.querySelector('.iws-chart canvas') !== null"
            ready += " && document.querySelectorAll('.iws-values-row').length >= 5"
        ready += "; }"
        _wait(page, name, ready, 60)
        # Warm up (the first flushes, the JIT); in full runs until the chart's window is
        # full, so that the heap is measured in the steady state.
        time.sleep(WINDOW + 2.0 if seconds >= 20 else min(2.0, seconds / 2))
        cdp = context.new_cdp_session(page)
        heap_start = _heap(cdp)
        before = page.evaluate(COUNTERS)
        page.evaluate(START)
        time.sleep(seconds)
        stats = page.evaluate(STOP)
        after = page.evaluate(COUNTERS)
        heap_end = _heap(cdp)
        elapsed = stats["ms"] / 1000.0
        long = [d for d in stats["long"] if d > 100]
        redraws = None
        if after["redraws"] is not None and before["redraws"] is not None:
            redraws = (after["redraws"] - before["redraws"]) / elapsed
        return {
            "seconds": elapsed,
            "msgs_per_s": (after["received"] - before["received"]) / elapsed,
            "long_tasks_over_100ms": len(long),
            "long_tasks_over_50ms": len(stats["long"]),
            "longest_task_ms": max(stats["long"], default=0.0),
            "frames_per_s": stats["frames"] / elapsed,
            "timer_lag_max_ms": max(0.0, stats["lagMax"]),
            "chart_redraws_per_s": redraws,
            "chart_points": after["points"],
            "chart_skipped": after["skipped"],
            "value_rows": after["values"],
            "heap_start_mb": heap_start,
            "heap_end_mb": heap_end,
        }
    finally:
        with contextlib.suppress(Exception):
            page.close()
        with contextlib.suppress(Exception):
            context.close()


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
    from playwright.sync_api import sync_playwright

    conftest = _e2e_conftest()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="iws-bench-") as tmp:
        env = conftest.JupyterEnv(Path(tmp))
        server = conftest.JupyterServer("lab", env)
        try:
            server.wait_ready(60)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                try:
                    pages = [p for p in PAGES if baseline or p == "views"]
                    for label in pages:
                        try:
                            results[label] = measure(
                                browser, server.base_url, env.notebooks, label, rate, seconds
                            )
                        finally:
                            # Stop this page's kernel (and its ticker) before the next page.
                            conftest._shutdown_sessions(server.base_url, f"bench_{label}.ipynb")
                finally:
                    browser.close()
        finally:
            server.stop()
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
