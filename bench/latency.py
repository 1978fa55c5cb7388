"""Latency: server send → Python ``on_message``, and server send → DOM update in JupyterLab.

The source is bench/latency_server.py in its own process: messages at a fixed
RATE, each carrying its send time (``"t"``, epoch ms, taken just before the
write). Everything runs on this one machine, so every clock reading is the
same wall clock (the page uses ``performance.timeOrigin + performance.now()``).

At each rate (low and high), in ONE JupyterLab page (headless Chromium) and its
kernel, one after the other:

* bare page: a ``new WebSocket`` in the page; latency at ``onmessage`` (after
  ``JSON.parse``).
* bare Python: a ``websockets`` asyncio client in this (plain Python) process;
  latency after ``recv()`` and ``json.loads``.
* kernel mode: ``ws = iws.WebSocket(url)`` displayed in the notebook, with an
  ``on_message`` callback in the kernel (``time.time() * 1000 - msg.json()["t"]``)
  and a MutationObserver on the widget's log rows in the page: each row that
  shows a message for the first time gives send → DOM latency.
* browser mode: the same with ``mode="browser"`` (the callback runs when the
  browser's batch reaches the kernel).

The DOM figures are for the messages that were drawn: the log draws the newest
rows at most ~20-30 times a second, so at a high rate most messages never get a
row of their own. Kernel mode updates the page at most ``max_fps`` (30) times a
second, and browser mode sends the kernel a batch as often: that is expected
latency, not overhead. With few samples (the low rate) p99 is close to the maximum.

Usage: python bench/latency.py [--low 10] [--high 5000] [--seconds 10] [--json]
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import inspect
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import Result, emit, load, parser, say, server_process
from _page import lab

# The e2e harness (tests/e2e, which _page puts on sys.path): cells run in the open notebook.
_harness = importlib.import_module("iws_e2e_harness")
run_cell, wait_for_cell_output = _harness.run_cell, _harness.wait_for_cell_output

HERE = Path(__file__).resolve().parent
NAME = "latency"

BARE_PAGE = """
([url, count]) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  const lat = [];
  ws.onmessage = (e) => {
    const now = performance.timeOrigin + performance.now();
    lat.push(now - JSON.parse(e.data).t);
  };
  ws.onerror = () => reject(new Error('the bare socket failed: ' + url));
  ws.onclose = () => resolve(lat);
})
"""

# Watches the next widget's log (one that appears after this call): each row that
# shows a message for the first time records now - t. Bench-only page state.
ARM = """
() => {
  const old = new Set(document.querySelectorAll('.iws-rows'));
  const s = window.__iwsLatency = {lat: [], rows: null, obs: null, max: -1};
  const grab = () => {
    const now = performance.timeOrigin + performance.now();
    for (const row of s.rows.querySelectorAll('.iws-row[data-dir="in"]')) {
      const seq = Number(row.dataset.seq);
      if (!(seq > s.max)) continue;
      const m = /"t":\\s*([0-9.]+)/.exec(row.querySelector('.iws-text')?.textContent || '');
      if (!m) continue;
      s.max = seq;
      s.lat.push(now - Number(m[1]));
    }
  };
  s.iv = setInterval(() => {
    const rows = [...document.querySelectorAll('.iws-rows')].find((el) => !old.has(el));
    if (!rows) return;
    clearInterval(s.iv);
    s.rows = rows;
    s.obs = new MutationObserver(grab);
    s.obs.observe(rows, {childList: true, subtree: true, characterData: true, attributes: true,
                         attributeFilter: ['data-seq']});
    grab();
  }, 2);
}
"""

DISARM = """
() => {
  const s = window.__iwsLatency;
  clearInterval(s.iv);
  if (s.obs) s.obs.disconnect();
  return s.lat;
}
"""


@contextlib.contextmanager
def latency_source(rate: float, count: int) -> Iterator[str]:
    """bench/latency_server.py in its own process; yields its URL."""
    cmd = [sys.executable, str(HERE / "latency_server.py"), "--rate", str(rate)]
    cmd += ["--count", str(count)]
    with server_process(cmd, "the latency server") as url:
        yield url


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p99 and max of ``samples`` (ms); NaN when there are none."""
    if not samples:
        return {"n": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    ordered = sorted(samples)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

    return {"n": len(ordered), "p50": q(0.5), "p99": q(0.99), "max": ordered[-1]}


async def _bare_python(url: str) -> list[float]:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    lat: list[float] = []
    async with connect(url, proxy=None, compression=None) as ws:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                lat.append(time.time() * 1000 - json.loads(raw)["t"])
    return lat


def widget_run(page: Any, url: str, mode: str, count: int, run: str) -> dict[str, Any]:
    """One displayed widget: the kernel's on_message latencies and the page's DOM ones."""
    var = f"ws_{run}"
    page.evaluate(ARM)
    run_cell(
        page,
        NAME,
        f"lat_{run} = []\n"
        f"{var} = iws.WebSocket({url!r}, mode={mode!r}, connect=False)\n"
        f"{var}.on_message(lambda m: lat_{run}.append(time.time() * 1000 - m.json()['t']))\n"
        f"{var}.connect()\n"
        f"{var}",
    )
    idx = run_cell(
        page,
        NAME,
        f"for _ in range({int(count / 50) + 600}):\n"  # the stream's length, and then some
        f"    if {var}.status == 'closed' and len(lat_{run}) >= {var}.received:\n"
        f"        break\n"
        f"    await asyncio.sleep(0.1)\n"
        f"print('KERNEL', json.dumps({{'p': pct(lat_{run}), 'received': {var}.received}}))\n"
        f"{var}.close(widget=True)",
    )
    m = wait_for_cell_output(page, NAME, idx, r"KERNEL (\{.*\})", 60 + count / 50)
    kernel = json.loads(m.group(1))
    dom = list(page.evaluate(DISARM))
    if kernel["received"] != count:
        raise RuntimeError(f"{mode} mode: the kernel received {kernel['received']} of {count}")
    return {"kernel": kernel["p"], "dom": percentiles(dom)}


def measure(page: Any, rate: float, seconds: float) -> dict[str, dict[str, float]]:
    count = max(20, int(rate * seconds))
    out: dict[str, dict[str, float]] = {}
    with latency_source(rate, count) as url:
        bare = page.evaluate(BARE_PAGE, [url, count])
        out["bare page: send → onmessage"] = percentiles(bare)
        # Playwright's sync API runs an event loop in this thread: the client gets its own.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            py = pool.submit(asyncio.run, _bare_python(url)).result()
        out["bare Python: send → recv()"] = percentiles(py)
        for mode in ("kernel", "browser"):
            r = widget_run(page, url, mode, count, f"{mode}_{int(rate)}")
            if mode == "kernel":
                out["kernel mode: send → on_message"] = r["kernel"]
            else:
                out["browser mode: send → on_message (batched)"] = r["kernel"]
            out[f"{mode} mode: send → DOM row"] = r["dom"]
    for what, p in out.items():
        say(
            f"{rate:7,.0f} msg/s  {what:42} p50 {p['p50']:8.2f} ms  p99 {p['p99']:8.2f} ms  "
            f"max {p['max']:8.2f} ms  n {p['n']:,}  (load {load()})"
        )
    return out


BASELINE = {
    "kernel mode: send → on_message": "bare Python: send → recv()",
    "kernel mode: send → DOM row": "bare page: send → onmessage",
    "browser mode: send → DOM row": "bare page: send → onmessage",
    "browser mode: send → on_message (batched)": "bare Python: send → recv()",
}

FRAME_TARGET = "browser mode: send → DOM row"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = parser(__doc__)
    p.add_argument("--low", type=float, default=10.0, help="the low rate, msg/s")
    p.add_argument("--high", type=float, default=5000.0, help="the high rate, msg/s")
    p.add_argument("--seconds", type=float, default=10.0, help="stream length at each rate")
    args = p.parse_args(argv)
    results: dict[str, dict[str, dict[str, float]]] = {}
    with lab() as lab_:
        # The same percentiles() in the kernel: only the figures travel back, not the samples.
        pct = inspect.getsource(percentiles).replace("def percentiles", "def pct")
        cells = ["import asyncio, json, time", "import ipywebsockets as iws", pct]
        with lab_.notebook(cells, NAME) as (page, _context):
            for rate in (args.low, args.high):
                results[f"{rate:g}"] = measure(page, rate, args.seconds)
    rows = []
    for rate, figures in results.items():
        for what, base in BASELINE.items():
            for q in ("p50", "p99"):
                value, baseline = figures[what][q], figures[base][q]
                target, ok = "report", None
                if what == FRAME_TARGET and q == "p50" and float(rate) == args.low:
                    # Within one animation frame (60 Hz) of the bare page.
                    target, ok = "<= bare + 16.7 ms", value - baseline <= 1000 / 60
                rows.append(
                    Result(
                        "latency",
                        f"{what} {q} at {float(rate):,.0f} msg/s (n {figures[what]['n']:,})",
                        value,
                        baseline,
                        value / baseline if baseline > 0 else None,
                        target,
                        ok,
                        "ms",
                    )
                )
    return emit(
        rows, args.json, server="bench/latency_server.py", seconds=args.seconds, results=results
    )


if __name__ == "__main__":
    main()
