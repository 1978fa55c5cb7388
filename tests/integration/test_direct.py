"""Messages in one frame reach the stream as they are parsed (direct.py); the rest through recv().

Real websockets servers on 127.0.0.1 send a mix: whole messages, fragmented ones,
binary ones. Whatever path each took, the stream has them all, in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.integration.conftest import LocalServer
from websockets.asyncio.server import ServerConnection

import ipywebsockets as iws
from ipywebsockets.direct import DirectConnection
from timing import eventually, timeout_s


async def mixed(ws: ServerConnection) -> None:
    await ws.recv()  # the client is reading: start
    for i in range(300):
        await ws.send(f"a{i}")
        if i % 50 == 0:  # a fragmented text and binary message between whole ones
            await ws.send([f"f{i}-", "x" * 10, "-end"])
            await ws.send([b"\x00", bytes([i % 256])])
        if i % 70 == 0:
            await ws.send(bytes([1, 2, i % 256]))
    await ws.send("done")
    await ws.wait_closed()


def expected() -> list[str | bytes]:
    out: list[str | bytes] = []
    for i in range(300):
        out.append(f"a{i}")
        if i % 50 == 0:
            out += [f"f{i}-" + "x" * 10 + "-end", b"\x00" + bytes([i % 256])]
        if i % 70 == 0:
            out.append(bytes([1, 2, i % 256]))
    return [*out, "done"]


def test_whole_and_fragmented_messages_keep_their_order(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    ws = connect(make_server(mixed).url, history=1000)
    seen: list[str | bytes] = []
    ws.on_message(lambda msg: seen.append(msg.data))
    eventually(lambda: ws.status == "open", what="open")
    conn = ws.handshake
    assert isinstance(conn, DirectConnection) and conn.sink is not None, "no direct reader"
    ws.send("go")
    eventually(lambda: seen and seen[-1] == "done", within=10, what=lambda: f"{len(seen)} seen")
    want = expected()
    assert [m.data for m in ws.messages if m.direction == "in"] == want
    assert seen == want
    assert ws.received == len(want) and ws.recv(timeout=timeout_s(5)).data == "a0"


def test_a_slow_reader_still_gets_everything_in_order(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    # A queue of 2 for the handler: the direct reader is held back again and again,
    # and messages take the usual way meanwhile.
    ws = connect(make_server(mixed).url, history=1000, callback_queue=2)
    seen: list[str | bytes] = []

    def slow(msg: iws.Message) -> None:
        if len(seen) % 40 == 0:
            time.sleep(0.01)
        seen.append(msg.data)

    ws.on_message(slow)
    eventually(lambda: ws.status == "open", what="open")
    ws.send("go")
    eventually(lambda: seen and seen[-1] == "done", within=20, what=lambda: f"{len(seen)} seen")
    assert seen == expected()
