"""Kernel-side connection: connect, receive, send, reconnect, close.

A :class:`Connection` runs on the process-wide I/O loop (:mod:`.runtime`)
and knows nothing of widgets: it reports what happens to a
:class:`~.transport.Events`. Every public method is safe to call from any thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import ssl as ssl_module
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed as WsConnectionClosed
from websockets.typing import Subprotocol

from ._reasons import (
    check_url,
    close_of,
    describe_close,
    describe_connect_error,
    describe_lost,
)
from .exceptions import ConnectionClosed, SendQueueFull
from .redact import redact_url, wire_logger
from .runtime import Runtime, get_runtime
from .transport import BaseTransport, Events
from .wiretap import Wiretap

__all__ = ["Backoff", "Connection"]

# Close codes after which reconnecting can help: the peer went away or hit a
# transient condition. Protocol and policy errors (1002, 1003, 1007, 1008,
# 1009, 1010) and a normal close (1000) would only repeat.
_RECONNECT_CODES = frozenset({1001, 1006, 1011, 1012, 1013, 1014})
# How long send() waits for room in a full queue while the connection is open.
_SEND_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class Backoff:
    """How to retry after the connection is lost.

    The n-th retry waits ``initial * factor ** (n - 1)`` seconds, capped at
    ``max_delay``, with ``jitter`` (a fraction) of randomness so that many
    clients do not return at once. ``max_attempts=None`` retries forever.

    Retries are counted from the last connection that stayed open for
    ``max(stable, 2 * the delay before it)`` seconds (the browser's socket
    does the same): a server that accepts and then closes at once (1011, 1013,
    1006) meets growing delays and, with ``max_attempts``, an end.
    """

    initial: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    max_attempts: int | None = None
    jitter: float = 0.1
    stable: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (from 1)."""
        base = min(self.max_delay, self.initial * self.factor ** max(0, attempt - 1))
        return base * (1 + random.uniform(-self.jitter, self.jitter))


class Connection(BaseTransport):
    """One client connection with reconnect, a bounded send queue and clean close.

    Args:
        url: ``ws://`` or ``wss://`` URL.
        events: hears status changes, messages and the final close (the stream).
        protocols: subprotocols to offer; one must be accepted by the server.
        headers: extra HTTP headers for the opening handshake (never logged).
        reconnect: a :class:`Backoff`, or None not to reconnect.
        send_queue: how many messages may wait while the connection is not open.
        ping_interval, ping_timeout, open_timeout, close_timeout: seconds (None disables).
        max_size: largest incoming message in bytes (None: no limit).
        max_queue: incoming messages buffered by websockets before reading pauses.
        ssl: an :class:`ssl.SSLContext` for ``wss://`` (default: the system's trust store).
    """

    def __init__(
        self,
        url: str,
        events: Events,
        *,
        protocols: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        reconnect: Backoff | None = None,
        send_queue: int = 1000,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        open_timeout: float | None = 10.0,
        close_timeout: float | None = 5.0,
        max_size: int | None = 2**20,
        max_queue: int = 16,
        ssl: ssl_module.SSLContext | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        self.url = check_url(url)
        self._events = events
        self._protocols = [Subprotocol(p) for p in protocols]
        self._headers = dict(headers or {})
        self._reconnect = reconnect
        self._send_queue = send_queue
        self._options: dict[str, Any] = {
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "open_timeout": open_timeout,
            "close_timeout": close_timeout,
            "max_size": max_size,
            "max_queue": max_queue,
            "logger": wire_logger(),  # websockets' records, redacted (docs/secrets.md)
        }
        if ssl is not None:
            self._options["ssl"] = ssl
        host = urlsplit(url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1") or host.startswith("127."):
            self._options["proxy"] = None  # never send loopback traffic through a proxy
        self._runtime = runtime or get_runtime()
        self._outbox: deque[str | bytes] = deque()
        self._outbox_ready = asyncio.Event()
        self._opened = asyncio.Event()  # set while a connection is open
        self._connecting = False  # an opening handshake is in flight
        self._active = False  # from start() until the connection ended for good
        self._task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        self._closing: tuple[int, str] | None = None
        self.status = "closed"
        self.unsent = 0  # messages dropped from the queue because the connection ended first
        self._last_delay = 0.0  # the wait before the latest attempt (see Backoff)
        self.tap: Wiretap | None = None  # records the bytes of each new connection when set

    # -- any thread ----------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the connection is open or trying to open."""
        return self._active

    def start(self) -> None:
        """Start connecting (no-op when already running)."""
        if self._active:
            return
        self._active = True
        self._closing = None
        self.status = "connecting"
        self._runtime.add_closer(self._close_at_exit)
        self._runtime.call_soon(self._spawn)

    def _spawn(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._main())

    def send(self, payload: str | bytes) -> None:
        """Queue a payload; it goes out as soon as the connection is open.

        Raises:
            ConnectionClosed: the connection is closed (for good); call ``start()`` first.
            SendQueueFull: ``send_queue`` messages already wait for the connection.
        """
        if not self.running or self._closing is not None:
            raise ConnectionClosed(
                f"cannot send: the connection to {redact_url(self.url)} is closed; "
                "call connect() to open it again"
            )
        if len(self._outbox) >= self._send_queue and self.status == "open":
            # A burst while open: wait for the socket to take it rather than refuse.
            deadline = time.monotonic() + _SEND_WAIT_SECONDS
            while (
                len(self._outbox) >= self._send_queue
                and self.status == "open"
                and time.monotonic() < deadline
                and not self._runtime.in_loop()
            ):
                time.sleep(0.001)
        if len(self._outbox) >= self._send_queue:
            advice = (
                f"the server has not taken them for {_SEND_WAIT_SECONDS:g} s (it reads slower "
                "than you send); send less often"
                if self.status == "open"
                else "wait for it to open"
            )
            raise SendQueueFull(
                f"cannot send: {len(self._outbox)} messages already wait while the connection "
                f"is {self.status}; {advice}, or raise send_queue= (now {self._send_queue})"
            )
        self._outbox.append(payload)
        self._runtime.call_soon(self._outbox_ready.set)

    def close(self, code: int = 1000, reason: str = "", timeout: float | None = None) -> None:
        """Close with ``code`` and ``reason`` and wait until closed (at most ``timeout`` s).

        Raises:
            ValueError: ``code`` or ``reason`` cannot go into a close frame (nothing changes).
        """
        self.check_close(code, reason)
        if not self.running:
            return
        self._runtime.start_and_wait(self._close(code, reason), timeout)

    def ping(self, payload: bytes = b"", timeout: float = 10.0) -> float:
        """Send a ping, wait for its pong and return the round-trip time in seconds.

        Raises:
            ConnectionClosed: the connection is not open.
            TimeoutError: no pong within ``timeout`` seconds.
        """
        ws = self._ws
        if ws is None or self.status != "open":
            raise ConnectionClosed(
                f"cannot ping: the connection to {redact_url(self.url)} is {self.status}"
            )

        async def _ping() -> float:
            pong = await ws.ping(payload)
            return await asyncio.wait_for(pong, timeout)

        try:
            return self._runtime.run(_ping(), timeout + 1.0)
        except (asyncio.TimeoutError, concurrent.futures.TimeoutError):
            raise TimeoutError(
                f"no pong within {timeout} s from {redact_url(self.url)}: the server or the "
                "network is slow or gone"
            ) from None
        except WsConnectionClosed as exc:
            raise ConnectionClosed(f"cannot ping: the connection closed ({exc})") from None

    def inspect(self, keep: int = 2000) -> Wiretap:
        """Record the real bytes of every connection from the next one on; return the tap."""
        if self.tap is None:
            self.tap = Wiretap(keep)
        return self.tap

    def secret_headers(self) -> frozenset[str]:
        """Lowercase names of the extra handshake headers (credentials: never shown)."""
        return frozenset(name.lower() for name in self._headers)

    def dispose(self) -> None:
        """The owner is gone: close with 1001 (going away) if still running."""
        if self.running:
            self.close(1001, "widget deleted", timeout=1.0)

    # -- I/O loop ------------------------------------------------------------

    async def _close_at_exit(self) -> None:
        await self._close(1001, "client exiting")

    async def _close(self, code: int, reason: str) -> None:
        self._closing = (code, reason)
        self._runtime.remove_closer(self._close_at_exit)
        task = self._task
        ws = self._ws
        close_timeout = self._options["close_timeout"] or 5.0
        if ws is None and self._outbox and self._connecting:
            # send() then close() right away: let the handshake finish and deliver first.
            try:
                await asyncio.wait_for(self._opened.wait(), close_timeout)
            except asyncio.TimeoutError:
                pass
            ws = self._ws
        if ws is not None:
            self._set_status("closing", "")
            # Deliver what the user sent before asking to close.
            deadline = asyncio.get_running_loop().time() + close_timeout
            while self._outbox and ws.state.name == "OPEN":
                if asyncio.get_running_loop().time() > deadline:
                    break
                await asyncio.sleep(0.005)
            await ws.close(code, reason)
        if task is not None and not task.done():
            if ws is None:
                task.cancel()  # still connecting or waiting to retry
            await asyncio.wait([task])

    def _set_status(self, status: str, error: str) -> None:
        self.status = status
        self._events.on_status(status, error)

    async def _main(self) -> None:
        attempt = 0
        ever_open = False
        code: int | None = None
        reason = ""
        error = ""
        try:
            while True:
                self._set_status("reconnecting" if ever_open else "connecting", error)
                self._connecting = True
                tap = self.tap
                try:
                    ws = await connect(
                        self.url,
                        subprotocols=self._protocols or None,
                        additional_headers=self._headers or None,
                        create_connection=tap.connection_class() if tap is not None else None,
                        **self._options,
                    )
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._connecting = False
                    error, retriable = describe_connect_error(exc, self.url, self._options)
                    if ever_open and retriable and self._may_retry(attempt + 1):
                        attempt += 1
                        await self._wait_to_retry(attempt, error)
                        continue
                    code, reason = None, ""
                    return
                if self._protocols and ws.subprotocol is None:
                    error = (
                        f"the server accepted none of the subprotocols {self._protocols} "
                        "(its 101 response has no Sec-WebSocket-Protocol header); "
                        "check protocols="
                    )
                    await ws.close(1002, "no subprotocol")
                    code, reason = close_of(ws)
                    return
                self._connecting = False
                ever_open, error = True, ""
                opened_at = time.monotonic()
                self._ws = ws
                self._opened.set()
                sender: asyncio.Future[None] | None = None
                try:
                    self._events.on_open(ws.subprotocol or "", ws)
                    self._set_status("open", "")
                    sender = asyncio.ensure_future(self._send_loop(ws))
                    await self._receive_loop(ws)
                except Exception as exc:  # a bug here must not leave the socket open
                    error = (
                        f"ipywebsockets failed while handling the connection "
                        f"({type(exc).__name__}: {exc}); it closed the connection with 1011. "
                        "This is a bug: please report it"
                    )
                    await ws.close(1011, "client error")
                    code, reason = close_of(ws)
                    return
                finally:
                    if sender is not None:
                        sender.cancel()
                    self._ws = None
                    self._opened.clear()
                code, reason = close_of(ws)
                error = "" if self._closing is not None else describe_lost(ws, self._options)
                if self._reconnect is not None and time.monotonic() - opened_at >= max(
                    self._reconnect.stable, 2 * self._last_delay
                ):
                    attempt, self._last_delay = 0, 0.0  # it stayed up: start from the first delay
                if self._closing is not None or code not in _RECONNECT_CODES:
                    return
                if not self._may_retry(attempt + 1):
                    return
                attempt += 1
                await self._wait_to_retry(
                    attempt, f"connection lost: {describe_close(code, reason)}"
                )
        except asyncio.CancelledError:
            if self._closing is None:
                raise
        finally:
            if self._outbox:
                self.unsent += len(self._outbox)
                if not error:
                    error = (
                        f"{len(self._outbox)} queued messages were not sent: "
                        "the connection closed first"
                    )
                self._outbox.clear()
            self._runtime.remove_closer(self._close_at_exit)
            self.status = "closed"
            self._connecting = False
            self._active = False
            self._events.on_close(code, reason, error)

    async def _wait_to_retry(self, attempt: int, why: str) -> None:
        """Say why and when the next attempt comes, then wait for it."""
        assert self._reconnect is not None  # _may_retry() said yes
        delay = self._last_delay = self._reconnect.delay(attempt)
        self._set_status("reconnecting", f"{why}; retry {attempt} in {delay:.1f} s")
        await asyncio.sleep(delay)

    def _may_retry(self, attempt: int) -> bool:
        if self._reconnect is None:
            return False
        limit = self._reconnect.max_attempts
        return limit is None or attempt <= limit

    async def _receive_loop(self, ws: ClientConnection) -> None:
        on_message = self._events.on_message
        try:
            while True:
                data = await ws.recv()
                pause = on_message(data)
                if pause is not None:
                    await pause
        except WsConnectionClosed:
            pass

    async def _send_loop(self, ws: ClientConnection) -> None:
        outbox = self._outbox
        ready = self._outbox_ready
        while True:
            while outbox:
                data = outbox[0]
                try:
                    await ws.send(data)
                except WsConnectionClosed:
                    return  # kept at the head of the queue for the next connection
                except (TypeError, ValueError) as exc:  # send() checks; never retry it forever
                    outbox.popleft()
                    self.unsent += 1
                    self._set_status(
                        self.status, f"a queued message could not be sent and was dropped: {exc}"
                    )
                    continue
                outbox.popleft()
                self._events.on_sent(data)
            ready.clear()
            if not outbox:
                await ready.wait()
