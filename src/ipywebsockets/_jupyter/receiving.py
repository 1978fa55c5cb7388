"""Reading a socket's messages: recv, arecv, wait_for, async for, callbacks, history.

A mixin of :class:`~..widget.WebSocket`; the same in both modes. It reads the
:class:`~.stream.Stream` and, in browser mode, first makes sure a wait can be
served at all (:class:`~.browser.BrowserLink`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from ..exceptions import ConnectionClosed
from ..message import Message
from .callbacks import Handler, current_parent

if TYPE_CHECKING:
    from .browser import BrowserLink
    from .stream import Stream

__all__ = ["Receiving"]


class Receiving:
    """The reading half of the WebSocket API."""

    _stream: Stream
    received: int
    max_fps: int
    _read_refreshed: float = 0.0  # when a read last brought the traits up to date

    if TYPE_CHECKING:  # provided by the widget

        @property
        def _browser(self) -> BrowserLink | None: ...

        def _refresh(self) -> None: ...

    def recv(self, timeout: float | None = None) -> Message:
        """The next unread incoming message, waiting up to ``timeout`` seconds.

        Messages are read in order from the history; a reader that falls more
        than ``history`` messages behind gets a warning saying how many it missed.

        Raises:
            TimeoutError: nothing arrived in time.
            ConnectionFailed, ConnectionClosed: the connection ended for good and
                every message received before has been read.
            FrontendUnavailable: browser mode, and no browser has the widget, or
                this front end cannot deliver the browser's messages while the
                cell blocks (use ``await ws.arecv()`` there).
        """
        try:
            link = self._browser
            if link is not None and link.running and timeout != 0 and not self._stream.has_unread():
                link.wait_contact()
                link.check_blocking()
            msg = self._stream.recv(timeout)
        except BaseException:
            self._refresh()  # the traits tell the same story as what recv() raises
            raise
        self._refreshed_after_read()
        return msg

    async def arecv(self, timeout: float | None = None) -> Message:
        """Like :meth:`recv`, awaitable: the cell's event loop keeps running meanwhile."""
        try:
            link = self._browser
            if (
                link is not None
                and not link.has_owner
                and link.running
                and timeout != 0
                and not self._stream.has_unread()
            ):
                await asyncio.to_thread(link.wait_contact)
            msg = await self._stream.arecv(timeout)
        except BaseException:
            self._refresh()
            raise
        self._refreshed_after_read()
        return msg

    def _refreshed_after_read(self) -> None:
        """Bring the traits up to date after a read, once caught up or every 1/max_fps s.

        A loop reading a fast stream would otherwise compare and set every stream
        trait per message (it capped such a loop near 17k msg/s); the traits are
        current whenever the reader has caught up, which is when anyone looks.
        """
        now = time.monotonic()
        if now - self._read_refreshed >= 1.0 / self.max_fps or not self._stream.has_unread():
            self._read_refreshed = now
            self._refresh()

    def wait_for(
        self, predicate: Callable[[Message], object], timeout: float | None = None
    ) -> Message:
        """Read messages (as :meth:`recv` does) until one satisfies ``predicate``; return it.

        The messages before it are consumed. Raises as :meth:`recv`.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                msg = self.recv(remaining)
            except TimeoutError:
                raise TimeoutError(
                    f"no message matching the predicate within {timeout} s "
                    f"(status: {self._stream.state['status']}, {self.received} received so far)"
                ) from None
            if predicate(msg):
                return msg

    async def wait_for_async(
        self, predicate: Callable[[Message], object], timeout: float | None = None
    ) -> Message:
        """Awaitable :meth:`wait_for`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            msg = await self.arecv(remaining)
            if predicate(msg):
                return msg

    def __aiter__(self) -> AsyncIterator[Message]:
        """``async for msg in ws``: every unread message until the connection ends for good.

        A clean end stops the loop; an error raises it.
        """
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        while True:
            try:
                yield await self.arecv()
            except ConnectionClosed:
                if self._stream.ended_cleanly():
                    return
                raise

    def on_message(
        self, callback: Callable[[Message], object], remove: bool = False
    ) -> Callable[[Message], object]:
        """Call ``callback(msg)`` for every incoming message, in order, off the I/O thread.

        Usable as a decorator. What the callback prints, and the traceback of
        any exception it raises, appear under the cell that registered it; an
        exception does not stop the stream. ``remove=True`` unregisters it.
        """
        if remove:
            self._stream.remove_handler(callback)
        else:
            self._stream.add_handler(Handler(callback, current_parent()))
        return callback

    @property
    def last(self) -> Message | None:
        """The last message received (None before the first)."""
        return self._stream.last_in

    @property
    def messages(self) -> list[Message]:
        """A snapshot of the history: the last ``history`` messages, both directions."""
        with self._stream.lock:
            snapshot = self._stream.history.snapshot()
        self._refresh()
        return snapshot

    @property
    def missed(self) -> int:
        """Incoming messages evicted from the history before ``recv()`` read them."""
        return self._stream.missed
