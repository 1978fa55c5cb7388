"""The WebSocket widget in a plain Python process (no kernel, no front end), on real servers."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from tests.integration.conftest import LocalServer, LoopThread, echo
from websockets.asyncio.server import ServerConnection

import ipywebsockets as iws
from timing import eventually, timeout_s

T = timeout_s(5)


def test_send_and_receive_text_binary_json(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    ws.send("text")
    ws.send(b"\x00\x01\xff")
    ws.send({"subscribe": "ABC"})
    got = [ws.recv(timeout=T) for _ in range(3)]
    assert [m.data for m in got] == ["text", b"\x00\x01\xff", '{"subscribe":"ABC"}']
    assert [m.kind for m in got] == ["text", "binary", "text"]
    assert got[2].json() == {"subscribe": "ABC"}
    assert (ws.status, ws.received, ws.sent) == ("open", 3, 3)
    assert ws.bytes_received == ws.bytes_sent == 4 + 3 + 19
    assert ws.last is got[2] and ws.last_value == {"subscribe": "ABC"}
    assert [m.direction for m in ws.messages].count("out") == 3


def test_bad_value_raises_type_error_before_sending(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    ws.recv  # noqa: B018
    with pytest.raises(TypeError, match="cannot send a set"):
        ws.send({1, 2})
    with pytest.raises(TypeError, match="cannot send dict as JSON"):
        ws.send({"when": object()})
    ws.send("after")
    assert ws.recv(timeout=T).data == "after"
    assert ws.sent == 1


def test_on_message_in_order_off_the_io_thread(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    seen: list[str] = []
    threads: set[str] = set()

    @ws.on_message
    def handle(msg: iws.Message) -> None:
        seen.append(msg.text())
        threads.add(threading.current_thread().name)

    for i in range(200):
        ws.send(str(i))
    eventually(lambda: len(seen) == 200, what="200 callbacks")
    assert seen == [str(i) for i in range(200)]
    assert len(threads) == 1 and threads.pop().startswith("ipywebsockets-callbacks")


def test_callback_exception_is_reported_and_the_stream_goes_on(
    connect: Callable[..., iws.WebSocket],
    echo_server: LocalServer,
    capfd: pytest.CaptureFixture[str],
) -> None:
    ws = connect(echo_server.url)
    seen: list[str] = []

    @ws.on_message
    def handle(msg: iws.Message) -> None:
        if msg.data == "bad":
            raise ValueError("boom")
        seen.append(msg.text())

    for data in ("a", "bad", "b"):
        ws.send(data)
    eventually(lambda: seen == ["a", "b"], what="the messages around the failing one")
    ws.messages  # noqa: B018  (refreshes the traits)
    assert ws.callback_errors == 1
    err = capfd.readouterr().err
    assert "handle raised on message #" in err and "ValueError: boom" in err and "Traceback" in err


def test_remove_handler(connect: Callable[..., iws.WebSocket], echo_server: LocalServer) -> None:
    ws = connect(echo_server.url)
    seen: list[iws.Message] = []
    ws.on_message(seen.append)
    ws.send("1")
    eventually(lambda: len(seen) == 1)
    ws.on_message(seen.append, remove=True)
    # A witness handler, registered after the removal: handlers run in order on one
    # thread, so once it has seen the sentinel "3", message "2" went to every handler.
    witnessed: list[str] = []
    ws.on_message(lambda m: witnessed.append(m.text()))
    ws.send("2")
    ws.send("3")
    eventually(lambda: witnessed == ["2", "3"], what="the witness handler saw 2 then 3")
    assert [m.data for m in seen] == ["1"], "the removed handler was still called"


def test_slow_callback_backs_off_reception_without_dropping(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    async def burst(ws: ServerConnection) -> None:
        for i in range(300):
            await ws.send(str(i))
        await ws.wait_closed()

    server = make_server(burst)
    ws = connect(server.url, callback_queue=20, history=1000)
    seen: list[int] = []
    backlog: list[int] = []

    @ws.on_message
    def slow(msg: iws.Message) -> None:
        time.sleep(0.002)
        seen.append(int(msg.text()))
        backlog.append(ws._stream.callback_backlog)

    eventually(lambda: len(seen) == 300, within=20, what="every message reaches the slow callback")
    assert seen == list(range(300))
    assert max(backlog) <= 21  # the queue stayed bounded: reception paused instead
    assert ws.received == 300


def test_wait_for_consumes_until_match(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    for kind in ("noise", "noise", "ack", "after"):
        ws.send({"type": kind})
    ack = ws.wait_for(lambda m: m.json().get("type") == "ack", timeout=T)
    assert ack.json() == {"type": "ack"}
    assert ws.recv(timeout=T).json() == {"type": "after"}
    with pytest.raises(TimeoutError, match="no message matching the predicate within"):
        ws.wait_for(lambda m: False, timeout=0.2)


def test_recv_timeout_says_why(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    with pytest.raises(TimeoutError, match=r"no message within 0.2 s \(status: (open|connecting)"):
        ws.recv(timeout=0.2)


def test_arecv_and_async_for_until_the_server_closes(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    async def three(ws: ServerConnection) -> None:
        for i in range(3):
            await ws.send(f"m{i}")
        await ws.close(1000, "done")

    server = make_server(three)
    ws = connect(server.url, reconnect=False)

    async def main() -> list[str]:
        first = await ws.arecv(timeout=T)
        rest = [m.text() async for m in ws]
        return [first.text(), *rest]

    assert asyncio.run(main()) == ["m0", "m1", "m2"]
    assert (ws.status, ws.close_code, ws.close_reason) == ("closed", 1000, "done")
    with pytest.raises(iws.ConnectionClosed, match=r"1000 \(normal closure\): done"):
        ws.recv(timeout=T)


def test_messages_before_close_are_still_read(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    async def one_then_close(ws: ServerConnection) -> None:
        await ws.send("last words")
        await ws.close(1001, "restarting")

    server = make_server(one_then_close)
    ws = connect(server.url, reconnect=False)
    assert ws.recv(timeout=T).data == "last words"
    with pytest.raises(iws.ConnectionClosed) as info:
        ws.recv(timeout=T)
    assert (info.value.code, info.value.reason) == (1001, "restarting")


def test_history_is_bounded_and_recv_reports_evictions(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url, history=5)
    for i in range(10):
        ws.send(str(i))
    eventually(lambda: ws.received == 10, what="all 10 echoes")
    # 10 out + 10 in, the last 5 kept: 15 evicted, none read by recv() yet.
    assert len(ws.messages) == 5 and ws.evicted == 15
    with pytest.warns(iws.IPyWebSocketsWarning, match="^15 messages were evicted from the history"):
        msg = ws.recv(timeout=T)
    assert msg.data in {str(i) for i in range(5, 10)}
    assert ws.missed == 15


def test_close_sends_code_and_reason_and_flushes_queued_sends(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    got: list[str] = []

    async def collect(ws: ServerConnection) -> None:
        async for message in ws:
            got.append(str(message))

    server = make_server(collect)
    ws = connect(server.url)
    for i in range(50):
        ws.send(str(i))
    ws.close(4000, "bye now")
    # The server's handler may still be reading its queue when the close handshake ends.
    eventually(lambda: got == [str(i) for i in range(50)], what="all 50 before the close")
    eventually(lambda: server.closes == [(4000, "bye now")], what="the server sees the close frame")
    assert (ws.status, ws.close_code, ws.close_reason, ws.error) == ("closed", 4000, "bye now", "")
    with pytest.raises(iws.ConnectionClosed, match="call connect"):
        ws.send("late")


def test_connect_again_after_close(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    ws.send("one")
    assert ws.recv(timeout=T).data == "one"
    ws.close()
    ws.connect()
    ws.send("two")
    assert ws.recv(timeout=T).data == "two"
    assert echo_server.connections == 2 and ws.received == 2


def test_reconnects_and_delivers_sends_queued_meanwhile(
    connect: Callable[..., iws.WebSocket], loop_thread: Any
) -> None:
    got: list[str] = []

    async def collect(ws: ServerConnection) -> None:
        async for message in ws:
            got.append(str(message))
            await ws.send(f"ack {message}")

    server = LocalServer(loop_thread, collect).start()
    port = server.port
    statuses: list[str] = []
    ws = connect(server.url, reconnect=iws.Backoff(initial=0.2, jitter=0))
    ws.observe(lambda ch: statuses.append(ch["new"]), names=["status"])
    ws.send("before")
    assert ws.recv(timeout=T).data == "ack before"
    server.stop()  # closes with 1001 going away: a restart is worth waiting for
    eventually(lambda: ws.status == "reconnecting" or (ws.messages and False), what="reconnecting")
    ws.send("during")
    server = LocalServer(loop_thread, collect).start(port=port)
    try:
        assert ws.recv(timeout=T).data == "ack during"
        assert got == ["before", "during"]
        assert ws.reconnects == 1 and ws.status == "open"
        assert "reconnecting" in statuses and statuses[-1] == "open"
    finally:
        ws.close()
        server.stop()


def test_no_reconnect_when_disabled(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url, reconnect=False)
    ws.send("x")
    ws.recv(timeout=T)
    echo_server.stop()
    with pytest.raises(iws.ConnectionClosed, match="1001"):
        ws.recv(timeout=T)
    assert ws.status == "closed" and ws.reconnects == 0


def _held_handshake(release: threading.Event) -> Callable[[Any, Any], Any]:
    """A ``process_request`` that holds the opening handshake until ``release`` is set."""

    async def hold(connection: Any, request: Any) -> None:
        await asyncio.to_thread(release.wait, timeout_s(10))

    return hold


def test_send_queue_is_bounded_while_connecting(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    release = threading.Event()
    server = make_server(echo, process_request=_held_handshake(release))
    ws = connect(server.url, send_queue=2)
    try:
        ws.send("1")
        ws.send("2")
        with pytest.raises(
            iws.SendQueueFull, match="2 messages already wait while the connection is connecting"
        ):
            ws.send("3")
        assert ws._stream.state["status"] == "connecting"
    finally:
        release.set()
    assert [ws.recv(timeout=T).data for _ in range(2)] == ["1", "2"]
    assert ws.sent == 2


def test_secrets_stay_out_of_the_synced_state(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(
        f"ws://user:pw-SECRET@127.0.0.1:{echo_server.port}/?token=tok-SECRET",
        headers={"Authorization": "Bearer hdr-SECRET"},
    )
    ws.send("x")
    ws.recv(timeout=T)
    assert "Bearer hdr-SECRET" in echo_server.requests[0].headers.get_all("Authorization")
    state = json.dumps(ws.get_state(), default=str)
    assert "SECRET" not in state
    assert ws.url == f"ws://user:***@127.0.0.1:{echo_server.port}/?token=***"


def test_fast_stream_is_counted_exactly_with_bounded_history(
    connect: Callable[..., iws.WebSocket],
) -> None:
    with iws.TickerServer(rate=None, count=20_000) as ticker:
        ws = connect(ticker.url, history=100, reconnect=False)
        eventually(lambda: ws.messages is not None and ws.status == "closed", within=30)
        assert ws.received == 20_000 and ws.close_code == 1000
        assert len(ws.messages) == 100 and ws.evicted == 19_900
        assert ws.last is not None and ws.last.json()["seq"] == 20_000


def test_handler_raising_system_exit_does_not_end_the_stream(
    connect: Callable[..., iws.WebSocket],
    echo_server: LocalServer,
    capfd: pytest.CaptureFixture[str],
) -> None:
    ws = connect(echo_server.url, callback_queue=2)
    seen: list[str] = []

    @ws.on_message
    def handle(msg: iws.Message) -> None:
        if msg.data == "exit":
            raise SystemExit(3)
        seen.append(msg.text())

    for data in ("a", "exit", "b", "c", "d"):
        ws.send(data)
    eventually(lambda: seen == ["a", "b", "c", "d"], what="the messages after SystemExit")
    ws.messages  # noqa: B018
    assert ws.callback_errors == 1
    assert "SystemExit: 3" in capfd.readouterr().err


def test_a_burst_of_sends_while_open_waits_instead_of_failing(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url, send_queue=10, history=10_000)
    ws.send("first")
    assert ws.recv(timeout=T).data == "first"
    for i in range(3000):
        ws.send(str(i))  # far more than send_queue: send() waits for room instead of raising
    eventually(lambda: ws.received == 3001, within=20, what="every echo")
    assert [m.data for m in ws.messages if m.direction == "in"][1:] == [str(i) for i in range(3000)]


def test_state_stays_strict_json_whatever_arrives(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    ws.send('{"price": NaN, "size": Infinity}')
    ws.recv(timeout=T)
    assert ws.last_value == '{"price": NaN, "size": Infinity}'
    json.dumps(ws.get_state(), allow_nan=False, default=str)  # what the comm will send


def test_sends_dropped_by_a_close_before_open_are_counted(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    release = threading.Event()
    server = make_server(echo, process_request=_held_handshake(release))
    ws = connect(server.url, close_timeout=0.1)
    try:
        ws.send("a")
        ws.send("b")
        ws.close()
    finally:
        release.set()
    assert ws.unsent == 2
    assert ws.status == "closed" and "2 queued messages were not sent" in ws.error
    assert ws.sent == 0


def test_callbacks_stay_in_order_across_close_and_connect(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    seen: list[str] = []

    @ws.on_message
    def slow(msg: iws.Message) -> None:
        time.sleep(0.002)  # still busy with the first batch when the second arrives
        seen.append(msg.text())

    first = [f"a{i}" for i in range(100)]
    second = [f"b{i}" for i in range(100)]
    for data in first:
        ws.send(data)
    ws.wait_for(lambda m: m.data == first[-1], timeout=T)
    ws.close()
    ws.connect()
    for data in second:
        ws.send(data)
    eventually(lambda: len(seen) == 200, within=10, what="every message handled")
    assert seen == first + second
    callback_threads = [t for t in threading.enumerate() if t.name.startswith("ipywebsockets-call")]
    assert len(callback_threads) <= 1


def test_retry_delays_grow_between_failed_attempts(
    connect: Callable[..., iws.WebSocket], loop_thread: LoopThread
) -> None:
    """After a lost connection each failed attempt waits longer: the backoff grows.

    A constant delay would give ratios of about 1 between successive gaps.
    """
    server = LocalServer(loop_thread, echo).start()
    port = server.port
    ws = connect(server.url, reconnect=iws.Backoff(initial=0.1, factor=2, max_delay=10, jitter=0))
    ws.send("x")
    assert ws.recv(timeout=T).data == "x"
    attempts: list[float] = []

    async def refuse_handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        attempts.append(time.monotonic())
        writer.close()  # EOF in the opening handshake: a failed, retriable attempt

    server.stop()  # 1001 going away: the client retries

    async def listen() -> asyncio.Server:
        return await asyncio.start_server(refuse_handshake, "127.0.0.1", port)

    raw = loop_thread.run(listen())
    try:
        # Delays 0.1, 0.2, 0.4, 0.8, 1.6 s (an attempt refused before the listener
        # came up is not seen: only the gaps between seen attempts are compared).
        eventually(lambda: len(attempts) >= 4, within=10, what="four failed attempts")
        gaps = [b - a for a, b in itertools.pairwise(attempts)]
        ratios = [b / a for a, b in itertools.pairwise(gaps)]
        assert all(1.6 <= r <= 2.5 for r in ratios), f"gaps {gaps}, ratios {ratios}"
        assert ws.status == "reconnecting"
    finally:

        async def close() -> None:
            raw.close()
            await raw.wait_closed()

        loop_thread.run(close())
