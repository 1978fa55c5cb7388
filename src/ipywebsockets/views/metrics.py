"""``iws.Metrics(ws)``: rate, inter-arrival time, round-trip latency and status changes."""

from __future__ import annotations

import itertools
import time
from typing import Any

import traitlets

from ..widget import WebSocket
from ._base import SourceView

__all__ = ["Metrics"]

_EVERY_SECONDS = 0.5
_GAPS = 1000  # inter-arrival times measured over the last this many incoming messages
_TIMELINE = 12


def gaps_ms(times: list[float]) -> tuple[float, float] | None:
    """Mean and 95th percentile of the gaps between consecutive ``times`` (s), in ms."""
    if len(times) < 2:
        return None
    gaps = sorted(max(0.0, b - a) * 1000.0 for a, b in itertools.pairwise(times))
    p95 = gaps[min(len(gaps) - 1, -(-95 * len(gaps) // 100) - 1)]
    return sum(gaps) / len(gaps), p95


class Metrics(SourceView):
    """A strip of live figures about a WebSocket.

    ``rate`` (messages received per second), ``gap_mean_ms`` and ``gap_p95_ms``
    (time between incoming messages, over the last 1,000), ``latency`` (seconds,
    the round-trip time of the last ping: keepalive or ``ws.ping()``; kernel mode
    only, browsers do not let pages ping) and ``timeline`` (the last status
    changes, ``{"time": ms, "status": s}``). Updated at most twice a second.

    Args:
        source: the :class:`~ipywebsockets.WebSocket` to measure.
    """

    _view = traitlets.Unicode("metrics").tag(sync=True)
    mode = traitlets.Unicode(read_only=True).tag(sync=True)
    rate = traitlets.Float(0.0, read_only=True).tag(sync=True)
    gap_mean_ms = traitlets.Float(None, allow_none=True, read_only=True).tag(sync=True)
    gap_p95_ms = traitlets.Float(None, allow_none=True, read_only=True).tag(sync=True)
    latency = traitlets.Float(None, allow_none=True, read_only=True).tag(sync=True)
    timeline = traitlets.List(traitlets.Dict(), read_only=True).tag(sync=True)

    def __init__(self, source: WebSocket, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.set_trait("mode", source.mode)
        self._on_status({"new": source.status})
        source.observe(self._on_status, names=["status"])

    def _on_status(self, change: dict[str, Any]) -> None:
        with self._sync_lock:
            timeline = list(self.timeline)
            if not timeline or timeline[-1]["status"] != change["new"]:
                timeline.append({"time": time.time() * 1000.0, "status": change["new"]})
                self.set_trait("timeline", timeline[-_TIMELINE:])

    def _publish_due(self, now: float) -> float | None:
        wait = self._throttle.wait(now, 1.0 / _EVERY_SECONDS)
        if wait > 0:
            return wait
        stream = self.source._stream
        with stream.lock:
            history = stream.history
            times: list[float] = []
            for seq in range(history.next_seq - 1, history.first_seq - 1, -1):
                msg = history.get(seq)
                if msg is not None and msg.direction == "in":
                    times.append(msg.time)
                    if len(times) > _GAPS:
                        break
            rate = round(stream.stats.meter.rate(time.time()), 2)
            opened = stream.handshake
            latency = round(opened.latency, 6) if opened is not None and opened.latency else None
        gaps = gaps_ms(times[::-1])
        with self._sync_lock:
            self._throttle.flushed(now)
            self._cursor.skip_to_end()  # this view reads the history itself
            values = {
                "rate": rate,
                "gap_mean_ms": None if gaps is None else round(gaps[0], 3),
                "gap_p95_ms": None if gaps is None else round(gaps[1], 3),
                "latency": latency,
            }
            changed = {k: v for k, v in values.items() if getattr(self, k) != v}
            if changed:
                with self.hold_sync():
                    for name, value in changed.items():
                        self.set_trait(name, value)
        return _EVERY_SECONDS if rate > 0 or self.rate > 0 else 1.0

    def close(self) -> None:
        source = getattr(self, "source", None)
        if source is not None:
            source.unobserve(self._on_status, names=["status"])
        super().close()
