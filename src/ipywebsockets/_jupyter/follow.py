"""The base of bindings: a follower of a socket's stream, driven by the publisher thread.

A follower costs reception nothing. At most ``max_fps`` times a second the
process's publisher thread (:mod:`.publisher`, the one place that sets widget
state from the stream) asks it to read what arrived since its last read
(:meth:`~.stream.Stream.read_since`) and to act on it (:meth:`_update`).
Messages the history evicted before the follower read them are counted in
``skipped``; problems are reported once per follower and kind, in the
source's ``binding_errors``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from ..message import Message
from .publisher import Cursor, Throttle, get_publisher

if TYPE_CHECKING:
    from .stream import Stream

__all__ = ["Follower", "Source"]


class Source(Protocol):
    """What a follower needs of the socket it follows (the socket's :class:`Bindings`)."""

    stream: Stream

    def max_fps(self) -> int: ...

    def report(self, follower: Follower, text: str) -> None: ...

    def drop(self, follower: Follower) -> None: ...


class Follower:
    """What every binding shares: a cursor on the stream, a rate, an error slot."""

    label = ""

    def __init__(self, source: Source, max_fps: int | None) -> None:
        if max_fps is not None and not 1 <= max_fps <= 120:
            raise ValueError(f"max_fps must be between 1 and 120, got {max_fps}")
        self._source = source
        self._stream: Stream = source.stream
        self._max_fps = max_fps
        self._lock = threading.Lock()  # unbind() waits for an update in progress
        self._throttle = Throttle()
        # The newest message already in the history counts: the target starts current.
        self._cursor = Cursor(self._stream)
        self._reported: set[str] = set()
        self.active = True
        self.coalesced = 0
        self.skipped = 0
        self.error = ""

    @property
    def max_fps(self) -> int:
        """Most updates per second (the source's ``max_fps`` unless given)."""
        return self._max_fps or self._source.max_fps()

    def unbind(self) -> None:
        """Stop following the stream; the last error (if any) leaves the source's view."""
        with self._lock:
            self.active = False
        get_publisher().remove(self)
        self._source.drop(self)

    def _publish_due(self, now: float) -> float | None:
        """Called by the publisher thread: read and apply what is new, at most max_fps."""
        if not self.active or not self._cursor.pending:
            return None
        wait = self._throttle.wait(now, self.max_fps)
        if wait > 0:
            return wait
        with self._lock:
            if not self.active:
                return None
            self._throttle.flushed(now)
            messages, skipped = self._cursor.read()
            self.skipped += skipped
            self._update(messages)
        return 1.0 / self.max_fps  # look again: the stream may have gone on meanwhile

    def _update(self, messages: list[Message]) -> None:
        raise NotImplementedError

    def _report(self, kind: str, text: str) -> None:
        """Say a problem once per binding and kind, in the source's ``binding_errors``."""
        if kind in self._reported:
            return
        self._reported.add(kind)
        self.error = f"{self.label}: {text}"
        self._source.report(self, self.error)
