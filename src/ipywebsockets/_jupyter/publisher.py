"""Coalesce kernel-to-browser updates: each widget flushes at most max_fps times a second.

Jupyter forwards at most about 1,000 IOPub messages a second and drops the
rest (docs/jupyter-internals.md#iopub-rate-limit), so a widget never sends a
message per frame. Widgets mark themselves dirty from any thread; this thread calls their
``_flush`` no more often than each one's ``max_fps`` allows, and about once
a second while they stream, so that the rate shown decays when data stops.
"""

from __future__ import annotations

import sys
import threading
import time
import weakref
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..message import Message
    from .stream import Stream

__all__ = ["Cursor", "Publishable", "Publisher", "Throttle", "get_publisher"]

_IDLE_SECONDS = 1.0
# Flushes a second for all widgets together. Each widget keeps to its own max_fps,
# but 100 streaming widgets at 30 would publish 3,000 comm messages a second, three
# times what jupyter_server forwards (docs/jupyter-internals.md#iopub-rate-limit).
_TOTAL_PER_SECOND = 300


class Publishable(Protocol):
    def _publish_due(self, now: float) -> float | None:
        """Flush now if due; return seconds until the next flush is wanted, or None."""


class Publisher:
    """The one flushing thread of the process."""

    def __init__(self) -> None:
        self._widgets: weakref.WeakSet[Publishable] = weakref.WeakSet()
        # When each widget was last asked and whether it wanted to be asked again
        # (it streams); how many did at the last pass.
        self._asked: weakref.WeakKeyDictionary[Publishable, tuple[float, bool]] = (
            weakref.WeakKeyDictionary()
        )
        self._busy = 0
        self._reported: weakref.WeakKeyDictionary[Publishable, str] = weakref.WeakKeyDictionary()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        # Removed, to be dropped at the next pass. remove() takes no lock: a widget's
        # __del__ calls it, and the garbage collector runs __del__ wherever it likes,
        # this thread too, in the middle of a pass that holds the lock.
        self._removed: list[Publishable] = []
        self._thread = threading.Thread(target=self._run, name="ipywebsockets-publish", daemon=True)
        self._thread.start()

    def add(self, widget: Publishable) -> None:
        with self._lock:
            while widget in self._removed:  # added again after a remove()
                self._removed.remove(widget)
            self._widgets.add(widget)
        self._wake.set()

    def remove(self, widget: Publishable) -> None:
        """Publish ``widget`` no more (from any thread, even a ``__del__``: takes no lock)."""
        self._removed.append(widget)
        self._wake.set()

    def wake(self) -> None:
        """Something became dirty: look at the widgets again now."""
        self._wake.set()

    def _run(self) -> None:
        while True:
            # Cleared before looking, so a wake that comes while flushing is not lost.
            self._wake.clear()
            with self._lock:
                while self._removed:
                    self._widgets.discard(self._removed.pop())
                widgets = list(self._widgets)
            timeout = _IDLE_SECONDS
            now = time.monotonic()
            # Each widget is asked at most this often: with few widgets, never binding.
            spacing = self._busy / _TOTAL_PER_SECOND
            busy = 0
            for widget in widgets:
                if self._removed and widget in self._removed:
                    continue
                asked, wanted = self._asked.get(widget, (0.0, False))
                if now < asked + spacing:
                    busy += wanted
                    timeout = min(timeout, asked + spacing - now)
                    continue
                try:
                    wait = widget._publish_due(now)
                except BaseException as exc:  # one widget never stops the others
                    # Said once per widget and error, not 30 times a second.
                    if self._reported.get(widget) != repr(exc):
                        self._reported[widget] = repr(exc)
                        print(
                            f"[ipywebsockets] cannot update the view of {widget!r}: {exc!r}",
                            file=sys.stderr,
                        )
                    wait = None
                self._asked[widget] = (now, wait is not None)
                if wait is not None:
                    busy += 1
                    timeout = min(timeout, wait)
            self._busy = busy
            del widgets
            self._wake.wait(max(timeout, 0.001))


_publisher: Publisher | None = None
_lock = threading.Lock()


def get_publisher() -> Publisher:
    global _publisher
    with _lock:
        if _publisher is None:
            _publisher = Publisher()
        return _publisher


class Throttle:
    """The rate gate every publishing object shares: a dirty flag, at most ``fps`` flushes a second.

    ``mark()`` (any thread) wakes the publisher; in ``_publish_due`` the owner
    asks :meth:`wait` how long until it may flush and calls :meth:`flushed`
    when it does.
    """

    __slots__ = ("dirty", "last")

    def __init__(self) -> None:
        self.dirty = False
        self.last = 0.0  # monotonic time of the last flush

    def mark(self) -> None:
        """Something changed: flush soon."""
        if not self.dirty:
            self.dirty = True
            get_publisher().wake()

    def wait(self, now: float, fps: float) -> float:
        """Seconds until a flush at ``fps`` a second may run (0: now)."""
        return max(0.0, 1.0 / fps - (now - self.last))

    def flushed(self, now: float) -> None:
        self.dirty = False
        self.last = now


class Cursor:
    """A follower's place in a stream: it reads what arrived since its last read.

    Followers (views, bindings) read at their own pace on the publisher
    thread, so reception pays nothing for them; what the history evicted
    before they read it is counted, not lost silently.
    """

    __slots__ = ("seq", "stream")

    def __init__(self, stream: Stream, backlog: int | None = None) -> None:
        self.stream = stream
        with stream.lock:
            first, end = stream.history.first_seq, stream.history.next_seq
        # backlog=None: from the oldest message the history keeps.
        self.seq = first if backlog is None else max(first, end - max(0, backlog))

    @property
    def pending(self) -> bool:
        """Whether messages arrived since the last read."""
        return self.stream.next_seq > self.seq

    def read(self, limit: int | None = None) -> tuple[list[Message], int]:
        """The messages since the last read (the newest ``limit``) and how many were skipped."""
        messages, skipped, self.seq = self.stream.read_since(self.seq, limit)
        return messages, skipped

    def skip_to_end(self) -> None:
        """Mark everything so far as read (a view that looks at the history itself)."""
        self.seq = self.stream.next_seq
