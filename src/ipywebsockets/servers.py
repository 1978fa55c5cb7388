"""Demo servers that run inside the kernel (or any process), on loopback by default.

They run on their own I/O thread so that a client in the same process and a
server never share one event loop, and so that a cell that blocks does not
stop them. Each is started with :meth:`start` (which returns the server) and
stopped with :meth:`stop`, or used as a context manager::

    with iws.TickerServer(rate=10) as srv:
        ws = iws.WebSocket(srv.url)

Any page open in the user's browser may try to connect to a loopback port, so
the servers refuse browser origins other than the Jupyter page's own (a
loopback one) unless named in ``origins=``, and take messages of at most
``max_size`` bytes (docs/secrets.md#demo-servers).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .redact import wire_logger
from .runtime import get_runtime

__all__ = ["LOOPBACK_ORIGIN", "BroadcastServer", "EchoServer", "TickerServer"]

_RUNTIME = "ipywebsockets-servers"
# Pages served from this machine: a Jupyter server on loopback, any port.
LOOPBACK_ORIGIN = re.compile(
    r"https?://(localhost|127(\.[0-9]{1,3}){3}|\[::1\])(:[0-9]{1,5})?", re.IGNORECASE
)


class _DemoServer:
    """What every demo server shares: start/stop on the servers' I/O thread.

    Args:
        host, port: where to listen (default: loopback, a free port).
        compression: what the server offers: ``"deflate"`` (permessage-deflate,
            websockets' default: data frames travel compressed) or ``None``.
        origins: browser origins accepted besides the loopback ones
            (``http://127.0.0.1:8888``, ``http://localhost:*``: a Jupyter page on
            this machine), e.g. ``["https://hub.example.org"]``; ``"*"``: any.
            Clients that send no ``Origin`` (not browsers) are always accepted;
            other origins are refused with HTTP 403 and counted in :attr:`refused`.
        max_size: largest message a client may send, in bytes (default 1 MiB); a
            larger one closes its connection with 1009. ``None``: no limit.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        compression: str | None = "deflate",
        *,
        origins: Sequence[str] | str | None = None,
        max_size: int | None = 2**20,
    ) -> None:
        if compression not in ("deflate", None):
            raise ValueError(
                f"compression must be 'deflate' (permessage-deflate) or None, got {compression!r}"
            )
        if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
            raise ValueError(f"max_size must be a positive int or None, got {max_size!r}")
        self.host = host
        self.port = port
        self.compression = compression
        self.origins = _check_origins(origins)
        self.max_size = max_size
        self._server: Server | None = None
        self._runtime = get_runtime(_RUNTIME)
        self.connections: set[ServerConnection] = set()
        self.received = 0  # messages received from clients
        self.refused = 0  # handshakes refused for their Origin

    def __repr__(self) -> str:
        state = self.url if self._server is not None else "stopped"
        return f"<{type(self).__name__} {state}, {len(self.connections)} clients>"

    @property
    def url(self) -> str:
        """The ``ws://`` URL clients connect to (the real port once started)."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running: call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}"

    @property
    def clients(self) -> int:
        """How many clients are connected now."""
        return len(self.connections)

    def start(self) -> Any:
        """Start listening; returns the server itself so that ``S().start()`` reads well."""
        if self._server is None:
            self._runtime.run(self._start(), timeout=10)
        return self

    def stop(self) -> None:
        """Close every client connection (1001 going away) and stop listening."""
        if self._server is not None:
            self._runtime.run(self._stop(), timeout=10)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def _start(self) -> None:
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            max_size=self.max_size,
            compression=self.compression,
            process_request=self._check_origin,
            logger=wire_logger(),
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def _check_origin(self, connection: ServerConnection, request: Request) -> Response | None:
        origin = request.headers.get("Origin")
        if origin is None or self.origins is None or origin in self.origins:
            return None
        if LOOPBACK_ORIGIN.fullmatch(origin):
            return None
        self.refused += 1
        return connection.respond(
            403,
            f"origin {origin} may not connect to this demo server: pages from other sites are "
            f"refused. To allow it, start the server with origins=[{origin!r}] "
            f"(python -m ipywebsockets serve: --origin {origin})\n",
        )

    async def _stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections.add(ws)
        try:
            await self.handler(ws)
        except ConnectionClosed:
            pass
        finally:
            self.connections.discard(ws)

    async def handler(self, ws: ServerConnection) -> None:
        raise NotImplementedError


def _check_origins(origins: Sequence[str] | str | None) -> frozenset[str] | None:
    """The extra origins accepted (None: any), checked."""
    if origins == "*":
        return None
    if isinstance(origins, str):
        raise TypeError(f"origins must be a list of origins or '*', not a str: use [{origins!r}]")
    found = frozenset(origins or ())
    for origin in found:
        if not isinstance(origin, str) or "://" not in origin or origin.endswith("/"):
            raise ValueError(
                f"an origin is scheme://host[:port] as browsers send it, e.g. "
                f"'https://hub.example.org', got {origin!r}"
            )
    return found


class EchoServer(_DemoServer):
    """Sends every message back to the client that sent it, text as text, bytes as bytes.

    Args: ``host``, ``port``, ``compression``, ``origins``, ``max_size``, as every
    demo server (:class:`_DemoServer`).
    """

    async def handler(self, ws: ServerConnection) -> None:
        async for message in ws:
            self.received += 1
            await ws.send(message)


class BroadcastServer(_DemoServer):
    """Sends every message from any client to every connected client (sender included).

    Args: ``host``, ``port``, ``compression``, ``origins``, ``max_size``, as every
    demo server (:class:`_DemoServer`).
    """

    async def handler(self, ws: ServerConnection) -> None:
        async for message in ws:
            self.received += 1
            broadcast(self.connections, message)

    def broadcast(self, message: str | bytes | dict[str, Any] | list[Any]) -> None:
        """Send ``message`` to every connected client (dicts and lists as JSON)."""
        data = message if isinstance(message, (str, bytes)) else json.dumps(message)
        self._runtime.call_soon(broadcast, set(self.connections), data)


async def _send_texts(ws: ServerConnection, texts: list[str]) -> None:
    """Send ``texts`` as text messages, in order, with one write context for all.

    websockets' ``send_context()`` is its documented way to write through the
    Sans-I/O protocol (``protocol.send_text``): it checks the connection is open,
    writes and waits while the client reads slowly, as ``send()`` does for each
    message. At 10,000 ticks/s that per-message context was about a fifth of the
    kernel's time. Falls back to ``send()`` when a websockets version lacks it.
    """
    context = getattr(ws, "send_context", None)
    if context is None or len(texts) < 2:
        for text in texts:
            await ws.send(text)
        return
    async with context():
        for text in texts:
            ws.protocol.send_text(text.encode())


class TickerServer(_DemoServer):
    """Streams JSON price ticks to each client: a random walk per symbol.

    Each tick is ``{"type": "tick", "seq": n, "time": t, "symbol": s, "price": p}``.

    Args:
        rate: ticks per second to each client; ``None`` sends as fast as the client reads.
        symbols: the symbols to cycle through.
        count: stop after this many ticks to a client, closing with 1000 (None: never).
        seed: seed for the random walk, for repeatable streams.
        compression: ``None`` (the default here) sends ticks uncompressed:
            deflating each ~90-byte tick cost the kernel about a third of the
            server's CPU at 10,000 ticks/s and saves nothing worth it on loopback.
            ``"deflate"`` offers permessage-deflate, as the other demo servers do.
        host: where to listen (default: loopback).
        port: the port (default ``0``: a free one).
        origins: browser origins accepted besides the loopback ones, as every demo server.
        max_size: largest message a client may send, as every demo server (default 1 MiB).
    """

    def __init__(
        self,
        rate: float | None = 10,
        *,
        symbols: Sequence[str] = ("ABC", "XYZ", "QRS"),
        count: int | None = None,
        seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        compression: str | None = None,
        origins: Sequence[str] | str | None = None,
        max_size: int | None = 2**20,
    ) -> None:
        super().__init__(host, port, compression, origins=origins, max_size=max_size)
        if rate is not None and rate <= 0:
            raise ValueError(f"rate must be positive or None (as fast as possible), got {rate}")
        if not symbols:
            raise ValueError("symbols must name at least one symbol")
        self.rate = rate
        self.symbols = tuple(symbols)
        self.count = count
        self.seed = seed

    async def handler(self, ws: ServerConnection) -> None:
        drain = asyncio.ensure_future(self._drain(ws))
        try:
            await self._stream(ws)
        finally:
            drain.cancel()

    async def _drain(self, ws: ServerConnection) -> None:
        # Read (and count) what the client sends, so its close frame is seen promptly.
        async for _ in ws:
            self.received += 1

    async def _stream(self, ws: ServerConnection) -> None:
        rng = random.Random(self.seed)
        prices = {s: 100.0 for s in self.symbols}
        symbols = self.symbols
        sent = 0
        start = time.monotonic()
        while self.count is None or sent < self.count:
            if self.rate is None:
                due = sent + 100
            else:
                due = int((time.monotonic() - start) * self.rate) + 1
            if self.count is not None:
                due = min(due, self.count)
            burst = []
            while sent < due:
                symbol = symbols[sent % len(symbols)]
                sent += 1
                price = prices[symbol] = round(prices[symbol] * (1 + rng.gauss(0, 0.001)), 4)
                burst.append(
                    f'{{"type":"tick","seq":{sent},"time":{time.time():.6f},'
                    f'"symbol":"{symbol}","price":{price}}}'
                )
            await _send_texts(ws, burst)
            if self.rate is None:
                await asyncio.sleep(0)  # let the other clients and servers on this loop run
            else:
                # Fast streams go out in bursts every few milliseconds, not one sleep per tick.
                next_at = start + due / self.rate
                await asyncio.sleep(max(next_at - time.monotonic(), min(0.005, 1 / self.rate)))
        await ws.close(1000, "ticker done")
