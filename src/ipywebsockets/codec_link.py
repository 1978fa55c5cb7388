"""A protocol codec between a transport's frames and the stream's application messages.

:class:`CodecLink` is a :class:`~.transport.Transport` that wraps the real one
(the kernel's :class:`~.client.Connection`) and is that transport's
:class:`~.transport.Events`: every frame that arrives goes through the
:class:`~.protocols.base.Codec`, and only the application messages it
delivers reach the stream (history, counters, ``recv``, views). What the
codec writes (handshakes, pongs, acks, resubscriptions, the user's messages)
goes out through the transport's ``first`` queue, which the transport clears
at every open, so a frame meant for an old connection never precedes a new
connection's handshake. The wire tap still sees every real frame.

The codec is called under one lock, from the I/O thread (frames), the
caller's thread (``send``) and the publisher's (``tick``, about once a second).
A :class:`~.protocols.base.Fail` closes the connection with its code; one
that may be retried closes with a code the transport reconnects after.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .client import RECONNECT_CODES
from .exceptions import ConnectionClosed
from .protocols.base import Codec, Deliver, Fail, Problem
from .redact import redact_url
from .runtime import Runtime, get_runtime
from .transport import Events, OpenHooks, Transport

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from .wiretap import Wiretap

__all__ = ["CodecLink"]

T = TypeVar("T")


class CodecLink:
    """The transport of a protocol socket: ``inner`` moves frames, ``codec`` speaks.

    Args:
        codec: the protocol's Sans-I/O codec.
        events: where application messages go (the stream).
        runtime: the I/O loop (closes the connection when the codec fails).
    """

    def __init__(self, codec: Codec, events: Events, runtime: Runtime | None = None) -> None:
        self.codec = codec
        self._events = events
        self._runtime = runtime or get_runtime()
        self._lock = threading.RLock()
        self.inner: Transport | None = None
        self._ws: ClientConnection | None = None
        self._failure = ""  # why the codec closed the connection (shown in `error`)
        self.dropped = 0  # user messages held for a handshake, or written, that never went out
        self._closed_by_user = False
        # The ref of the message being delivered (Deliver.ref), while the stream takes it.
        self.ref: object = None

    def attach(self, inner: Transport) -> None:
        self.inner = inner

    @property
    def _t(self) -> Transport:
        assert self.inner is not None, "attach() the transport first"
        return self.inner

    # -- Transport: the socket's side ---------------------------------------------

    @property
    def hooks(self) -> OpenHooks | None:
        return self._t.hooks

    @hooks.setter
    def hooks(self, hooks: OpenHooks | None) -> None:
        self._t.hooks = hooks

    @property
    def running(self) -> bool:
        return self._t.running

    @property
    def status(self) -> str:
        return self._t.status

    @property
    def unsent(self) -> int:
        return self._t.unsent + self.dropped

    def start(self) -> None:
        self._closed_by_user = False
        self._t.start()

    def send(self, payload: str | bytes, first: bool = False) -> None:
        """An application message: the codec encodes it (held until its handshake is done)."""
        self.apply(lambda codec: codec.send(payload))

    def apply(self, fn: Callable[[Codec], T], sends: bool = True) -> T:
        """Call ``fn(codec)`` under the lock, then write and report what it produced.

        ``sends``: ``fn`` sends a message, which a closed connection refuses.

        Raises:
            ConnectionClosed: ``sends`` and the connection is closed (for good).
        """
        if sends and not self._t.running:
            raise ConnectionClosed(
                f"cannot send: the connection to {redact_url(getattr(self._t, 'url', ''))} is "
                "closed; call connect() to open it again"
            )
        with self._lock:
            result = fn(self.codec)
            self._drain(None)
        return result

    def close(self, code: int = 1000, reason: str = "", timeout: float | None = None) -> None:
        """Say the protocol's goodbye, then close (the transport delivers it first)."""
        self._t.check_close(code, reason)
        self._closed_by_user = True  # the server's answer to a goodbye is no error
        if self._ws is not None:
            with self._lock:
                self.codec.closing()
                self._drain(None)
        self._t.close(code, reason, timeout)

    def check_close(self, code: int, reason: str) -> None:
        self._t.check_close(code, reason)

    def ping(self, payload: bytes, timeout: float) -> float:
        return self._t.ping(payload, timeout)

    def inspect(self, keep: int) -> Wiretap:
        return self._t.inspect(keep)

    def secret_headers(self) -> frozenset[str]:
        return self._t.secret_headers()

    def prepare_wait(self, has_unread: Callable[[], bool]) -> None:
        self._t.prepare_wait(has_unread)

    async def aprepare_wait(self, has_unread: Callable[[], bool]) -> None:
        await self._t.aprepare_wait(has_unread)

    def handle(self, content: dict[str, Any], buffers: Sequence[Any]) -> bool:
        return self._t.handle(content, buffers)

    def rows_wanted(self) -> bool:
        return self._t.rows_wanted()

    def tick(self, now: float) -> None:
        self._t.tick(now)
        if self._ws is not None:
            with self._lock:
                self.codec.tick(now)
                self._drain(None)

    def dispose(self) -> None:
        self._t.dispose()

    # -- Events: what the transport reports, on its thread ----------------------------

    def on_status(self, status: str, error: str) -> None:
        if status != "open" and self._ws is not None:
            with self._lock:  # the connection is gone: the codec holds what is sent now
                self._ws = None
                self.codec.lost()
        if self._failure and status == "reconnecting":
            error = f"{self._failure}; {error}" if error else self._failure
        self._events.on_status(status, error)

    def on_open(self, subprotocol: str, handshake: ClientConnection | None) -> None:
        self._events.on_open(subprotocol, handshake)
        with self._lock:
            self._ws, self._failure = handshake, ""
            self.codec.subprotocol = subprotocol
            self.codec.connected(subprotocol, time.monotonic())
            self._drain(None)

    def on_message(self, data: str | bytes, at: float | None = None) -> Awaitable[None] | None:
        with self._lock:
            self.codec.receive(data, time.monotonic())
            return self._drain(at)

    def on_sent(self, data: str | bytes, at: float | None = None) -> None:
        message = self.codec.outgoing(data)
        if message is not None:
            self._events.on_sent(message, at)

    def on_lost(self, count: int, error: str) -> None:
        self._events.on_lost(count, error)

    def on_close(self, code: int | None, reason: str, error: str) -> None:
        with self._lock:
            if self._ws is not None:
                self._ws = None
                self.codec.lost()
            self.dropped += self.codec.drop_held()
            meaning = None if self._closed_by_user else self.codec.closed(code, reason)
        if meaning and not self._failure:
            error = f"{self.codec.name}: {meaning}"
        self._events.on_close(code, reason, self._failure or error)

    # -- the codec's output ------------------------------------------------------------

    def _drain(self, at: float | None) -> Awaitable[None] | None:
        """Write the codec's frames, then report its events in order (under the lock)."""
        pause: Awaitable[None] | None = None
        for frame in self.codec.data_to_send():
            try:
                self._t.send(frame, first=True)
            except ConnectionClosed:  # closed meanwhile: the next open starts afresh
                self.dropped += self.codec.outgoing(frame) is not None  # a user's message
        for event in self.codec.events_received():
            if isinstance(event, Deliver):
                self.ref = event.ref  # what a request's match may ask (on this thread)
                pause = self._events.on_message(event.data, at) or pause
                self.ref = None
            elif isinstance(event, Problem):
                self._events.on_status(self._t.status, f"{self.codec.name}: {event.text}")
            elif isinstance(event, Fail):
                self._fail(event)
        return pause

    def _fail(self, event: Fail) -> None:
        self._failure = f"{self.codec.name}: {event.text}"
        ws = self._ws
        if ws is None:
            return
        self._events.on_status(self._t.status, self._failure)
        code = event.code
        if event.retry and code not in RECONNECT_CODES:
            code = 1011  # the transport reconnects after it
        elif not event.retry and code in RECONNECT_CODES:
            code = 1008  # it must not
        reason = event.reason.encode()[:120].decode(errors="ignore")

        async def close() -> None:
            await ws.close(code, reason)

        self._runtime.call_soon(lambda: asyncio.ensure_future(close()))
