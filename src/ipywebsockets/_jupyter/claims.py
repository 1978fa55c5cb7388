"""Requests waiting for replies: a :class:`Claim` takes the first incoming message that matches.

``ws.request()`` and ``ws.call()`` register a claim *before* they send, so a
reply that comes back at once is not missed. The stream offers each incoming
message to the open claims as it arrives (on the transport's thread, under
the stream's lock); the message a claim takes is kept in the history, shown
by views and handed to ``on_message`` handlers like any other, but readers
(``recv``, ``wait_for``, ``async for``) skip it: it is the request's answer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from ..message import Message
from .callbacks import resolve

__all__ = ["Claim"]


class Claim:
    """The first incoming message from seq ``after`` on for which ``match(msg)`` is true.

    ``match`` runs as each message arrives (keep it quick). When it raises, the
    message does not match; the first error is kept for the timeout's text.
    """

    __slots__ = ("_event", "_futures", "after", "error", "failures", "match", "reply", "seen")

    def __init__(self, match: Callable[[Message], object], after: int) -> None:
        self.match = match
        self.after = after
        self.reply: Message | None = None
        self.error: BaseException | None = None  # the stream ended first
        self.seen = 0  # messages offered
        self.failures: tuple[int, str] = (0, "")  # match() raised: how often, the first text
        self._event = threading.Event()
        self._futures: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    @property
    def done(self) -> bool:
        return self._event.is_set()

    def offer(self, msg: Message) -> bool:
        """Whether this claim takes ``msg`` (called under the stream's lock)."""
        if self.done or msg.seq < self.after:
            return False
        self.seen += 1
        try:
            taken = bool(self.match(msg))
        except Exception as exc:  # a reply of another shape: not this one
            count, first = self.failures
            self.failures = (count + 1, first or f"{type(exc).__name__}: {exc}")
            return False
        if taken:
            self.reply = msg
            self._finish()
        return taken

    def fail(self, error: BaseException) -> None:
        """The stream ended before a reply came: waiters raise ``error``."""
        if not self.done:
            self.error = error
            self._finish()

    def wait(self, timeout: float | None) -> bool:
        """Block until answered or failed (True) or ``timeout`` passes (False)."""
        return self._event.wait(timeout)

    async def await_done(self, timeout: float | None) -> bool:
        """Awaitable :meth:`wait`, from any event loop."""
        if self.done:
            return True
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._futures.append((loop, fut))
        if self.done:  # finished between the check and the append
            return True
        try:
            await asyncio.wait_for(fut, timeout)
        except (TimeoutError, asyncio.TimeoutError):
            return self.done
        return True

    def _finish(self) -> None:
        self._event.set()
        futures, self._futures = self._futures, []
        for loop, fut in futures:
            loop.call_soon_threadsafe(resolve, fut)
