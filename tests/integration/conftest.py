"""Real websockets servers on 127.0.0.1, started and stopped by the tests that use them."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

import ipywebsockets as iws
from ipywebsockets.frames import accept_steps
from timing import timeout_s


async def answer_handshake_by_hand(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    extra_headers: bytes = b"",
    then: bytes = b"",
) -> None:
    """A server's side of the opening handshake written by hand (a raw asyncio server):
    for what websockets' server will not do, such as ``Content-Length`` on a 101 or never
    reading again. ``then`` follows the head at once (frames, say)."""
    head = await reader.readuntil(b"\r\n\r\n")
    key = re.search(rb"(?i)\r\nsec-websocket-key: *(\S+)", head)
    assert key is not None, head
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + extra_headers
        + b"Sec-WebSocket-Accept: "
        + accept_steps(key.group(1).decode()).accept.encode()
        + b"\r\n\r\n"
        + then
    )
    await writer.drain()


def free_port() -> int:
    """A port nothing listens on now (closed again: connecting to it is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LoopThread:
    """An event loop on a thread of the test's own, so servers never share the client's loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Awaitable[Any], timeout: float = 10) -> Any:
        """Run ``coro`` on the loop; ``timeout`` in unscaled seconds."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout_s(timeout))  # type: ignore[arg-type]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout_s(5))


class LocalServer:
    """A websockets server whose handler a test writes; records what the server saw."""

    def __init__(
        self, loop: LoopThread, handler: Callable[[ServerConnection], Awaitable[None]], **kw: Any
    ) -> None:
        self._loop = loop
        self._handler = handler
        self._kw = kw
        self.server: Server | None = None
        self.port = 0
        self.closes: list[tuple[int | None, str]] = []  # (code, reason) each client closed with
        self.connections = 0
        self.requests: list[Any] = []

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        self.requests.append(ws.request)
        try:
            await self._handler(ws)
        except ConnectionClosed:
            pass
        finally:
            await ws.wait_closed()
            rcvd = ws.protocol.close_rcvd
            self.closes.append((rcvd.code, rcvd.reason) if rcvd else (None, ""))

    def start(self, port: int = 0) -> LocalServer:
        async def _start() -> None:
            self.server = await serve(self._handle, "127.0.0.1", port, **self._kw)
            self.port = self.server.sockets[0].getsockname()[1]

        self._loop.run(_start())
        return self

    def stop(self) -> None:
        async def _stop() -> None:
            if self.server is not None:
                self.server.close()
                await self.server.wait_closed()
                self.server = None

        self._loop.run(_stop())

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


@pytest.fixture
def connect() -> Iterator[Callable[..., iws.WebSocket]]:
    """Make WebSockets that are closed (widget and all) when the test ends."""
    made: list[iws.WebSocket] = []

    def make(url: str, **kw: Any) -> iws.WebSocket:
        ws = iws.WebSocket(url, **kw)
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.close(widget=True)


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.stop()


@pytest.fixture
def make_server(loop_thread: LoopThread) -> Iterator[Callable[..., LocalServer]]:
    servers: list[LocalServer] = []

    def make(handler: Callable[[ServerConnection], Awaitable[None]], **kw: Any) -> LocalServer:
        server = LocalServer(loop_thread, handler, **kw).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


@pytest.fixture
def echo_server(make_server: Callable[..., LocalServer]) -> LocalServer:
    return make_server(echo)


class ServeProcess:
    """``python -m ipywebsockets serve KIND`` on a fixed port, killed and restarted at will.

    ``ServeProcess("ticker", port, "--rate", "200")``; ``start()`` returns once it listens.
    """

    def __init__(self, kind: str, port: int, *args: str) -> None:
        self.kind, self.port, self.args = kind, port, args
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> ServeProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ipywebsockets", "serve", self.kind,
             "--port", str(self.port), *self.args],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "... listening on ..." once it listens
        assert "listening" in line, line
        return self

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout_s(5))
            self.proc = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"
