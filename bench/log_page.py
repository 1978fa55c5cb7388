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
import time
from typing import Any

from _page import heap_mb, lab, long_task_stats, start, stop, top_functions, wait_until

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


def measure(
    lab_: Any, page_name: str, rate: int, seconds: float, profile: bool = False, css: str = ""
) -> dict[str, Any]:
    name = "log_" + page_name.replace("+", "_")
    cells = [
        "import ipywebsockets as iws",
        f"srv = iws.TickerServer(rate={rate}).start()",
        *PAGES[page_name],
    ]
    with lab_.notebook(cells, name) as (page, context):
        if page_name != "none":
            check = "() => { const r = document.querySelector('.iws-received'); "
            check += "return r && Number(r.textContent.replace(/[^0-9]/g, '')) > 0; }"
            wait_until(page, name, check, 60, "no message arrived")
        if css:  # e.g. ".iws-logview {display: none}" to see what one part costs
            page.add_style_tag(content=css)
        time.sleep(3)  # warm up: the first flushes and the JIT
        cdp = context.new_cdp_session(page)
        heap0 = heap_mb(cdp)
        before = page.evaluate(COUNTERS)
        if profile:
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
            cdp.send("Profiler.start")
        start(page)
        time.sleep(seconds)
        stats = long_task_stats(stop(page))
        after = page.evaluate(COUNTERS)
        top = top_functions(cdp.send("Profiler.stop")["profile"]) if profile else []
        heap1 = heap_mb(cdp)
        elapsed = stats["seconds"]
        return {
            **stats,
            "msgs_per_s": (after["received"] - before["received"]) / elapsed,
            "rows_per_s": [
                (a - b) / elapsed for a, b in zip(after["totals"], before["totals"], strict=False)
            ],
            "heap_mb": (heap0, heap1),
            "dom_rows": after["domRows"],
            "top": top,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--pages", default="kernel,kernel+log,browser")
    parser.add_argument("--profile", action="store_true", help="print the heaviest JS functions")
    parser.add_argument("--css", default="", help="a style sheet added to the page (to hide parts)")
    args = parser.parse_args()
    with lab() as lab_:
        for page_name in args.pages.split(","):
            r = measure(lab_, page_name, args.rate, args.seconds, args.profile, args.css)
            rows = ", ".join(f"{x:,.0f}" for x in r["rows_per_s"])
            print(
                f"{page_name:11} {r['msgs_per_s']:8,.0f} msg/s  log rows/s [{rows}]  "
                f"long>100ms {r['long_tasks_over_100ms']}  long>50ms {r['long_tasks_over_50ms']}  "
                f"longest {r['longest_task_ms']:.0f} ms  {r['frames_per_s']:.0f} fps  "
                f"heap {r['heap_mb'][0]:.1f} -> {r['heap_mb'][1]:.1f} MiB "
                f"(every 5 s: {r['heap_every_5s_mb']})  DOM rows {r['dom_rows']}",
                flush=True,
            )
            for ms, where in r["top"]:
                print(f"    {ms:8.0f} ms  {where}", flush=True)


if __name__ == "__main__":
    main()
