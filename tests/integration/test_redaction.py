"""Secrets stay in the kernel: every text that leaves it is redacted (docs/secrets.md).

Real servers on 127.0.0.1 and real connections; the browser's reports are fed
to the real browser link as the page sends them.
"""

from __future__ import annotations

import http
import logging
import os
from collections.abc import Callable
from typing import Any

import pytest
from tests.integration.conftest import LocalServer, echo
from websockets.asyncio.server import ServerConnection

import ipywebsockets as iws
from ipywebsockets.teaching._base import REDACTED
from timing import eventually, timeout_s


def test_an_invalid_url_error_hides_the_token(
    echo_server: LocalServer, connect: Callable[..., iws.WebSocket]
) -> None:
    # websockets refuses a username without a password (InvalidURI), quoting the URL.
    host = echo_server.url.split("://")[1]
    ws = connect(f"ws://TOKEN7x9Q@{host}/feed?jwt=J7x9Q&depth=5", reconnect=False)
    eventually(lambda: ws.status == "closed" and ws.error, what="the connection failed")
    assert "invalid URL" in ws.error
    with pytest.raises(iws.ConnectionFailed) as failed:
        ws.recv(timeout=timeout_s(5))
    texts = [ws.error, str(failed.value), ws.url, repr(ws), repr(ws.get_state())]
    for text in texts:
        assert "TOKEN7x9Q" not in text and "J7x9Q" not in text, text
    assert f"ws://***@{host}/feed?jwt=***&depth=5" in ws.error


def test_a_refusal_that_echoes_the_token_is_redacted(
    make_server: Callable[..., LocalServer], connect: Callable[..., iws.WebSocket]
) -> None:
    def refuse(conn: ServerConnection, request: Any) -> Any:
        url = f"ws://127.0.0.1{request.path}"
        return conn.respond(http.HTTPStatus.FORBIDDEN, f"no access for {url}\n")

    server = make_server(echo, process_request=refuse)
    ws = connect(server.url + "/feed?access_token=AT5x1q", reconnect=False)
    eventually(lambda: ws.status == "closed" and ws.error, what="the refusal")
    assert "HTTP 403" in ws.error and "access_token=***" in ws.error, ws.error
    assert "AT5x1q" not in ws.error


def test_websockets_log_records_are_redacted(
    echo_server: LocalServer,
    connect: Callable[..., iws.WebSocket],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="ipywebsockets.wire")
    ws = connect(
        echo_server.url + "/room?token=TK4x2z",
        headers={"Authorization": "Bearer AB4x2z"},
        protocols=[],
    )
    ws.send("hi")
    assert ws.recv(timeout=timeout_s(5)).data == "hi"
    wire = [r for r in caplog.records if r.name == "ipywebsockets.wire"]
    text = "\n".join(r.getMessage() for r in wire)
    assert "> GET /room?token=*** HTTP/1.1" in text, text
    assert "> Authorization: ***" in text
    assert "TK4x2z" not in caplog.text and "AB4x2z" not in caplog.text


def test_handshake_view_redacts_subprotocols(
    make_server: Callable[..., LocalServer], connect: Callable[..., iws.WebSocket]
) -> None:
    server = make_server(echo, subprotocols=["chat"])
    ws = connect(server.url, protocols=["chat", "bearer.SP3x8k"], inspect=True)
    view = iws.Handshake(ws)
    eventually(lambda: view.state == "open" and ws.subprotocol == "chat", what="chat agreed")
    request = dict(map(tuple, view.request_headers))
    response = dict(map(tuple, view.response_headers))
    assert request["Sec-WebSocket-Protocol"] == REDACTED
    assert response["Sec-WebSocket-Protocol"] == REDACTED
    assert view.subprotocol == REDACTED and "Sec-WebSocket-Protocol" in view.redacted
    assert "SP3x8k" not in repr(view.get_state())
    assert view.accept["ok"] is True  # the nonces stay: the Accept check still shows


def test_an_error_the_browser_reports_is_redacted_on_receipt() -> None:
    ws = iws.WebSocket("wss://feed.example/x?token=BR6x2k", mode="browser")
    try:
        link = ws._transport
        # A front end owns the socket once it brought its key (the URL travels sealed).
        link.handle({"type": "hello", "client": "fe-1", "key": 0}, [os.urandom(8192)])
        eventually(lambda: link.has_owner, what="the front end owns the socket")
        page_error = (
            "Failed to construct 'WebSocket': The URL 'wss://feed.example/x?token=BR6x2k' "
            "is invalid."
        )
        batch = {
            "type": "batch",
            "client": "fe-1",
            "gen": link._gen,
            "first": 1,
            "running": False,
            "status": "closed",
            "error": page_error,
            "events": [
                {"e": "status", "status": "connecting", "error": page_error},
                {"e": "closed", "code": None, "reason": "", "error": page_error},
            ],
        }
        link.handle(batch, [])
        eventually(lambda: ws.status == "closed" and ws.error, what="the page's report applied")
        assert "The URL 'wss://feed.example/x?token=***' is invalid" in ws.error, ws.error
        assert "BR6x2k" not in ws.error and "BR6x2k" not in repr(ws.get_state())
    finally:
        ws.close(widget=True)


@pytest.mark.parametrize("persist_sent", [False, True])
def test_persisted_keeps_sent_messages_only_when_asked(
    connect: Callable[..., iws.WebSocket],
    make_server: Callable[..., LocalServer],
    persist_sent: bool,
) -> None:
    ws = connect(make_server(echo).url, persist=4, persist_sent=persist_sent)
    for i in range(3):
        ws.send(f"login-key-{i}")
        assert ws.recv(timeout=timeout_s(5)).data == f"login-key-{i}"
    expected = ["out", "in", "out", "in"] if persist_sent else ["in", "in", "in"]

    def directions() -> list[str]:
        ws.messages  # noqa: B018 - brings the traits up to date
        return [r["dir"] for r in ws.persisted]

    eventually(lambda: directions() == expected, what=lambda: f"persisted {directions()}")
    texts = [r["text"] for r in ws.persisted]
    assert ("login-key-2" in texts) and (texts.count("login-key-2") == (2 if persist_sent else 1))


def test_a_token_passed_as_the_subprotocol_is_not_saved(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    token = "base64url.bearer.authorization.k8s.io.ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNkltWm9kR"
    server = make_server(echo, subprotocols=[token])
    ws = connect(server.url, protocols=[token])
    eventually(lambda: ws.subprotocol, what="the subprotocol trait")
    assert ws.subprotocol == "base64url.bearer.authorization.k8s.io.***"
    assert ws.handshake is not None and ws.handshake.subprotocol == token  # the kernel keeps it
