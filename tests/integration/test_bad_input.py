"""The bad-input suite: one table per kind of input, each row a case that must fail well.

Every row asserts the exception type, that its message names the problem and
what to do, a time bound, and that the stream and its counters go on (or, for
what ends a connection, that what came before is intact). Servers are real
websockets servers on 127.0.0.1 that send exactly the bytes a row needs.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.integration.conftest import LocalServer, LoopThread, echo, free_port
from websockets.asyncio.server import ServerConnection

import ipywebsockets as iws
from ipywebsockets._jupyter.rows import wire_rows
from timing import eventually, timeout_s

T = timeout_s(5)


class Within:
    """``with Within(2):`` fails the test if the block took longer than 2 (scaled) seconds."""

    def __init__(self, seconds: float) -> None:
        self.limit = timeout_s(seconds)

    def __enter__(self) -> Within:
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        took = time.monotonic() - self.start
        assert took <= self.limit, f"took {took:.2f} s, more than {self.limit:.2f} s"


# -- URLs and arguments: refused at construction, at once ----------------------------------

URLS = [
    ("http://h/x", iws.InvalidURL, r"not a ws:// or wss:// URL; did you mean ws://h/x"),
    ("https://h/x", iws.InvalidURL, r"did you mean wss://h/x"),
    ("ftp://h/x", iws.InvalidURL, r"not a ws:// or wss:// URL"),
    ("ws://", iws.InvalidURL, r"has no host; write it as ws://HOST\[:PORT\]/PATH"),
    ("ws://h:99999/", iws.InvalidURL, r"has an invalid port"),
    ("ws://h:port/", iws.InvalidURL, r"has an invalid port"),
    ("h:8000", iws.InvalidURL, r"not a ws:// or wss:// URL"),
    (42, iws.InvalidURL, r"the URL must be a str, got int"),
]


@pytest.mark.parametrize(("url", "error", "says"), URLS, ids=[str(u) for u, _, _ in URLS])
def test_bad_urls_are_refused_at_construction(url: Any, error: type, says: str) -> None:
    with Within(0.5), pytest.raises(error, match=says):
        iws.WebSocket(url)


# -- servers that fail the opening handshake ------------------------------------------------


@pytest.fixture
def silent_port(loop_thread: LoopThread) -> Iterator[int]:
    """A TCP server that accepts and never answers: the handshake hangs until open_timeout."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    async def start() -> asyncio.Server:
        return await asyncio.start_server(hold, "127.0.0.1", 0)

    server = loop_thread.run(start())
    yield server.sockets[0].getsockname()[1]

    async def stop() -> None:
        for writer in held:
            writer.close()
        server.close()

    loop_thread.run(stop())


def _refusing(status: int) -> Callable[[Any, Any], Any]:
    return lambda connection, request: connection.respond(status, "go away\n")


HANDSHAKES = [
    ("refused", None, r"connection refused by 127\.0\.0\.1:\d+: no server listens there; check"),
    (403, _refusing(403), r"HTTP 403 Forbidden instead of switching .* check credentials"),
    (
        404,
        _refusing(404),
        r"HTTP 404 Not Found .*no WebSocket endpoint at this path: check the URL",
    ),
    (500, _refusing(500), r"HTTP 500 Internal Server Error .*check the URL and the server"),
    ("silent", None, r"no answer from 127\.0\.0\.1:\d+ within open_timeout=0\.5 s"),
]


@pytest.mark.parametrize(
    ("case", "refuse", "says"), HANDSHAKES, ids=[str(c[0]) for c in HANDSHAKES]
)
def test_failed_handshakes_end_in_a_readable_error(
    connect: Callable[..., iws.WebSocket],
    make_server: Callable[..., LocalServer],
    silent_port: int,
    case: Any,
    refuse: Any,
    says: str,
) -> None:
    if case == "refused":
        url = f"ws://127.0.0.1:{free_port()}"
    elif case == "silent":
        url = f"ws://127.0.0.1:{silent_port}"
    else:
        url = make_server(echo, process_request=refuse).url
    with Within(3):
        ws = connect(url, open_timeout=0.5)
        with pytest.raises(iws.ConnectionFailed, match=says):
            ws.recv(timeout=T)
    assert ws.status == "closed"
    assert ws.received == 0
    with pytest.raises(iws.ConnectionClosed, match="call connect"):
        ws.send("x")


# -- what a server sends -----------------------------------------------------------------------

DEEP = "[" * 3000 + "]" * 3000
HUGE_INT = "1" * 5000
MANY_FIELDS = json.dumps({f"k{i}": i for i in range(100_000)})


async def scripted(ws: ServerConnection) -> None:
    """Answers each command with the payload a row needs, then ``"ok"``."""
    async for command in ws:
        if command == "deep":
            await ws.send(DEEP)
        elif command == "nan":
            await ws.send('{"x": NaN}')
        elif command == "huge-int":
            await ws.send(HUGE_INT)
        elif command == "many-fields":
            await ws.send(MANY_FIELDS)
        elif command == "bad-utf8":
            await ws.send(b"\xff\xfe bad", text=True)
            continue
        elif command.startswith("close "):
            code, _, reason = command[6:].partition(" ")
            await ws.close(int(code), reason)
            return
        await ws.send("ok")


@pytest.fixture
def feed(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> iws.WebSocket:
    ws = connect(make_server(scripted).url, max_size=None, reconnect=False)
    return ws


def _ask(ws: iws.WebSocket, command: str) -> iws.Message:
    ws.send(command)
    return ws.recv(timeout=T)


def _goes_on(ws: iws.WebSocket, received: int) -> None:
    """The stream goes on: the next message arrives, counted."""
    assert ws.recv(timeout=T).data == "ok"
    assert ws._stream.stats.received == received + 2


DECODING = [
    (
        "deep",
        ValueError,
        r"message #\d+ .* is not JSON: nested too deeply .*read it with .text\(\)",
    ),
    ("huge-int", ValueError, r"message #\d+ .* is not JSON: Exceeds the limit \(4300 digits\)"),
]


@pytest.mark.parametrize(("command", "error", "says"), DECODING, ids=[c for c, _, _ in DECODING])
def test_undecodable_json_is_text_that_says_why(
    feed: iws.WebSocket, command: str, error: type, says: str
) -> None:
    received = feed._stream.stats.received
    with Within(2):
        msg = _ask(feed, command)
        with pytest.raises(error, match=says):
            msg.json()
        assert msg.value() == msg.data  # not JSON: its text
        text, is_json = wire_rows([msg])["text"][0], False
        assert text.startswith(msg.data[:20]) and not is_json
        assert msg in feed.messages
    _goes_on(feed, received)
    # The publisher shows it too (last_value, the persisted rows) and keeps going.
    eventually(lambda: feed.last_value == "ok", what="last_value after the bad message")


def test_nan_is_python_json_but_not_strict(feed: iws.WebSocket) -> None:
    received = feed._stream.stats.received
    msg = _ask(feed, "nan")
    assert math.isnan(msg.json()["x"])  # what json.loads reads
    assert msg.value() == '{"x": NaN}'  # not strict JSON: travels to the page as text
    _goes_on(feed, received)


def test_a_message_with_100_000_fields(feed: iws.WebSocket) -> None:
    values = iws.Values(feed)
    received = feed._stream.stats.received
    with Within(10):
        msg = _ask(feed, "many-fields")
        assert len(msg.json()) == 100_000
        text = wire_rows([msg])["text"][0]
        assert len(text) < 600 and "chars)" in text  # the preview is cut, and says by how much
    _goes_on(feed, received)
    eventually(lambda: values.overflow > 0, what="Values counts the paths it does not show")
    assert len(values._latest.fields) == values._latest.limit


def test_invalid_utf8_text_closes_with_1007_and_keeps_what_came(feed: iws.WebSocket) -> None:
    assert _ask(feed, "deep").size == len(DEEP)
    assert feed.recv(timeout=T).data == "ok"
    with Within(3):
        feed.send("bad-utf8")
        with pytest.raises(iws.ConnectionClosed, match=r"1007"):
            feed.recv(timeout=T)
    assert feed.close_code == 1007
    assert feed.received == 2 and feed.messages[1].size == len(DEEP)


SERVER_CLOSES = [
    ("4000 app-says-bye", 4000, "app-says-bye"),
    ("3999 x", 3999, "x"),
    ("1011 oops", 1011, "oops"),
    ("1003 no-binary", 1003, "no-binary"),
]


@pytest.mark.parametrize(
    ("command", "code", "reason"), SERVER_CLOSES, ids=[c[0] for c in SERVER_CLOSES]
)
def test_odd_close_codes_from_the_server(
    feed: iws.WebSocket, command: str, code: int, reason: str
) -> None:
    assert _ask(feed, "nan").data
    assert feed.recv(timeout=T).data == "ok"
    feed.send(f"close {command}")
    with Within(3), pytest.raises(iws.ConnectionClosed, match=rf"{code}.*{reason}"):
        feed.recv(timeout=T)
    eventually(lambda: feed.close_code == code and feed.close_reason == reason)
    assert feed.received == 2


# -- what the user passes ----------------------------------------------------------------------

CLOSES = [
    (1005, "", r"cannot close with code 1005: 1005 \(no status received\) only reports"),
    (1006, "", r"1006 \(abnormal closure\) only reports what happened; send 1000"),
    (1015, "", r"1015 \(TLS handshake failure\) only reports"),
    (999, "", r"cannot close with code 999: 999 is reserved; send 1000"),
    (1004, "", r"1004 is reserved"),
    (2999, "", r"2999 is reserved"),
    (5000, "", r"5000 is reserved"),
    (1000, "x" * 124, r"the close reason is 124 bytes of UTF-8 \(124 characters\); .* at most 123"),
    (1000, "é" * 62, r"124 bytes of UTF-8 \(62 characters\)"),
    (1000, "bad\ud800", r"cannot be encoded as UTF-8 .*remove the lone surrogate"),
    ("1000", "", r"the close code must be an int, got str"),
]


@pytest.mark.parametrize(
    ("code", "reason", "says"), CLOSES, ids=[f"{c}-{len(r)}" for c, r, _ in CLOSES]
)
def test_close_arguments_are_checked_before_anything_changes(
    connect: Callable[..., iws.WebSocket],
    echo_server: LocalServer,
    code: Any,
    reason: str,
    says: str,
) -> None:
    ws = connect(echo_server.url)
    ws.send("before")
    assert ws.recv(timeout=T).data == "before"
    with Within(0.5), pytest.raises(ValueError, match=says):
        ws.close(code, reason)
    assert ws._transport.status == "open"  # nothing changed: still open, still streaming
    ws.send("after")
    assert ws.recv(timeout=T).data == "after"
    ws.close(1000, "é" * 61)  # 122 bytes: fits
    eventually(lambda: echo_server.closes == [(1000, "é" * 61)], what="the server saw the close")


SENDS = [
    ("x\ud800", ValueError, r"'\\ud800' at index 1 is a lone surrogate, .*send it as JSON"),
    ("\udfff", ValueError, r"index 0 is a lone surrogate"),
    (object(), TypeError, r"cannot send a object: send\(\) takes str \(text\), bytes"),
    ({"a": object()}, TypeError, r"cannot send dict as JSON: .*convert it to str, bytes"),
    ({"a": math.nan}, TypeError, r"cannot send dict as JSON: Out of range float values"),
    ([1, {2, 3}], TypeError, r"cannot send list as JSON"),
]


@pytest.mark.parametrize(("data", "error", "says"), SENDS, ids=[repr(s)[:20] for s, _, _ in SENDS])
def test_unsendable_data_is_refused_and_never_queued(
    connect: Callable[..., iws.WebSocket],
    echo_server: LocalServer,
    data: Any,
    error: type,
    says: str,
) -> None:
    ws = connect(echo_server.url, connect=False)
    with Within(0.5), pytest.raises(error, match=says):
        ws.connect().send(data)
    # Not queued: the next send is the first to arrive, on this connection and every later one.
    ws.send({"fine": "\ud800"})  # JSON escapes a lone surrogate: sendable
    assert ws.recv(timeout=T).data == '{"fine":"\\ud800"}'
    assert ws._stream.stats.sent == 1 and ws.unsent == 0


def test_the_composer_says_why_text_cannot_be_sent(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    composer = iws.Composer(ws)
    replies: list[dict[str, Any]] = []
    composer._send_view = lambda content, buffers=None: replies.append(content)
    request = {"type": "send", "id": 1, "format": "text", "data": "a\ud800"}  # JS strings can
    composer._on_custom(composer, request, [])
    assert replies[0]["id"] == 1 and "is a lone surrogate" in replies[0]["error"]
    ws.send("next")
    assert ws.recv(timeout=T).data == "next"
    assert ws._stream.stats.sent == 1 and ws.unsent == 0
