"""The demo servers, used by real clients; and `python -m ipywebsockets serve`."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time

import pytest
from tests.integration.conftest import free_port

import ipywebsockets as iws
from timing import eventually, timeout_s

T = timeout_s(5)


def test_ticker_sends_json_ticks_at_about_its_rate() -> None:
    with iws.TickerServer(rate=50, symbols=["AAA", "BBB"], seed=1) as ticker:
        ws = iws.WebSocket(ticker.url)
        try:
            ticks = [ws.recv(timeout=T).json() for _ in range(50)]
        finally:
            ws.close(widget=True)
    assert [t["seq"] for t in ticks] == list(range(1, 51))
    assert {t["symbol"] for t in ticks} == {"AAA", "BBB"}
    assert all(t["type"] == "tick" and isinstance(t["price"], float) for t in ticks)
    elapsed = ticks[-1]["time"] - ticks[0]["time"]
    assert 0.5 < elapsed < 2.0  # 49 intervals at 50/s is about 1 s


def test_ticker_count_then_normal_close() -> None:
    with iws.TickerServer(rate=None, count=10) as ticker:
        ws = iws.WebSocket(ticker.url, reconnect=False)
        try:
            assert [ws.recv(timeout=T).json()["seq"] for _ in range(10)] == list(range(1, 11))
            with pytest.raises(iws.ConnectionClosed, match=r"1000 \(normal closure\): ticker done"):
                ws.recv(timeout=T)
        finally:
            ws.close(widget=True)


def test_ticker_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        iws.TickerServer(rate=0)
    with pytest.raises(ValueError, match="at least one symbol"):
        iws.TickerServer(symbols=[])
    with pytest.raises(RuntimeError, match="not running: call start"):
        iws.TickerServer().url  # noqa: B018
    with pytest.raises(ValueError, match="compression must be 'deflate'"):
        iws.EchoServer(compression="gzip")


def _extensions(url: str) -> str:
    from websockets.sync.client import connect

    with connect(url, proxy=None, open_timeout=T) as ws:
        assert ws.response is not None
        return ws.response.headers.get("Sec-WebSocket-Extensions", "")


def test_ticker_is_uncompressed_unless_asked_the_others_offer_deflate() -> None:
    with iws.TickerServer(rate=10) as plain, iws.TickerServer(rate=10, compression="deflate") as z:
        assert _extensions(plain.url) == ""
        assert "permessage-deflate" in _extensions(z.url)
    with iws.EchoServer() as echo, iws.BroadcastServer(compression=None) as room:
        assert "permessage-deflate" in _extensions(echo.url)
        assert _extensions(room.url) == ""


def test_broadcast_reaches_every_client() -> None:
    with iws.BroadcastServer() as hub:
        alice, bob = iws.WebSocket(hub.url), iws.WebSocket(hub.url)
        try:
            eventually(lambda: hub.clients == 2, what="both clients connected")
            alice.send({"from": "alice"})
            assert bob.recv(timeout=T).json() == {"from": "alice"}
            assert alice.recv(timeout=T).json() == {"from": "alice"}
            hub.broadcast({"from": "server"})
            assert bob.recv(timeout=T).json() == alice.recv(timeout=T).json() == {"from": "server"}
        finally:
            alice.close(widget=True)
            bob.close(widget=True)
        eventually(lambda: hub.clients == 0, what="clients gone after close")


def test_echo_keeps_binary_binary() -> None:
    with iws.EchoServer() as echo:
        ws = iws.WebSocket(echo.url)
        try:
            ws.send(bytes(range(256)))
            msg = ws.recv(timeout=T)
        finally:
            ws.close(widget=True)
    assert msg.kind == "binary" and msg.data == bytes(range(256))


def test_stopping_a_server_closes_clients_with_going_away() -> None:
    echo = iws.EchoServer().start()
    ws = iws.WebSocket(echo.url, reconnect=False)
    try:
        ws.send("x")
        ws.recv(timeout=T)
        echo.stop()
        with pytest.raises(iws.ConnectionClosed) as info:
            ws.recv(timeout=T)
        assert info.value.code == 1001
    finally:
        ws.close(widget=True)


@pytest.mark.parametrize("kind", ["ticker", "echo", "broadcast"])
def test_cli_serve(kind: str) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ipywebsockets",
            "serve",
            kind,
            "--port",
            str(port),
            "--rate",
            "100",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"listening on ws://127.0.0.1:{port}" in line
        ws = iws.WebSocket(f"ws://127.0.0.1:{port}")
        try:
            if kind == "ticker":
                assert ws.recv(timeout=T).json()["type"] == "tick"
            else:
                ws.send("hi")
                assert ws.recv(timeout=T).data == "hi"
        finally:
            ws.close(widget=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=T) == 0


def test_cli_port_in_use_says_so() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "ipywebsockets", "serve", "echo", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=T * 4,
        )
    assert proc.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in proc.stderr


def test_unthrottled_ticker_leaves_room_for_other_servers() -> None:
    with iws.TickerServer(rate=None) as ticker, iws.EchoServer() as echo:
        fast = iws.WebSocket(ticker.url)
        chat = iws.WebSocket(echo.url)
        try:
            # Not recv(): a flood that passes the history before the first read warns.
            eventually(lambda: fast._stream.stats.received > 100, what="the ticker floods")
            chat.send("still answering")
            assert chat.recv(timeout=T).data == "still answering"
            started = time.monotonic()
            fast.close()
            assert fast.status == "closed" and time.monotonic() - started < timeout_s(2)
        finally:
            fast.close(widget=True)
            chat.close(widget=True)


def _handshake(url: str, origin: str | None) -> int:
    """The HTTP status a real client gets, sending ``origin`` as its Origin header (or none)."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    try:
        with connect(url, proxy=None, open_timeout=T, origin=origin) as ws:
            ws.send("hi")
            assert ws.recv(timeout=T) == "hi"
            return 101
    except InvalidStatus as exc:
        body = (exc.response.body or b"").decode()
        assert f"origins=[{origin!r}]" in body, body  # says what to do
        return exc.response.status_code


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        (None, 101),  # not a browser: no Origin
        ("http://127.0.0.1:8888", 101),  # a Jupyter page on this machine
        ("http://localhost:38291", 101),
        ("https://127.0.0.2", 101),
        ("http://[::1]:8888", 101),
        ("https://evil.example", 403),  # any other page open in the browser
        ("http://127.0.0.1.evil.example", 403),
        ("http://localhost.evil.example:8888", 403),
        ("null", 403),  # a sandboxed frame or a file:// page
    ],
)
def test_demo_servers_refuse_cross_site_origins(origin: str | None, status: int) -> None:
    with iws.EchoServer() as echo:
        assert _handshake(echo.url, origin) == status
        assert echo.refused == (status == 403)


def test_demo_servers_take_the_origins_they_are_given() -> None:
    with iws.BroadcastServer(origins=["https://hub.example.org"]) as hub:
        assert _handshake(hub.url, "https://hub.example.org") == 101
        assert _handshake(hub.url, "http://127.0.0.1:8888") == 101  # loopback pages still pass
        assert _handshake(hub.url, "https://evil.example") == 403
    with iws.TickerServer(origins="*") as ticker:
        from websockets.sync.client import connect

        with connect(ticker.url, proxy=None, open_timeout=T, origin="https://any.example") as ws:
            assert json.loads(ws.recv(timeout=T))["type"] == "tick"
    with pytest.raises(TypeError, match=r"use \['https://a.example'\]"):
        iws.EchoServer(origins="https://a.example")
    with pytest.raises(ValueError, match="scheme://host"):
        iws.EchoServer(origins=["hub.example.org"])
    with pytest.raises(ValueError, match="max_size must be a positive int or None"):
        iws.EchoServer(max_size=0)


def test_demo_servers_refuse_messages_over_max_size() -> None:
    with iws.EchoServer() as echo, iws.EchoServer(max_size=None) as unbounded:
        assert echo.max_size == 2**20
        ws = iws.WebSocket(echo.url, reconnect=False, max_size=None)
        big = iws.WebSocket(unbounded.url, reconnect=False, max_size=None)
        try:
            ws.send(b"x" * 2**20)  # exactly the limit passes
            assert ws.recv(timeout=T).size == 2**20
            ws.send(b"x" * (2**20 + 1))
            with pytest.raises(iws.ConnectionClosed) as info:
                ws.recv(timeout=T)
            assert info.value.code == 1009
            big.send(b"y" * (2**21))
            assert big.recv(timeout=T).size == 2**21
        finally:
            ws.close(widget=True)
            big.close(widget=True)


def test_cli_serve_accepts_named_origins_only() -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect as sync_connect

    port = free_port()
    cmd = [sys.executable, "-m", "ipywebsockets", "serve", "echo", "--port", str(port)]
    proc = subprocess.Popen([*cmd, "--origin", "https://app.example"], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and b"listening" in proc.stdout.readline()
        url = f"ws://127.0.0.1:{port}"
        with sync_connect(url, origin="https://app.example", open_timeout=T) as ws:  # type: ignore[arg-type]
            ws.send("hi")
            assert ws.recv(timeout=T) == "hi"
        with pytest.raises(InvalidStatus, match="403"):
            sync_connect(url, origin="https://evil.example", open_timeout=T)  # type: ignore[arg-type]
    finally:
        proc.terminate()
        proc.wait(timeout_s(5))
