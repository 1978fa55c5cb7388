"""request/arequest and JSON-RPC call/acall against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.integration.conftest import LocalServer

import ipywebsockets as iws
from timing import timeout_s

T = timeout_s(5)


@pytest.fixture
def market() -> Iterator[iws.MarketServer]:
    with iws.MarketServer(rate=200) as server:
        yield server


def by_id(n: int) -> Callable[[iws.Message], bool]:
    return lambda m: m.json().get("id") == n


def test_request_returns_the_reply_and_every_other_message_flows_on_in_order(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    ws = connect(market.url)
    ws.send({"op": "subscribe", "symbols": ["ABC", "XYZ"]})
    assert ws.recv(T).json()["type"] == "subscribed"
    reply = ws.request({"op": "snapshot", "id": 7}, match=by_id(7), timeout=T)
    assert reply.json()["type"] == "snapshot" and set(reply.json()["prices"]) == {
        "ABC",
        "XYZ",
        "QRS",
    }
    # recv() goes on with the ticks, in order, and never sees the snapshot.
    seqs = []
    while len(seqs) < 50:
        msg = ws.recv(T).json()
        assert msg["type"] == "tick"
        seqs.append(msg["seq"])
    assert seqs == sorted(seqs)
    assert reply in ws.messages  # the history (and the views) keep it


def test_a_reply_that_came_at_once_is_not_missed(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    async def instant(ws: Any) -> None:
        async for message in ws:
            await ws.send(json.dumps({"id": json.loads(message)["id"], "ok": True}))

    ws = connect(make_server(instant).url)
    for n in range(200):
        assert ws.request({"id": n}, match=by_id(n), timeout=T).json() == {"id": n, "ok": True}
    with pytest.raises(TimeoutError):
        ws.recv(timeout=0.05)  # none of the 200 replies was handed to recv() too


def test_request_timeout_says_what_came_and_what_the_match_raised(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    ws = connect(market.url)
    ws.send({"op": "subscribe", "symbols": ["ABC"]})
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"no reply matching .* within 0.3 s: \d+ messages"):
        ws.request({"op": "nothing"}, match=lambda m: m.json()["no such key"], timeout=0.3)
    assert time.monotonic() - started < timeout_s(2)
    try:
        ws.request({"op": "nothing"}, match=lambda m: m.json()["k"], timeout=0.2)
    except TimeoutError as exc:
        assert "the match raised on" in str(exc) and "KeyError" in str(exc)


def test_request_raises_when_the_connection_ends_for_good_first(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    async def closes(ws: Any) -> None:
        await ws.recv()
        await ws.close(4000, "bye")

    ws = connect(make_server(closes).url, reconnect=False)
    with pytest.raises(iws.ConnectionClosed, match="4000"):
        ws.request("hello", match=lambda m: True, timeout=T)


def test_request_on_a_closed_socket_raises_at_once(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    ws = connect(market.url)
    ws.close()
    with pytest.raises(iws.ConnectionClosed, match="cannot send"):
        ws.request("x", match=lambda m: True, timeout=T)
    assert ws._stream.claims == ()


def test_arequest_from_an_event_loop(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    ws = connect(market.url)

    async def main() -> list[int]:
        replies = await asyncio.gather(
            *(ws.arequest({"op": "snapshot", "id": n}, match=by_id(n), timeout=T) for n in range(5))
        )
        return [r.json()["id"] for r in replies]

    assert asyncio.run(main()) == [0, 1, 2, 3, 4]


def test_bad_request_arguments(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    ws = connect(market.url)
    with pytest.raises(TypeError, match="match must be a function"):
        ws.request("x", match="id", timeout=T)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be >= 0"):
        ws.request("x", match=by_id(1), timeout=-1)
    with pytest.raises(TypeError, match="cannot send a set"):
        ws.request({1, 2}, match=by_id(1), timeout=T)
    assert ws._stream.claims == ()


# -- JSON-RPC 2.0 ----------------------------------------------------------------------


def test_call_numbers_ids_and_returns_results(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    ws = connect(market.url)
    assert ws.call("add", [1, 2], timeout=T) == 3
    assert ws.call("symbols", timeout=T) == ["ABC", "XYZ", "QRS"]
    sent = [json.loads(m.data) for m in ws.messages if m.direction == "out"]
    assert sent == [
        {"jsonrpc": "2.0", "id": 1, "method": "add", "params": [1, 2]},
        {"jsonrpc": "2.0", "id": 2, "method": "symbols"},
    ]


def test_an_error_reply_raises_remote_error(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    ws = connect(market.url)
    with pytest.raises(iws.RemoteError) as info:
        ws.call("divide", [1, 0], timeout=T)
    assert info.value.code == -32601 and info.value.method == "divide"
    assert "method not found: divide" in str(info.value)
    with pytest.raises(iws.RemoteError) as info:
        ws.call("price", ["NOPE"], timeout=T)
    assert info.value.code == -32602 and "KeyError" in info.value.data


def test_call_timeout_names_the_method(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    async def silent(ws: Any) -> None:
        async for _ in ws:
            pass

    ws = connect(make_server(silent).url)
    with pytest.raises(TimeoutError, match=r"no reply to 'slow' \(JSON-RPC id 1\) within 0.2 s"):
        ws.call("slow", timeout=0.2)


def test_batch_replies_and_notifications(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    """Replies may come in a batch (a JSON array); notifications are ordinary messages."""
    held: list[dict[str, Any]] = []

    async def batching(ws: Any) -> None:
        async for message in ws:
            call = json.loads(message)
            await ws.send(
                json.dumps({"jsonrpc": "2.0", "method": "progress", "params": [call["id"]]})
            )
            held.append(call)
            if len(held) == 2:  # answer both at once, in reverse order
                await ws.send(json.dumps([
                    {"jsonrpc": "2.0", "id": c["id"], "result": c["method"]} for c in held[::-1]
                ]))  # fmt: skip
                held.clear()

    ws = connect(make_server(batching).url)

    async def two() -> list[Any]:
        return list(await asyncio.gather(ws.acall("a", timeout=T), ws.acall("b", timeout=T)))

    assert asyncio.run(two()) == ["a", "b"]
    notes = [ws.recv(T).json(), ws.recv(T).json()]
    assert sorted(n["params"][0] for n in notes) == [1, 2]
    with pytest.raises(TimeoutError):
        ws.recv(timeout=0.05)  # the batch went to the calls only


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [("", None, "non-empty str"), (5, None, "non-empty str"), ("m", "x", "list .* or a dict")],
)
def test_bad_call_arguments(
    connect: Callable[..., iws.WebSocket],
    market: iws.MarketServer,
    method: Any,
    params: Any,
    expected: str,
) -> None:
    ws = connect(market.url)
    with pytest.raises(TypeError, match=expected):
        ws.call(method, params, timeout=T)
