"""Reading a socket's messages in order: ``recv``, ``arecv``, ``wait_for``, ``async for``.

A :class:`Reader` is the widget's reading part, the same in every mode: it
reads the :class:`~.stream.Stream`, first asks the transport whether a wait
can be served at all (browser mode needs a front end), and keeps the
widget's traits telling the same story as what a read returns or raises.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from ..exceptions import ConnectionClosed
from ..message import Message
from ..transport import Transport
from .stream import Stream

__all__ = ["Reader"]


class Reader:
    """One socket's readers (``recv()`` and friends share one cursor in the stream).

    Args:
        stream: the socket's stream.
        transport: asked before a wait whether it can be served.
        refresh: brings the widget's traits up to date.
        max_fps: the widget's rate (traits follow a fast reader at most this often).
    """

    def __init__(
        self,
        stream: Stream,
        transport: Transport,
        refresh: Callable[[], None],
        max_fps: Callable[[], int],
    ) -> None:
        self._stream = stream
        self._transport = transport
        self._refresh = refresh
        self._max_fps = max_fps
        self._refreshed = 0.0  # when a read last brought the traits up to date
        self._gap = 0.0  # 1 / max_fps when it last did (a trait read costs as much as a recv)

    def recv(self, timeout: float | None) -> Message:
        try:
            if timeout != 0:
                self._transport.prepare_wait(self._stream.has_unread)
            msg = self._stream.recv(timeout)
        except BaseException:
            self._refresh()  # the traits tell the same story as what recv() raises
            raise
        self._refreshed_after_read()
        return msg

    async def arecv(self, timeout: float | None) -> Message:
        try:
            if timeout != 0:
                await self._transport.aprepare_wait(self._stream.has_unread)
            msg = await self._stream.arecv(timeout)
        except BaseException:
            self._refresh()
            raise
        self._refreshed_after_read()
        return msg

    def _refreshed_after_read(self) -> None:
        """Bring the traits up to date after a read, once caught up or every 1/max_fps s.

        Setting every stream trait per message would cap a fast reading loop; the
        traits are current whenever the reader has caught up, which is when anyone looks.
        """
        now = time.monotonic()
        if now - self._refreshed >= self._gap or not self._stream.has_unread():
            self._refreshed = now
            self._gap = 1.0 / self._max_fps()
            self._refresh()

    def wait_for(self, predicate: Callable[[Message], object], timeout: float | None) -> Message:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                msg = self.recv(remaining)
            except TimeoutError:
                stream = self._stream
                raise TimeoutError(
                    f"no message matching the predicate within {timeout} s (status: "
                    f"{stream.state['status']}, {stream.stats.received} received so far)"
                ) from None
            if predicate(msg):
                return msg

    async def wait_for_async(
        self, predicate: Callable[[Message], object], timeout: float | None
    ) -> Message:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            msg = await self.arecv(remaining)
            if predicate(msg):
                return msg

    async def iterate(self) -> AsyncIterator[Message]:
        while True:
            try:
                yield await self.arecv(None)
            except ConnectionClosed:
                if self._stream.ended_cleanly():
                    return
                raise
