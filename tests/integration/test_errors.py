"""Bad input and failing servers end as a readable status/error, and recv() raises it."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import traitlets
from tests.integration.conftest import LocalServer, LoopThread, echo, free_port
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Response

import ipywebsockets as iws
from timing import eventually, timeout_s

T = timeout_s(5)


def _failed(ws: iws.WebSocket, match: str) -> None:
    with pytest.raises(iws.ConnectionFailed, match=match):
        ws.recv(timeout=T)
    assert ws.status == "closed"
    assert ws.error and ws.error in str(ws._stream._end_exception())
    with pytest.raises(iws.ConnectionFailed, match=match):
        ws.wait_for(lambda m: True, timeout=T)


def test_invalid_url_raises_at_construction() -> None:
    with pytest.raises(
        iws.InvalidURL, match=r"'http://h/x' is not a ws:// or wss:// URL; did you mean ws://h/x"
    ):
        iws.WebSocket("http://h/x")


def test_other_bad_arguments() -> None:
    with pytest.raises(ValueError, match="mode must be 'kernel' or 'browser', not 'tab'"):
        iws.WebSocket("ws://127.0.0.1:1", mode="tab")
    with pytest.raises(ValueError, match="headers= cannot be used with mode='browser'"):
        iws.WebSocket("ws://127.0.0.1:1", mode="browser", headers={"Authorization": "x"})
    with pytest.raises(ValueError, match="ssl= cannot be used with mode='browser'"):
        iws.WebSocket("ws://127.0.0.1:1", mode="browser", ssl=ssl.create_default_context())
    with pytest.raises(iws.InvalidURL, match="not a ws:// or wss:// URL"):
        iws.WebSocket("http://127.0.0.1:1", mode="browser")
    with pytest.raises(
        TypeError, match=r"protocols must be a list of str, not a str: use \['chat'\]"
    ):
        iws.WebSocket("ws://127.0.0.1:1", protocols="chat")
    with pytest.raises(TypeError, match="reconnect must be True, False or a Backoff"):
        iws.WebSocket("ws://127.0.0.1:1", reconnect=3)
    with pytest.raises(ValueError, match="callback_queue must be a positive int, got 0"):
        iws.WebSocket("ws://127.0.0.1:1", callback_queue=0)
    with pytest.raises(ValueError, match="history must keep at least 1 message"):
        iws.WebSocket("ws://127.0.0.1:1", history=0)
    with pytest.raises(traitlets.TraitError, match="max_fps must be between 1 and 120, got 0"):
        iws.WebSocket("ws://127.0.0.1:1", max_fps=0, connect=False)
    ws = iws.WebSocket("ws://127.0.0.1:1", connect=False)
    with pytest.raises(traitlets.TraitError, match="view_rows must be between 1 and 1000000"):
        ws.view_rows = 2_000_000


def test_refused_port(connect: Callable[..., iws.WebSocket]) -> None:
    ws = connect(f"ws://127.0.0.1:{free_port()}")
    _failed(ws, r"connection refused by 127\.0\.0\.1:\d+: no server listens there")


def test_unknown_host(connect: Callable[..., iws.WebSocket]) -> None:
    ws = connect("ws://no-such-host.invalid/")
    _failed(ws, r"unknown host 'no-such-host.invalid'")


@pytest.mark.parametrize(
    ("status", "hint"),
    [(403, "refused this client"), (404, "no WebSocket endpoint at this path")],
)
def test_http_error_on_upgrade(
    connect: Callable[..., iws.WebSocket],
    make_server: Callable[..., LocalServer],
    status: int,
    hint: str,
) -> None:
    def refuse(connection: Any, request: Any) -> Response:
        return connection.respond(status, "go away\n")

    server = make_server(echo, process_request=refuse)
    ws = connect(server.url + "/feed")
    _failed(
        ws,
        rf"the server answered HTTP {status} \w+.* instead of switching to WebSocket "
        rf"\(go away\); .*{hint}",
    )


def test_tls_certificate_not_trusted(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer], tmp_path: Path
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = make_server(echo, ssl=context)
    ws = connect(f"wss://127.0.0.1:{server.port}")
    _failed(
        ws, r"TLS handshake with 127\.0\.0\.1:\d+ failed: .*certificate.*; check the certificate"
    )

    # and with a context that trusts it, the same server works
    trusting = ssl.create_default_context(cafile=str(cert))
    trusting.check_hostname = False
    ok = connect(f"wss://127.0.0.1:{server.port}", ssl=trusting)
    ok.send("over tls")
    assert ok.recv(timeout=T).data == "over tls"


def test_server_rejects_the_subprotocol(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    server = make_server(echo, subprotocols=["v2.chat"])
    ws = connect(server.url, protocols=["v1.chat"])
    _failed(ws, r"HTTP 400 .*invalid subprotocol")

    ok = connect(server.url, protocols=["v1.chat", "v2.chat"])
    ok.send("x")
    ok.recv(timeout=T)
    assert ok.subprotocol == "v2.chat"


def test_server_ignores_the_subprotocol(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url, protocols=["chat"])
    _failed(ws, r"the server accepted none of the subprotocols \['chat'\]")
    # The client closes with 1002 and says why; the server records it once its handler ends.
    eventually(
        lambda: echo_server.closes == [(1002, "no subprotocol")],
        what=lambda: f"the server sees close 1002; it saw {echo_server.closes}",
    )
    assert ws.close_code == 1002


def test_message_over_max_size_closes_with_1009(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    async def big(ws: ServerConnection) -> None:
        await ws.send("small")
        await ws.send("x" * 2000)
        await ws.wait_closed()

    server = make_server(big)
    ws = connect(server.url, max_size=1000)
    assert ws.recv(timeout=T).data == "small"
    with pytest.raises(
        iws.ConnectionClosed, match=r"1009 \(message too big\).*larger than max_size=1000 bytes"
    ):
        ws.recv(timeout=T)
    assert ws.close_code == 1009 and "max_size=1000" in ws.error
    assert ws.reconnects == 0  # a 1009 would only repeat: no reconnect


def test_send_view_message_with_bad_json_answers_the_view(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    answers: list[dict[str, Any]] = []
    ws._sync.send = answers.append  # type: ignore[method-assign,assignment]
    ws._handle_custom_msg({"type": "send", "id": 7, "format": "json", "data": "{nope"}, [])
    ws._handle_custom_msg({"type": "send", "id": 8, "format": "json", "data": '{"a": 1}'}, [])
    assert answers[0]["id"] == 7 and answers[0]["error"].startswith("not valid JSON")
    assert answers[1] == {"type": "send_result", "id": 8, "error": None}
    assert ws.recv(timeout=T).data == '{"a":1}'


def test_keepalive_detects_a_silent_server(
    connect: Callable[..., iws.WebSocket], loop_thread: LoopThread
) -> None:
    """A server that completes the handshake and then never answers pings is dropped."""
    from websockets.server import ServerProtocol

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        protocol = ServerProtocol()
        events: list[Any] = []
        while not events:
            protocol.receive_data(await reader.read(4096))
            events = protocol.events_received()
        protocol.send_response(protocol.accept(events[0]))
        writer.write(b"".join(protocol.data_to_send()))
        await done.wait()  # reads nothing more meanwhile: no pong ever comes back
        writer.close()

    done = asyncio.Event()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(silent, "127.0.0.1", 0)

    server = loop_thread.run(start())
    port = server.sockets[0].getsockname()[1]
    try:
        ws = connect(
            f"ws://127.0.0.1:{port}",
            ping_interval=0.2,
            ping_timeout=0.3,
            close_timeout=0.5,
            reconnect=False,
        )
        with pytest.raises(
            iws.ConnectionClosed, match=r"did not answer pings within ping_timeout=0\.3 s"
        ):
            ws.recv(timeout=T)
        assert ws.close_code == 1011
    finally:

        async def shutdown() -> None:
            done.set()
            server.close()
            await server.wait_closed()
            await asyncio.sleep(0.05)  # let the handler close its transport

        loop_thread.run(shutdown())


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda ws: iws.WebSocket("ws://127.0.0.1:9", histroy=5, connect=False),
         r"WebSocket\(\) got an unexpected keyword argument 'histroy'; did you mean 'history'\?"),
        (lambda ws: iws.Chart(ws, "price", windw=5),
         r"Chart\(\) got an unexpected keyword argument 'windw'; did you mean 'window'\?"),
        (lambda ws: iws.Values(ws, bye="symbol"), r"did you mean 'by'\?"),
        (lambda ws: iws.Log(ws, zzz=1), r"Log\(\) got an unexpected keyword argument 'zzz'$"),
    ],
)  # fmt: skip
def test_a_misspelled_keyword_is_refused_not_ignored(make: Any, expected: str) -> None:
    ws = iws.WebSocket("ws://127.0.0.1:9", connect=False)
    try:
        with pytest.raises(TypeError, match=expected):
            make(ws)
    finally:
        ws.close(widget=True)
