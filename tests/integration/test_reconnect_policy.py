"""The reconnect policy, case by case, against real servers that close, abort and refuse.

Which close codes reconnect, that delays grow and ``max_attempts`` ends a
server that accepts and closes at once, that a connection which stayed up
resets the count, a failed reconnect attempt, ``close()`` during the wait,
and ``SendQueueFull`` after the wait for room.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

import pytest
from tests.integration.conftest import LocalServer, LoopThread, answer_handshake_by_hand
from websockets.asyncio.server import ServerConnection

import ipywebsockets as iws
from ipywebsockets import client as client_module
from timing import eventually, timeout_s

T = timeout_s(5)


class Script:
    """Per connection, what the server does: ("close", code), ("abort",), ("stay", s), ("echo",)."""

    def __init__(self, *steps: tuple[object, ...], then: tuple[object, ...] = ("echo",)) -> None:
        self.steps = list(steps)
        self.then = then
        self.opened: list[float] = []  # monotonic time of each connection

    async def __call__(self, ws: ServerConnection) -> None:
        self.opened.append(time.monotonic())
        step = self.steps.pop(0) if self.steps else self.then
        if step[0] == "stay":
            await asyncio.sleep(float(step[1]))  # type: ignore[arg-type]
            step = step[2:]
        if step[0] == "close":
            await ws.close(int(step[1]), "scripted")  # type: ignore[call-overload]
        elif step[0] == "abort":
            ws.transport.abort()  # no close frame: 1006 on the client
        else:
            async for message in ws:
                await ws.send(message)


def fast(**kw: object) -> iws.Backoff:
    return iws.Backoff(**{"initial": 0.05, "factor": 2.0, "jitter": 0.0, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("first", "reconnects"),
    [
        (("close", 1001), True),
        (("close", 1011), True),
        (("close", 1012), True),
        (("close", 1013), True),
        (("abort",), True),  # 1006
        (("close", 1000), False),
        (("close", 1002), False),
        (("close", 1008), False),
        (("close", 4000), False),
    ],
    ids=lambda v: str(v[-1]) if isinstance(v, tuple) else str(v),
)
def test_which_closes_reconnect(
    connect: Callable[..., iws.WebSocket],
    make_server: Callable[..., LocalServer],
    first: tuple[object, ...],
    reconnects: bool,
) -> None:
    script = Script(("stay", 0.2, *first))
    ws = connect(make_server(script).url, reconnect=fast())
    if reconnects:
        eventually(lambda: len(script.opened) == 2 and ws._transport.status == "open")
        ws.send("again")
        assert ws.recv(timeout=T).data == "again"
        eventually(lambda: ws.reconnects == 1, what="reconnects counted")
    else:
        with pytest.raises((iws.ConnectionClosed, iws.ConnectionFailed)):
            ws.recv(timeout=T)
        assert len(script.opened) == 1 and ws.status == "closed"


def test_accept_then_close_meets_growing_delays_and_max_attempts(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    script = Script(then=("close", 1011))  # every connection closes at once
    ws = connect(make_server(script).url, reconnect=fast(max_attempts=4))
    with pytest.raises(iws.ConnectionClosed, match="1011"):
        ws.recv(timeout=T)
    assert len(script.opened) == 5  # the first and 4 retries, then it gives up
    gaps = [b - a for a, b in zip(script.opened, script.opened[1:], strict=False)]
    # 0.05, 0.1, 0.2, 0.4 s (plus the handshake): each at least 1.5 times the last.
    assert all(later >= 1.5 * earlier for earlier, later in itertools.pairwise(gaps)), gaps
    assert gaps[0] >= 0.05
    assert ws.status == "closed"


def test_a_connection_that_stayed_up_resets_the_count(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    script = Script(
        ("stay", 0.5, "close", 1011), ("stay", 0.5, "close", 1011), then=("close", 1011)
    )
    ws = connect(make_server(script).url, reconnect=fast(max_attempts=1, stable=0.3))
    with pytest.raises(iws.ConnectionClosed):
        ws.recv(timeout=T)
    # Up 0.5 s (>= stable): retry 1 again; up 0.5 s: retry 1 again; closed at once: retry 2 > 1.
    assert len(script.opened) == 3


def test_a_failed_reconnect_attempt_is_retried(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    script = Script()
    server = make_server(script)
    ws = connect(server.url, reconnect=fast(max_delay=0.2))
    ws.send("one")
    assert ws.recv(timeout=T).data == "one"
    port = server.port
    server.stop()  # closes with 1001; the retries meet a refused port
    eventually(lambda: "connection refused" in ws._stream.state["error"], what="a failed attempt")
    assert ws._transport.status == "reconnecting"
    server.start(port)
    eventually(lambda: ws._transport.status == "open", what="reopened")
    ws.send("two")
    assert ws.recv(timeout=T).data == "two"


def test_close_during_the_backoff_wait_returns_at_once(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    script = Script(("close", 1011))
    ws = connect(make_server(script).url, reconnect=iws.Backoff(initial=30, jitter=0))
    eventually(lambda: "retry 1 in 30.0 s" in ws._stream.state["error"], what="waiting to retry")
    started = time.monotonic()
    ws.close()
    assert time.monotonic() - started < timeout_s(1)
    assert ws._transport.status == "closed" and not ws._transport.running
    assert len(script.opened) == 1


def test_send_queue_full_after_the_wait_for_room(
    connect: Callable[..., iws.WebSocket],
    loop_thread: LoopThread,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client_module, "_SEND_WAIT_SECONDS", 0.5)

    async def accept_then_never_read(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await answer_handshake_by_hand(reader, writer)
        await asyncio.sleep(60)  # never reads: the client's writes fill the TCP buffers

    async def start() -> asyncio.Server:
        return await asyncio.start_server(accept_then_never_read, "127.0.0.1", 0)

    server = loop_thread.run(start())
    port = server.sockets[0].getsockname()[1]
    ws = connect(f"ws://127.0.0.1:{port}", send_queue=4, ping_interval=None, close_timeout=0.2)
    eventually(lambda: ws._transport.status == "open")
    big = b"x" * 2**20
    started = time.monotonic()
    with pytest.raises(
        iws.SendQueueFull,
        match=r"4 messages already wait while the connection is open; the server has not "
        r"taken them for 0.5 s .*raise send_queue= \(now 4\)",
    ):
        for _ in range(200):
            started = time.monotonic()
            ws.send(big)
    assert time.monotonic() - started >= 0.5  # it waited for room first
    assert ws._stream.stats.sent < 200
    server.close()
