"""What the page benchmarks share: a JupyterLab in headless Chromium and the in-page probes.

``lab()`` starts the isolated JupyterLab the e2e tests use (tests/e2e/conftest.py)
and Debian's Chromium, and yields a ``Lab``; ``Lab.notebook(cells, name)`` opens
a new page running those cells and shuts its kernel down afterwards.
``start(page)`` / ``stop(page)`` measure, in the page: main-thread long tasks
(PerformanceObserver "longtask") and long animation frames, animation frames, the
worst lag of a 50 ms timer, the JS heap every 5 s (``performance.memory``);
``heap_mb`` forces a GC through CDP before reading the JS heap (before and after a
measured run, never during it: DevTools calls run on the page's main thread, and
``Runtime.getHeapUsage`` took up to ~130 ms there on a busy page); ``Steal`` samples
the CPU time the hypervisor takes from this VM; ``top_functions`` sums a CDP CPU
profile's self time per function.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
E2E = HERE.parent / "tests" / "e2e"
sys.path.insert(0, str(E2E))
sys.path.insert(0, str(E2E.parent))  # tests/timing.py, which the e2e harness imports

from iws_e2e_harness import CHROMIUM, CHROMIUM_ARGS, cell_errors, run_notebook  # noqa: E402

__all__ = [
    "Lab",
    "Steal",
    "cell_errors",
    "heap_mb",
    "lab",
    "long_task_stats",
    "start",
    "stop",
    "top_functions",
    "wait_until",
]

_START = """
() => {
  const b = window.__iwsBench = {long: [], frames: 0, lagMax: 0, t0: performance.now()};
  b.po = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.long.push([e.startTime - b.t0, e.duration]);
  });
  b.po.observe({type: 'longtask'});
  // Long animation frames over 100 ms, with what they spent where (Chromium's LoAF API).
  b.loaf = [];
  if (PerformanceObserver.supportedEntryTypes.includes('long-animation-frame')) {
    b.lo = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.duration <= 100) continue;
        const end = e.startTime + e.duration;
        b.loaf.push({
          at: Math.round(e.startTime - b.t0), ms: Math.round(e.duration),
          blocking: Math.round(e.blockingDuration),
          render: e.renderStart ? Math.round(end - e.renderStart) : 0,
          style: e.styleAndLayoutStart ? Math.round(end - e.styleAndLayoutStart) : 0,
          scripts: e.scripts.map((s) => ({
            ms: Math.round(s.duration), forced: Math.round(s.forcedStyleAndLayoutDuration),
            at: Math.round(s.startTime - e.startTime),
            what: [s.invokerType, s.invoker, s.sourceFunctionName || '',
                   (s.sourceURL || '').slice(-40)].join(' '),
          })),
        });
      }
    });
    b.lo.observe({type: 'long-animation-frame'});
  }
  const tick = () => { b.frames++; b.raf = requestAnimationFrame(tick); };
  b.raf = requestAnimationFrame(tick);
  // The JS heap every 5 s, read in the page (performance.memory: no DevTools call, which
  // would run on the main thread; CDP's Runtime.getHeapUsage took up to ~130 ms there).
  b.heap = [];
  b.hv = setInterval(() => {
    if (performance.memory) b.heap.push(performance.memory.usedJSHeapSize);
  }, 5000);
  let last = performance.now();
  b.iv = setInterval(() => {
    const now = performance.now();
    b.lagMax = Math.max(b.lagMax, now - last - 50);
    last = now;
  }, 50);
}
"""

_STOP = """
() => {
  const b = window.__iwsBench;
  b.po.disconnect(); if (b.lo) b.lo.disconnect();
  cancelAnimationFrame(b.raf); clearInterval(b.iv); clearInterval(b.hv);
  const ms = performance.now() - b.t0;
  return {long: b.long, loaf: b.loaf, frames: b.frames, lagMax: b.lagMax, ms, heap: b.heap};
}
"""


def _e2e_conftest() -> Any:
    """JupyterEnv / JupyterServer: the isolated JupyterLab the e2e tests start."""
    spec = importlib.util.spec_from_file_location("iws_e2e_conftest", E2E / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start(page: Any) -> None:
    """Begin counting long tasks, animation frames and timer lag in the page."""
    page.evaluate(_START)


def stop(page: Any) -> dict[str, Any]:
    """Stop counting: ``{"long": [[start ms, duration ms]...], "frames": n, "lagMax": ms,
    "ms": elapsed}`` (``start`` from the call to ``start(page)``)."""
    return dict(page.evaluate(_STOP))


def long_task_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """The figures every page bench reports from ``stop()``'s result."""
    elapsed = stats["ms"] / 1000.0
    durations = [d for _, d in stats["long"]]
    return {
        "seconds": elapsed,
        "long_tasks_over_100ms": sum(1 for d in durations if d > 100),
        "long_tasks_over_50ms": len(durations),
        "longest_task_ms": max(durations, default=0.0),
        # When the tasks over 100 ms began (s after start()) and how long they took (ms).
        "tasks_over_100ms_at": [
            (round(t / 1000, 2), round(d)) for t, d in stats["long"] if d > 100
        ],
        # Animation frames over 100 ms: where their time went (Chromium's long-animation-frame).
        "long_frames": stats.get("loaf", []),
        # The JS heap every 5 s (MiB, no forced GC), read in the page.
        "heap_every_5s_mb": [round(b / 2**20, 1) for b in stats.get("heap", [])],
        "frames_per_s": stats["frames"] / elapsed,
        "timer_lag_max_ms": max(0.0, stats["lagMax"]),
    }


def heap_mb(cdp: Any, collect: bool = True) -> float:
    """The page's used JS heap in MiB, after a forced GC unless ``collect=False``."""
    if collect:
        cdp.send("HeapProfiler.collectGarbage")
    return float(cdp.send("Runtime.getHeapUsage")["usedSize"]) / 2**20


def top_functions(profile: dict[str, Any], n: int = 12) -> list[tuple[float, str]]:
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


class Steal:
    """CPU time the hypervisor took from this machine's vCPUs ("steal" in /proc/stat),
    sampled every 100 ms on a thread while in a ``with`` block (Linux; nothing elsewhere).

    On a VM a stolen 100 ms window stalls whatever ran on that vCPU: a page task that
    was in it is long whatever the page did. ``percent`` is the share of CPU time
    stolen over the block; ``worst_ms(t0, t1)`` the most stolen in one 100 ms window
    (summed over vCPUs) between ``t0`` and ``t1`` s after the block began.
    """

    def __init__(self) -> None:
        self.windows: list[tuple[float, float]] = []  # (s after start, ms stolen)
        self.percent: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="steal-sampler", daemon=True)
        self._tick_ms = 10.0  # a clock tick, ms (USER_HZ is 100 on Linux)
        with contextlib.suppress(AttributeError, ValueError, OSError):
            self._tick_ms = 1000 / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _read() -> list[int] | None:
        try:
            with open("/proc/stat") as f:
                return [int(x) for x in f.readline().split()[1:9]]
        except (OSError, ValueError):
            return None

    def _run(self) -> None:
        t0 = time.monotonic()
        first = prev = self._read()
        if first is None:
            return
        while not self._stop.wait(0.1):
            now = self._read()
            if now is None or prev is None:
                return
            self.windows.append((time.monotonic() - t0, (now[7] - prev[7]) * self._tick_ms))
            prev = now
        if prev is not None:
            total = sum(prev) - sum(first)
            self.percent = 100 * (prev[7] - first[7]) / total if total > 0 else 0.0

    def __enter__(self) -> Steal:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(1.0)

    def worst_ms(self, t0: float, t1: float) -> float:
        """The most CPU time stolen in one 100 ms window overlapping [t0, t1] s."""
        hits = [ms for end, ms in self.windows if end >= t0 and end - 0.1 <= t1]
        return max(hits, default=0.0)


def wait_until(page: Any, name: str, check: str, timeout: float, what: str = "") -> None:
    """Poll the JS expression ``check`` until true; a cell's error or the timeout raises."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(check):
        errors = cell_errors(page, name)
        if errors:
            raise RuntimeError(f"a notebook cell raised: {errors[0]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the page did not get ready in {timeout:g} s ({what or check})")
        time.sleep(0.2)


@dataclass
class Lab:
    """A running JupyterLab and a headless Chromium connected to nothing yet."""

    browser: Any
    base_url: str
    notebooks: Path
    _conftest: Any

    @contextlib.contextmanager
    def notebook(self, cells: list[str], name: str) -> Iterator[tuple[Any, Any]]:
        """Run ``cells`` in a new notebook ``name``, yield (page, context), stop its kernel."""
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        try:
            run_notebook(page, self.base_url, cells, name, "lab", notebooks_root=self.notebooks)
            yield page, context
        finally:
            with contextlib.suppress(Exception):
                context.close()
            # Stop this page's kernel (and whatever server it started) before the next page.
            self._conftest._shutdown_sessions(self.base_url, f"{name}.ipynb")


@contextlib.contextmanager
def lab(args: list[str] | None = None) -> Iterator[Lab]:
    """An isolated JupyterLab and Debian's Chromium (extra Chromium ``args`` if given)."""
    from playwright.sync_api import sync_playwright

    conftest = _e2e_conftest()
    with tempfile.TemporaryDirectory(prefix="iws-bench-") as tmp:
        env = conftest.JupyterEnv(Path(tmp))
        server = conftest.JupyterServer("lab", env)
        try:
            server.wait_ready(60)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM,
                    # performance.memory: fresh, unrounded values (read by the probes)
                    args=[*CHROMIUM_ARGS, "--enable-precise-memory-info", *(args or [])],
                    headless=True,
                )
                try:
                    yield Lab(browser, server.base_url, env.notebooks, conftest)
                finally:
                    browser.close()
        finally:
            server.stop()
