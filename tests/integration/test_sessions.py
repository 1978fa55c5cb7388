"""Sessions that survive reconnects: on_open hooks, credentials evaluated per attempt, proxy=.

Real servers on 127.0.0.1: the demo MarketServer (nothing flows until a client
subscribes) in this process and as its own process, killed and restarted.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.integration.conftest import LocalServer, ServeProcess, free_port

import ipywebsockets as iws
from timing import eventually, timeout_s

T = timeout_s(5)
FAST = iws.Backoff(initial=0.05, max_delay=0.2)


def subscribe(sock: iws.WebSocket) -> None:
    sock.send({"op": "subscribe", "symbols": ["ABC"]})


def drop(server: iws.MarketServer) -> None:
    """Cut the TCP connection of the server's one client (the client sees 1006 and reconnects)."""
    eventually(lambda: len(server.connections) == 1, what="the server's handler runs")
    (connection,) = server.connections
    connection.transport.close()


def ticks(ws: iws.WebSocket) -> list[dict[str, Any]]:
    return [m.json() for m in ws.messages if m.direction == "in" and '"tick"' in m.text()]


@pytest.fixture
def market_process() -> Iterator[ServeProcess]:
    server = ServeProcess("market", free_port(), "--rate", "50")
    yield server
    server.kill()


@pytest.fixture
def market() -> Iterator[iws.MarketServer]:
    with iws.MarketServer(rate=50) as server:
        yield server


# -- on_open ---------------------------------------------------------------------------


def test_a_feed_that_needs_a_subscription_resumes_after_five_restarts(
    connect: Callable[..., iws.WebSocket], market_process: ServeProcess
) -> None:
    ws = connect(market_process.start().url, reconnect=FAST, connect=False)
    ws.on_open(subscribe)
    ws.connect()
    resumed = []
    for _ in range(5):
        eventually(lambda: len(ticks(ws)) >= 5, what="ticks after subscribing")
        market_process.kill()
        eventually(lambda: ws.status == "reconnecting", what="noticed the kill")
        count = ws._stream.stats.received
        killed = time.monotonic()
        market_process.start()
        eventually(lambda: ws._stream.stats.received > count + 3, what="resumed", within=10)  # noqa: B023
        resumed.append(time.monotonic() - killed)
    eventually(lambda: ws.reconnects == 5, what="5 reconnects counted")
    assert ws.status == "open" and ws.callback_errors == 0
    print(print(f"restart to data (subscribed by on_open): {[round(r, 3) for r in resumed]} s"))


def test_without_the_hook_a_reconnected_feed_stays_silent(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    """The failure the hook exists for: subscribing once from a cell is lost at a reconnect."""
    ws = connect(market.url, reconnect=FAST)
    ws.send({"op": "subscribe", "symbols": ["ABC"]})
    eventually(lambda: len(ticks(ws)) >= 3, what="ticks")
    drop(market)  # drop the TCP connection: a 1006
    eventually(lambda: ws.reconnects == 1 and ws.status == "open", what="reconnected")
    count = len(ticks(ws))
    time.sleep(0.3)  # 15 ticks would have come at 50/s
    assert len(ticks(ws)) == count


def test_hook_sends_go_before_what_was_queued_while_away(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    seen: list[list[str]] = []

    async def record(ws: Any) -> None:
        mine: list[str] = []
        seen.append(mine)
        async for message in ws:
            mine.append(message)

    server = make_server(record)
    ws = connect(server.url, reconnect=FAST, connect=False)

    @ws.on_open
    def login(sock: iws.WebSocket) -> None:
        sock.send("login")
        sock.send("subscribe")

    ws.connect()
    ws.send("queued-1")
    ws.send("queued-2")
    eventually(lambda: len(seen) == 1 and len(seen[0]) == 4, what="four messages")
    assert seen[0] == ["login", "subscribe", "queued-1", "queued-2"]
    # Lose the connection, queue while away: the hook's messages still come first.
    server.stop()
    eventually(lambda: ws.status == "reconnecting", what="lost")
    ws.send("while-away")
    server.start(server.port)
    eventually(lambda: len(seen) == 2 and len(seen[1]) == 3, what="after the reconnect")
    assert seen[1] == ["login", "subscribe", "while-away"]


def test_a_hook_may_wait_for_a_reply(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    answers = []
    ws = connect(market.url, connect=False)

    @ws.on_open
    def snapshot_first(sock: iws.WebSocket) -> None:
        answers.append(sock.status)  # the traits are current when a hook starts
        reply = sock.request(
            {"op": "snapshot", "id": 1}, match=lambda m: m.json().get("id") == 1, timeout=T
        )
        answers.append(reply.json()["prices"])
        subscribe(sock)

    ws.connect()
    eventually(lambda: len(ticks(ws)) >= 2, what="ticks after the hook's snapshot")
    assert answers[0] == "open" and set(answers[1]) == {"ABC", "XYZ", "QRS"}
    assert ws.recv(T).json()["type"] == "subscribed"  # the snapshot was the hook's, not recv's


def test_a_hook_that_raises_is_counted_and_shown_and_the_others_run(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer, capfd: Any
) -> None:
    ws = connect(market.url, connect=False)

    @ws.on_open
    def broken(sock: iws.WebSocket) -> None:
        raise RuntimeError("no token yet")

    ws.on_open(subscribe)
    ws.connect()
    eventually(lambda: len(ticks(ws)) >= 3, what="the second hook still subscribed")
    assert ws.callback_errors == 1
    assert "on_open hook" in ws.error and "RuntimeError: no token yet" in ws.error
    assert ws.status == "open"
    assert "no token yet" in capfd.readouterr().err


def test_a_hook_that_hangs_releases_the_queue_after_open_timeout(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    got: list[str] = []

    async def record(ws: Any) -> None:
        async for message in ws:
            got.append(message)

    server = make_server(record)
    release = threading.Event()
    ws = connect(server.url, open_timeout=0.5, connect=False)
    ws.on_open(lambda sock: release.wait(T))
    ws.connect()
    ws.send("queued")
    started = time.monotonic()
    eventually(lambda: got == ["queued"], what="the queue released", within=8)
    assert time.monotonic() - started < timeout_s(8)  # 0.5 s of open_timeout, loaded machine
    assert "still running after 0.5 s" in ws.error
    release.set()


def test_a_hook_registered_after_the_open_runs_at_once_and_once_per_open(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    ws = connect(market.url, reconnect=FAST)  # connects at once: the usual way to write it
    eventually(lambda: ws.status == "open", what="open before the hook exists")
    runs = []

    @ws.on_open
    def sub(sock: iws.WebSocket) -> None:
        runs.append(sock.reconnects)
        subscribe(sock)

    eventually(lambda: len(ticks(ws)) >= 3, what="ticks: the hook ran for this connection")
    drop(market)
    eventually(lambda: ws.reconnects == 1 and len(runs) == 2, what="ran again after reconnect")
    time.sleep(0.2)
    assert runs == [0, 1] and market.subscribes == 2


def test_on_open_remove_and_bad_arguments(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    ws = connect(market.url, connect=False)
    ws.on_open(subscribe)
    ws.on_open(subscribe, remove=True)
    with pytest.raises(TypeError, match="on_open takes a function"):
        ws.on_open("subscribe")  # type: ignore[arg-type]
    ws.connect()
    eventually(lambda: ws.status == "open", what="open")
    time.sleep(0.2)
    assert ticks(ws) == []


# -- credentials -----------------------------------------------------------------------


def test_a_rotated_token_is_picked_up_on_reconnect(
    connect: Callable[..., iws.WebSocket],
) -> None:
    with iws.MarketServer(rate=50, tokens={"t1"}) as market:
        current = {"token": "t1"}
        calls = []

        def auth() -> dict[str, str]:
            calls.append(current["token"])
            return {"Authorization": f"Bearer {current['token']}"}

        ws = connect(market.url, headers=auth, reconnect=FAST, connect=False)
        ws.on_open(subscribe)
        ws.connect()
        eventually(lambda: len(ticks(ws)) >= 3, what="ticks with t1")
        market.tokens = {"t2"}  # the old token is revoked...
        current["token"] = "t2"  # ...and the app has a new one
        drop(market)
        eventually(lambda: ws.reconnects == 1 and ws.status == "open", what="back with t2")
        assert ws.handshake is not None
        assert ws.handshake.request.headers["Authorization"] == "Bearer t2"
        assert calls == ["t1", "t2"] and market.unauthorized == 0
        assert "t1" not in json.dumps(ws.get_state(), default=str)


def test_a_401_on_reconnect_asks_the_factory_once_more(
    connect: Callable[..., iws.WebSocket],
) -> None:
    with iws.MarketServer(rate=50, tokens={"old"}) as market:
        tokens = iter(["old", "stale", "fresh", "never"])
        calls = []

        async def auth() -> dict[str, str]:  # an async factory
            await asyncio.sleep(0)
            calls.append(next(tokens))
            return {"Authorization": f"Bearer {calls[-1]}"}

        ws = connect(market.url, headers=auth, reconnect=FAST)
        eventually(lambda: ws.status == "open", what="open with 'old'")
        market.tokens = {"fresh"}
        drop(market)
        eventually(lambda: ws.reconnects == 1 and ws.status == "open", what="open with 'fresh'")
        assert calls == ["old", "stale", "fresh"] and market.unauthorized == 1


def test_a_second_401_gives_up_with_the_reason(connect: Callable[..., iws.WebSocket]) -> None:
    with iws.MarketServer(rate=50, tokens={"a"}) as market:
        ws = connect(market.url, headers=lambda: {"Authorization": "Bearer a"}, reconnect=FAST)
        eventually(lambda: ws.status == "open", what="open")
        market.tokens = set()
        drop(market)
        eventually(lambda: ws.status == "closed", what="gave up")
        assert "HTTP 401" in ws.error and market.unauthorized == 2


def test_a_url_factory_is_called_for_every_attempt(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    signed = []

    def sign() -> str:
        signed.append(len(signed))
        return f"{market.url}/?signature=s{len(signed)}"

    ws = connect(sign, reconnect=FAST)
    eventually(lambda: ws.status == "open", what="open")
    assert ws.url == "<url from test_a_url_factory_is_called_for_every_attempt.<locals>.sign()>"
    drop(market)
    eventually(lambda: ws.reconnects == 1 and ws.status == "open", what="reopened")
    assert len(signed) == 2
    assert ws.handshake is not None and ws.handshake.request.path == "/?signature=s2"


@pytest.mark.parametrize(
    ("factory", "expected"),
    [
        (lambda: 1 / 0, r"headers= <lambda>\(\) raised ZeroDivisionError"),
        (lambda: "Bearer x", r"returned a str; it must return a mapping"),
        (lambda: {"X-Token": 5}, r"the headers \['X-Token'\] are not str"),
    ],
)
def test_a_bad_header_factory_fails_the_attempt_clearly(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer, factory: Any, expected: str
) -> None:
    ws = connect(market.url, headers=factory)
    with pytest.raises(iws.ConnectionFailed, match=expected):
        ws.recv(timeout=T)


def test_a_url_factory_returning_no_url_fails_clearly(
    connect: Callable[..., iws.WebSocket],
) -> None:
    ws = connect(lambda: "http://example.org/feed")
    with pytest.raises(iws.ConnectionFailed, match=r"returned no usable URL.*did you mean ws://"):
        ws.recv(timeout=T)


@pytest.mark.parametrize(
    ("kwargs", "error", "expected"),
    [
        ({"proxy": "ftp://127.0.0.1:21"}, ValueError, "is not a proxy URL"),
        ({"proxy": 3128}, TypeError, "proxy must be a URL"),
        ({"headers": "Bearer x"}, TypeError, "headers must be a mapping"),
        ({"mode": "browser", "proxy": "http://127.0.0.1:3128"}, ValueError, "own proxy settings"),
        ({"mode": "browser", "headers": lambda: {}}, ValueError, "browsers do not let pages"),
    ],
)
def test_bad_session_arguments_are_refused(
    kwargs: dict[str, Any], error: type, expected: str
) -> None:
    with pytest.raises(error, match=expected):
        iws.WebSocket("ws://127.0.0.1:9", connect=False, **kwargs)


def test_a_url_factory_is_refused_in_browser_mode() -> None:
    with pytest.raises(ValueError, match="needs the URL itself"):
        iws.WebSocket(lambda: "ws://127.0.0.1:9", mode="browser", connect=False)


def test_socks_without_python_socks_says_what_to_install() -> None:
    try:
        import python_socks  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r'pip install "ipywebsockets\[socks\]"'):
            iws.WebSocket("ws://127.0.0.1:9", proxy="socks5://127.0.0.1:1080", connect=False)
    else:
        ws = iws.WebSocket("ws://127.0.0.1:9", proxy="socks5://127.0.0.1:1080", connect=False)
        ws.close(widget=True)


def test_an_explicit_proxy_is_used_even_for_loopback(
    connect: Callable[..., iws.WebSocket], market: iws.MarketServer
) -> None:
    """A proxy refusing everything (an HTTP server answering 403) proves the CONNECT went there."""
    seen: list[bytes] = []
    srv = socket.create_server(("127.0.0.1", 0))

    def refuse() -> None:
        conn, _ = srv.accept()
        with conn:
            seen.append(conn.recv(4096))
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=refuse, daemon=True).start()
    try:
        ws = connect(market.url, proxy=f"http://127.0.0.1:{srv.getsockname()[1]}")
        with pytest.raises(iws.ConnectionFailed, match=r"the proxy .*403.*check proxy="):
            ws.recv(timeout=T)
    finally:
        srv.close()
    assert seen and seen[0].startswith(f"CONNECT 127.0.0.1:{market.port} HTTP/1.1".encode())
