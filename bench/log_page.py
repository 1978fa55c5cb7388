"""The Log under a fast stream in a real JupyterLab: long tasks, heap, rows absorbed.

Pages, one after the other, each with its own kernel and a TickerServer at RATE:

* none: the same socket, nothing displayed (what JupyterLab itself costs);
* kernel: ``ws`` displayed (status bar + Log + Composer), socket in the kernel;
* kernel+log: the same plus ``iws.Log(ws)`` (rows=100,000);
* browser: ``ws`` with ``mode="browser"``: the page's own socket appends rows at full rate.

For SECONDS on each page, in the browser: main-thread long tasks
(PerformanceObserver "longtask"), animation frames per second, the JS heap
before and after (after a forced GC through CDP), messages per second the
widget counted, and rows per second the log took in (its ``data-total``).

Usage: python bench/log_page.py [--seconds 30] [--rate 10000] [--pages kernel,kernel+log,browser]
    [--profile]  (self time of the heaviest JS functions over the run, from a CDP CPU profile)
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
E2E = HERE.parent / "tests" / "e2e"
sys.path.insert(0, str(E2E))

from iws_e2e_harness import CHROMIUM, CHROMIUM_ARGS, cell_errors, run_notebook  # noqa: E402

START = """
() => {
  const b = window.__iwsLog = {long: [], frames: 0, t0: performance.now()};
  b.po = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.long.push(e.duration);
  });
  b.po.observe({type: 'longtask'});
  const tick = () => { b.frames++; b.raf = requestAnimationFrame(tick); };
  b.raf = requestAnimationFrame(tick);
}
"""
STOP = """
() => {
  const b = window.__iwsLog;
  b.po.disconnect(); cancelAnimationFrame(b.raf);
  return {long: b.long, frames: b.frames, ms: performance.now() - b.t0};
}
"""
COUNTERS = """
() => {
  const n = (el) => el ? Number(el.textContent.replace(/[^0-9]/g, '')) : 0;
  const logs = [...document.querySelectorAll('.iws-logview')];
  return {
    received: n(document.querySelector('.iws-received')),
    totals: logs.map((el) => Number(el.dataset.total || 0)),
    domRows: document.querySelectorAll('.iws-row').length,
  };
}
"""

PAGES = {
    # The socket streams in the kernel, nothing is displayed: JupyterLab's own share.
    "none": ["ws = iws.WebSocket(srv.url)"],
    "kernel": ["ws = iws.WebSocket(srv.url)", "ws"],
    "kernel+log": ["ws = iws.WebSocket(srv.url)", "ws", "iws.Log(ws)"],
    "browser": ['ws = iws.WebSocket(srv.url, mode="browser")', "ws"],
}


def _conftest() -> Any:
    spec = importlib.util.spec_from_file_location("iws_e2e_conftest", E2E / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _heap(cdp: Any) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return float(cdp.send("Runtime.getHeapUsage")["usedSize"]) / 2**20


def _top_functions(profile: dict[str, Any], n: int = 12) -> list[tuple[float, str]]:
    """Self time per function (ms) from a CDP CPU profile, heaviest first."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    deltas = profile.get("timeDeltas", [])
    self_ms: dict[str, float] = {}
    for sample, delta in zip(profile.get("samples", []), deltas, strict=False):
        frame = nodes[sample]["callFrame"]
        url = frame.get("url", "").rsplit("/", 1)[-1][:40]
        key = f"{frame.get('functionName') or '(anonymous)'} {url}:{frame.get('lineNumber', 0)}"
        self_ms[key] = self_ms.get(key, 0.0) + delta / 1000.0
    return sorted(((ms, key) for key, ms in self_ms.items()), reverse=True)[:n]


def measure(
    browser: Any,
    base: str,
    root: Path,
    page_name: str,
    rate: int,
    seconds: float,
    profile: bool = False,
    css: str = "",
) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    name = "log_" + page_name.replace("+", "_")
    cells = [
        "import ipywebsockets as iws",
        f"srv = iws.TickerServer(rate={rate}).start()",
        *PAGES[page_name],
    ]
    try:
        run_notebook(page, base, cells, name, "lab", notebooks_root=root)
        deadline = time.monotonic() + 60
        while page_name != "none" and page.evaluate(COUNTERS)["received"] == 0:
            if cell_errors(page, name):
                raise RuntimeError(cell_errors(page, name)[0])
            if time.monotonic() > deadline:
                raise RuntimeError("no message arrived")
            time.sleep(0.2)
        if css:  # e.g. ".iws-logview {display: none}" to see what one part costs
            page.add_style_tag(content=css)
        time.sleep(3)  # warm up: the first flushes and the JIT
        cdp = context.new_cdp_session(page)
        heap0 = _heap(cdp)
        before = page.evaluate(COUNTERS)
        if profile:
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
            cdp.send("Profiler.start")
        page.evaluate(START)
        heaps = []
        for _ in range(int(seconds // 5)):
            time.sleep(5)
            heaps.append(round(float(cdp.send("Runtime.getHeapUsage")["usedSize"]) / 2**20, 1))
        time.sleep(seconds % 5)
        stats = page.evaluate(STOP)
        after = page.evaluate(COUNTERS)
        top = _top_functions(cdp.send("Profiler.stop")["profile"]) if profile else []
        heap1 = _heap(cdp)
        elapsed = stats["ms"] / 1000
        return {
            "msgs_per_s": (after["received"] - before["received"]) / elapsed,
            "rows_per_s": [
                (a - b) / elapsed for a, b in zip(after["totals"], before["totals"], strict=False)
            ],
            "long_over_100ms": sum(1 for d in stats["long"] if d > 100),
            "long_over_50ms": len(stats["long"]),
            "longest_ms": max(stats["long"], default=0.0),
            "frames_per_s": stats["frames"] / elapsed,
            "heap_mb": (heap0, heap1),
            "heap_every_5s_mb": heaps,
            "dom_rows": after["domRows"],
            "top": top,
        }
    finally:
        with contextlib.suppress(Exception):
            context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--pages", default="kernel,kernel+log,browser")
    parser.add_argument("--profile", action="store_true", help="print the heaviest JS functions")
    parser.add_argument("--css", default="", help="a style sheet added to the page (to hide parts)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    conftest = _conftest()
    with tempfile.TemporaryDirectory(prefix="iws-log-bench-") as tmp:
        env = conftest.JupyterEnv(Path(tmp))
        server = conftest.JupyterServer("lab", env)
        try:
            server.wait_ready(60)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                try:
                    for page_name in args.pages.split(","):
                        try:
                            r = measure(
                                browser,
                                server.base_url,
                                env.notebooks,
                                page_name,
                                args.rate,
                                args.seconds,
                                args.profile,
                                args.css,
                            )
                        finally:
                            name = "log_" + page_name.replace("+", "_")
                            conftest._shutdown_sessions(server.base_url, f"{name}.ipynb")
                        rows = ", ".join(f"{x:,.0f}" for x in r["rows_per_s"])
                        print(
                            f"{page_name:11} {r['msgs_per_s']:8,.0f} msg/s  log rows/s [{rows}]  "
                            f"long>100ms {r['long_over_100ms']}  long>50ms {r['long_over_50ms']}  "
                            f"longest {r['longest_ms']:.0f} ms  {r['frames_per_s']:.0f} fps  "
                            f"heap {r['heap_mb'][0]:.1f} -> {r['heap_mb'][1]:.1f} MiB "
                            f"(every 5 s: {r['heap_every_5s_mb']})  DOM rows {r['dom_rows']}",
                            flush=True,
                        )
                        for ms, where in r["top"]:
                            print(f"    {ms:8.0f} ms  {where}", flush=True)
                finally:
                    browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
