"""The same events over HTTP polling and over a WebSocket: latency and bytes, measured."""

from __future__ import annotations

import threading
from typing import Any

import traitlets

from ..redact import redact_text
from ..runtime import get_runtime
from ._base import TeachingWidget
from ._lab import run_lab

__all__ = ["PollingVsPush"]


class PollingVsPush(TeachingWidget):
    """A lab: ``events`` events at ``rate`` a second, polled every ``interval`` s and pushed.

    Both servers and both clients run in the kernel on loopback. :meth:`run`
    measures (and the view's Run button too); ``results`` holds each side's
    per-event latency (ms), median and 95th percentile, and bytes on the wire
    per event (HTTP requests and responses, heads included; WebSocket frames,
    with the one-time handshake counted apart). Compression is off on both.
    """

    events = traitlets.Int(30).tag(sync=True)
    rate = traitlets.Float(10.0).tag(sync=True)
    interval = traitlets.Float(0.25).tag(sync=True)
    state = traitlets.Unicode("ready").tag(sync=True)  # ready, running, done, error
    error = traitlets.Unicode("").tag(sync=True)
    results = traitlets.Dict().tag(sync=True)

    def __init__(
        self, events: int = 30, rate: float = 10.0, interval: float = 0.25, **kwargs: Any
    ) -> None:
        if events < 1 or rate <= 0 or interval <= 0:
            raise ValueError(
                f"events must be >= 1 and rate, interval > 0; got events={events}, "
                f"rate={rate}, interval={interval}"
            )
        super().__init__(_view="polling", events=events, rate=rate, interval=interval, **kwargs)
        self._running = threading.Lock()

    def run(self, timeout: float = 30.0) -> dict[str, Any]:
        """Run the lab (a few seconds: ``events / rate`` plus one ``interval``); return results.

        Raises:
            RuntimeError: a run is already going on.
            TimeoutError: it did not finish within ``timeout`` seconds more than planned.
        """
        if not self._running.acquire(blocking=False):
            raise RuntimeError("the lab is already running: wait for it to finish")
        try:
            with self._sync_lock:
                self.state, self.error = "running", ""
            runtime = get_runtime("ipywebsockets-lab")
            planned = self.events / self.rate + self.interval
            try:
                result = runtime.run(
                    run_lab(self.events, self.rate, self.interval, timeout),
                    timeout=planned + timeout,
                )
            except Exception as exc:
                with self._sync_lock:
                    self.state, self.error = "error", redact_text(f"{type(exc).__name__}: {exc}")
                raise
            with self._sync_lock, self.hold_sync():
                self.results = result.as_dict()
                self.state = "done"
            return self.results
        finally:
            self._running.release()

    def _handle(self, content: dict[str, Any]) -> dict[str, Any] | None:
        if content.get("type") == "run":
            # Off the comm thread: the run takes seconds; the traits tell the view when it ends.
            threading.Thread(target=self._run_quietly, daemon=True).start()
            return {"started": True}
        return None

    def _run_quietly(self) -> None:
        try:
            self.run()
        except Exception:  # kept in the error trait, shown in the view
            pass
