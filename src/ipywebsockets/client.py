"""Kernel-side connection: connect, receive, send, reconnect, close.

A :class:`Connection` runs on the process-wide I/O loop (:mod:`.runtime`)
and knows nothing of widgets: it reports what happens to a
:class:`~.transport.Events`. Every public method is safe to call from any thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ssl as ssl_module
import time
from collections.abc import Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed as WsConnectionClosed
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from ._reasons import (
    close_of,
    describe_close,
    describe_connect_error,
    describe_lost,
)
from .backoff import Backoff
from .credentials import CredentialError, Credentials, HeadersLike, UrlLike
from .direct import DirectConnection
from .exceptions import ConnectionClosed, SendQueueFull
from .redact import redact_text, redact_url, wire_logger
from .runtime import Runtime, get_runtime
from .sending import SendQueue, run_hooks
from .transport import BaseTransport, Events, OpenHooks
from .wiretap import Wiretap

__all__ = ["RECONNECT_CODES", "Backoff", "Connection", "OpenHooks"]

# Close codes after which reconnecting can help: the peer went away or hit a
# transient condition. Protocol and policy errors (1002, 1003, 1007, 1008,
# 1009, 1010) and a normal close (1000) would only repeat.
RECONNECT_CODES = frozenset({1001, 1006, 1011, 1012, 1013, 1014})
# How long send() waits for room in a full queue while the connection is open.
_SEND_WAIT_SECONDS = 5.0


class Connection(BaseTransport):
    """One client connection with reconnect, a bounded send queue and clean close.

    Args:
        url: ``ws://`` or ``wss://`` URL, or a callable returning one (each attempt).
        events: hears status changes, messages and the final close (the stream).
        protocols: subprotocols to offer; one must be accepted by the server.
        headers: extra HTTP headers for the opening handshake (never logged), or a
            callable returning them, evaluated before each attempt (credentials.py).
        proxy: True (the environment's; never for loopback), None (direct) or a proxy URL.
        reconnect: a :class:`Backoff`, or None not to reconnect.
        send_queue: how many messages may wait while the connection is not open.
        ping_interval, ping_timeout, open_timeout, close_timeout: seconds (None disables).
        max_size: largest incoming message in bytes (None: no limit).
        max_queue: incoming messages buffered by websockets before reading pauses.
        ssl: an :class:`ssl.SSLContext` for ``wss://`` (default: the system's trust store).
    """

    def __init__(
        self,
        url: UrlLike,
        events: Events,
        *,
        protocols: Sequence[str] = (),
        headers: HeadersLike = None,
        proxy: str | bool | None = True,
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
        self._credentials = Credentials(url, headers, proxy)
        self.url = self._credentials.shown_url
        self.events = events
        self._protocols = [Subprotocol(p) for p in protocols]
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
        self._runtime = runtime or get_runtime()
        self._queue = SendQueue()
        self.hooks: OpenHooks | None = None  # ws.on_open's, set by the widget
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

    def send(self, payload: str | bytes, first: bool = False) -> None:
        """Queue a payload; it goes out as soon as the connection is open.

        ``first``: sent by an ``on_open`` hook, ahead of what waited while away.

        Raises:
            ConnectionClosed: the connection is closed (for good); call ``start()`` first.
            SendQueueFull: ``send_queue`` messages already wait for the connection.
        """
        if not self.running or self._closing is not None:
            raise ConnectionClosed(
                f"cannot send: the connection to {redact_url(self.url)} is closed; "
                "call connect() to open it again"
            )
        queue = self._queue
        if first:
            queue.put(payload, first=True)
            self._runtime.call_soon(queue.wake)
            return
        if len(queue.outbox) >= self._send_queue and self.status == "open":
            # A burst while open: wait for the socket to take it rather than refuse.
            deadline = time.monotonic() + _SEND_WAIT_SECONDS
            while (
                len(queue.outbox) >= self._send_queue
                and self.status == "open"
                and time.monotonic() < deadline
                and not self._runtime.in_loop()
            ):
                time.sleep(0.001)
        if len(queue.outbox) >= self._send_queue:
            advice = (
                f"the server has not taken them for {_SEND_WAIT_SECONDS:g} s (it reads slower "
                "than you send); send less often"
                if self.status == "open"
                else "wait for it to open"
            )
            raise SendQueueFull(
                f"cannot send: {len(queue.outbox)} messages already wait while the connection "
                f"is {self.status}; {advice}, or raise send_queue= (now {self._send_queue})"
            )
        queue.put(payload)
        self._runtime.call_soon(queue.wake)

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
        return self._credentials.header_names

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
        if ws is None and self._queue and self._connecting:
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
            while self._queue and ws.state.name == "OPEN":
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
        self.events.on_status(status, error)

    async def _main(self) -> None:
        attempt = 0
        ever_open = False
        code: int | None = None
        reason = ""
        error = ""
        refreshed = False  # credentials evaluated again after a 401/403 on a reconnect
        credentials = self._credentials
        try:
            while True:
                self._set_status("reconnecting" if ever_open else "connecting", error)
                self._connecting = True
                tap = self.tap
                try:
                    url, headers = await credentials.evaluate(self._options["open_timeout"] or 10.0)
                    self.url = url
                    ws = await connect(
                        url,
                        subprotocols=self._protocols or None,
                        additional_headers=headers,
                        create_connection=(
                            tap.connection_class() if tap is not None else DirectConnection
                        ),
                        proxy=credentials.proxy_for(url),
                        **self._options,
                    )
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._connecting = False
                    if (
                        ever_open
                        and not refreshed
                        and credentials.refreshable
                        and isinstance(exc, InvalidStatus)
                        and exc.response.status_code in (401, 403)
                    ):
                        refreshed = True  # a token expired while away: ask for a fresh one once
                        continue
                    if isinstance(exc, CredentialError):
                        error, retriable = redact_text(str(exc)), True
                    else:
                        options = {**self._options, "proxy": credentials.proxy_for(self.url)}
                        error, retriable = describe_connect_error(exc, self.url, options)
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
                ever_open, error, refreshed = True, "", False
                opened_at = time.monotonic()
                self._ws = ws
                self._opened.set()
                sender: asyncio.Future[None] | None = None
                hooks: asyncio.Future[None] | None = None
                try:
                    # A previous connection's hooks (or codec) never got to send these; the
                    # new connection's (its handshake, reported in on_open) go first.
                    if self._queue.first:
                        self.unsent += len(self._queue.first)
                        self._queue.first.clear()
                    self.events.on_open(ws.subprotocol or "", ws)
                    if self.hooks is not None and self.hooks.opened():
                        self._queue.holding = True
                        hooks = asyncio.ensure_future(
                            run_hooks(self.hooks, self._queue, self._options["open_timeout"])
                        )
                    self._set_status("open", "")
                    sender = asyncio.ensure_future(
                        self._queue.run(ws, self.events.on_sent, self._refused)
                    )
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
                    for task in (sender, hooks):
                        if task is not None:
                            task.cancel()
                    self._queue.holding = False
                    self._ws = None
                    self._opened.clear()
                code, reason = close_of(ws)
                error = "" if self._closing is not None else describe_lost(ws, self._options)
                if self._reconnect is not None and time.monotonic() - opened_at >= max(
                    self._reconnect.stable, 2 * self._last_delay
                ):
                    attempt, self._last_delay = 0, 0.0  # it stayed up: start from the first delay
                if self._closing is not None or code not in RECONNECT_CODES:
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
            if self._queue:
                dropped = self._queue.drop()
                self.unsent += dropped
                if not error:
                    error = f"{dropped} queued messages were not sent: the connection closed first"

            self._runtime.remove_closer(self._close_at_exit)
            self.status = "closed"
            self._connecting = False
            self._active = False
            self.events.on_close(code, reason, error)

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
        # Messages in one frame reach on_message as they are parsed (direct.py); this
        # loop reads the rest, after those that came before them.
        assert isinstance(ws, DirectConnection)  # connect(create_connection=...) made it
        on_message = ws.sink = self.events.on_message
        try:
            while True:
                data = await ws.recv()
                if ws.failure is not None:
                    raise ws.failure
                if ws.held is not None:
                    await ws.held
                pause = on_message(data)
                if pause is not None:
                    await ws.hold(pause)
        except WsConnectionClosed:
            pass
        finally:
            ws.sink = None

    def _refused(self, exc: Exception) -> None:
        self.unsent += 1
        self._set_status(self.status, f"a queued message could not be sent and was dropped: {exc}")
