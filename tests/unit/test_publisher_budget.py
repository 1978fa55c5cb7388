"""The publisher thread's shared budget: all widgets together flush at most ~300 times a second.

Each widget keeps to its own ``max_fps``; past that, 100 streaming widgets at 60
would publish 6,000 comm messages a second, six times what jupyter_server
forwards (docs/jupyter-internals.md#iopub-rate-limit). The publisher spaces its
calls so that the sum stays within ``_TOTAL_PER_SECOND`` and every widget keeps
a share.

The publisher under test is a real one (its own thread); the widgets are
counters that stream forever at their own rate, so what is measured is the
publisher's pacing alone. The windows are measuring windows (``time.sleep``),
not waits for a condition.
"""

from __future__ import annotations

import threading
import time

import pytest

from ipywebsockets._jupyter import publisher as publisher_module
from ipywebsockets._jupyter.publisher import Publisher, Throttle

BUDGET = publisher_module._TOTAL_PER_SECOND


class Streaming:
    """A widget whose data never stops: it flushes whenever its own rate allows."""

    def __init__(self, fps: int) -> None:
        self.fps = fps
        self.throttle = Throttle()
        self.flushes = 0
        self.lock = threading.Lock()

    def _publish_due(self, now: float) -> float | None:
        wait = self.throttle.wait(now, self.fps)
        if wait > 0:
            return wait
        self.throttle.flushed(now)
        with self.lock:
            self.flushes += 1
        return 1.0 / self.fps

    def take(self) -> int:
        with self.lock:
            n, self.flushes = self.flushes, 0
            return n


def measure(widgets: list[Streaming], warmup: float = 0.5, window: float = 1.5) -> list[float]:
    """Flushes a second of each widget over ``window`` s, after ``warmup`` s to settle."""
    pub = Publisher()
    try:
        for w in widgets:
            pub.add(w)
        time.sleep(warmup)
        for w in widgets:
            w.take()
        started = time.monotonic()
        time.sleep(window)
        counts = [w.take() for w in widgets]
        elapsed = time.monotonic() - started
    finally:
        for w in widgets:
            pub.remove(w)
    return [c / elapsed for c in counts]


def test_many_streaming_widgets_share_the_budget() -> None:
    widgets = [Streaming(60) for _ in range(100)]  # want 6,000 flushes a second
    rates = measure(widgets)
    total = sum(rates)
    spread = f"{min(rates):.1f}..{max(rates):.1f}"
    print(f"100 widgets at max_fps=60: {total:.0f} flushes/s, each {spread}")
    assert total <= BUDGET * 1.2, f"{total:.0f} flushes/s for {len(widgets)} widgets"
    assert total >= BUDGET * 0.5, f"only {total:.0f} flushes/s: the budget is not used"
    # Shared fairly: about 3 a second each, none starved.
    assert min(rates) >= 0.4 * BUDGET / len(widgets), sorted(rates)[:5]


@pytest.mark.parametrize("fps", [10, 30])
def test_few_widgets_keep_their_own_rate(fps: int) -> None:
    widgets = [Streaming(fps) for _ in range(3)]  # well within the budget
    rates = measure(widgets)
    print(f"3 widgets at max_fps={fps}: {[round(r, 1) for r in rates]} flushes/s")
    for rate in rates:
        assert 0.7 * fps <= rate <= fps + 1, rates
