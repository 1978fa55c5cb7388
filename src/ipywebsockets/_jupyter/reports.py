"""Browser mode: what the owning page reports in its ``batch`` messages, applied to the stream.

The owner numbers its ``in`` and ``out`` events from the kernel's next stream
seq: a batch that starts past what the kernel expects tells it how many
messages were lost on the way (counted in ``lost``, said in ``error``); events
already seen are skipped. Nothing is made up: an event whose payload the
kernel cannot find is counted lost, not recorded. The events are described in
``docs/browser-mode.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from .outbox import Outbox, event_payload
from .stream import Stream

__all__ = ["Reports"]

_DONE = {"in": "received", "out": "sent"}
_UNKNOWN = "a message the browser {} is not known to the kernel"
_MISSED = "sends never reached the browser (its connection to Jupyter dropped); counted unsent"


class Reports:
    """Applies an owner's batches to ``stream``. Not locked: the link holds its lock.

    Args:
        stream: where messages, sends and status changes go.
        outbox: the kernel's sends the page reports sent or refused.
    """

    def __init__(self, stream: Stream, outbox: Outbox) -> None:
        self._stream = stream
        self._outbox = outbox
        self.seq: int | None = None  # next browser seq expected

    def apply(
        self,
        content: dict[str, Any],
        buffers: Sequence[Any],
        current: bool,
        opened: Callable[[dict[str, Any]], None],
        closed: Callable[[int | None, str, str], None],
    ) -> None:
        """Apply one batch; ``current``: from the socket of the latest ``connect()``.

        ``opened(event)`` is called for each open, ``closed(code, reason, error)`` at the end.
        """
        stream = self._stream
        first = int(content.get("first", 0))
        if self.seq is None:
            self.seq = first
        elif first > self.seq:
            gap = first - self.seq
            stream.on_lost(
                gap,
                f"{gap} messages the browser handled never reached the kernel (counted in ws.lost)",
            )
            self.seq = first
        seq = first
        for event in content.get("events") or ():
            kind = event.get("e")
            if kind == "ins":  # a run of incoming texts, as columns
                seq = self._texts_in(event, seq)
            elif kind in ("in", "out"):
                seq += 1
                if not self._new(seq - 1):
                    continue
                data = event_payload(event, buffers, self._outbox)
                if data is None:  # never made up: counted, and said
                    stream.on_lost(1, _UNKNOWN.format(_DONE[kind]))
                    continue
                at = float(event.get("t", time.time() * 1000)) / 1000.0
                if kind == "in":
                    stream.on_message(data, at)
                else:
                    stream.on_sent(data, at)
            elif kind == "refused":
                if self._outbox.refused(event.get("ref")):
                    stream.on_status(self._status(), str(event.get("error", "")))
            elif kind == "missed":  # Jupyter's own connection to the page dropped them
                if missed := self._outbox.missed(event.get("from"), event.get("to")):
                    stream.on_status(self._status(), f"{missed} {_MISSED}")
            elif not current:
                continue
            elif kind == "status":
                stream.on_status(str(event.get("status")), str(event.get("error", "")))
            elif kind == "open":
                stream.on_open(str(event.get("subprotocol", "")), None)
                opened(event)
            elif kind == "closed":
                code = event.get("code")
                closed(
                    int(code) if code is not None else None,
                    str(event.get("reason", "")),
                    str(event.get("error", "")),
                )

    def _texts_in(self, event: dict[str, Any], seq: int) -> int:
        """``{"e": "ins", "t0": ms, "t": [ms after t0], "text": [str]}``: one message per text."""
        stream = self._stream
        texts = event.get("text")
        if not isinstance(texts, list):
            return seq  # how many is unknown: the next batch's first counts them lost
        times = event.get("t")
        t0 = float(event.get("t0", 0))
        if not isinstance(times, list) or len(times) != len(texts):
            times = [None] * len(texts)  # when they came is unknown: now
        for text, dt in zip(texts, times, strict=True):
            seq += 1
            if not self._new(seq - 1):
                continue
            if isinstance(text, str):
                at = (t0 + dt) / 1000.0 if isinstance(dt, (int, float)) else time.time()
                stream.on_message(text, at)
            else:  # never made up: counted, and said
                stream.on_lost(1, _UNKNOWN.format(_DONE["in"]))
        return seq

    def _new(self, seq: int) -> bool:
        """Whether the message numbered ``seq`` is news; if so, the next one is expected."""
        assert self.seq is not None  # apply() sets it before any event
        if seq < self.seq:  # already seen (a batch sent again)
            return False
        self.seq = seq + 1
        return True

    def _status(self) -> str:
        with self._stream.lock:
            return str(self._stream.state["status"])
