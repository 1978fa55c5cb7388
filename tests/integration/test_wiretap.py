"""The wire tap on real connections: handshake bytes, data and control frames, both ways."""

from __future__ import annotations

import http
from collections.abc import Callable

import pytest
from tests.integration.conftest import LocalServer
from websockets.asyncio.server import ServerConnection
from websockets.frames import Frame, Opcode

import ipywebsockets as iws
from ipywebsockets.frames import accept_steps, encode_frame
from ipywebsockets.wiretap import Capture, TappedFrame
from timing import eventually, timeout_s


def kinds(capture: Capture) -> list[tuple[str, str]]:
    return [(f.direction, f.frame.opcode_name) for f in list(capture.frames)]


def wait_frames(capture: Capture, pred: Callable[[list[TappedFrame]], bool], what: str) -> None:
    eventually(lambda: pred(list(capture.frames)), what=f"{what}; frames: {kinds(capture)}")


async def chatty(ws: ServerConnection) -> None:
    """Echo, plus on "frag": a fragmented message; on "ping-me": a ping from the server."""
    async for message in ws:
        if message == "frag":
            await ws.send(["Hel", "lo ", "world"])
        elif message == "ping-me":
            await ws.ping(b"from-server")
        else:
            await ws.send(message)


def test_tap_records_handshake_data_and_control_frames(
    make_server: Callable[..., LocalServer], connect: Callable[..., iws.WebSocket]
) -> None:
    server = make_server(chatty, compression=None)
    ws = connect(server.url + "/chat?token=s3cret", inspect=True)
    ws.send("hello")
    assert ws.recv(timeout=timeout_s(5)).data == "hello"
    capture = ws.inspect().current
    assert capture is not None

    # The handshake: the real request and 101 response, and the Accept computation checks.
    assert capture.request_head is not None and capture.response_head is not None
    assert capture.request_head.startswith(b"GET /chat?token=s3cret HTTP/1.1\r\n")
    assert capture.request_head == ws.handshake.request.serialize()  # type: ignore[union-attr]
    assert capture.response_head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    key = ws.handshake.request.headers["Sec-WebSocket-Key"]  # type: ignore[union-attr]
    accept = ws.handshake.response.headers["Sec-WebSocket-Accept"]  # type: ignore[union-attr]
    assert accept_steps(key).accept == accept
    assert f"Sec-WebSocket-Accept: {accept}".encode() in capture.response_head

    rtt = ws.ping(b"are you there", timeout=5)
    assert 0 < rtt < 5
    ws.send("frag")
    assert ws.recv(timeout=timeout_s(5)).data == "Hello world"
    ws.send("ping-me")
    wait_frames(
        capture,
        lambda fs: any(f.frame.opcode == 0xA and f.direction == "out" for f in fs),
        "the client's automatic pong",
    )
    ws.close(4000, "lesson over")
    wait_frames(capture, lambda fs: sum(f.frame.opcode == 0x8 for f in fs) == 2, "both closes")

    frames = list(capture.frames)
    out = [f for f in frames if f.direction == "out"]
    inn = [f for f in frames if f.direction == "in"]
    assert all(f.frame.masked and f.frame.mask_key for f in out), "client frames are masked"
    assert not any(f.frame.masked for f in inn), "server frames are not masked"
    assert not any(f.problems for f in frames), [f.problems for f in frames if f.problems]

    text_out = out[0].frame
    assert (text_out.opcode_name, text_out.payload, text_out.fin) == ("text", b"hello", True)
    # The bytes on the wire are exactly frames.encode_frame with the key the client drew.
    assert encode_frame(0x1, b"hello", mask_key=text_out.mask_key) == text_out.raw

    ping = next(f for f in out if f.frame.opcode == 0x9)
    pong = next(f for f in inn if f.frame.opcode == 0xA)
    assert ping.frame.payload == pong.frame.payload == b"are you there"

    # websockets sends each piece as a frame, then an empty final continuation.
    first = next(i for i, f in enumerate(inn) if f.frame.payload == b"Hel")
    last = next(i for i, f in enumerate(inn) if i > first and f.frame.fin)
    frag = [f.frame for f in inn[first : last + 1]]
    assert [(f.opcode_name, f.fin) for f in frag] == [("text", False)] + [
        ("continuation", False)
    ] * (len(frag) - 2) + [("continuation", True)]
    assert b"".join(f.payload for f in frag) == b"Hello world"
    server_ping = next(f for f in inn if f.frame.opcode == 0x9)
    auto_pong = next(f for f in out if f.frame.opcode == 0xA)
    assert server_ping.frame.payload == auto_pong.frame.payload == b"from-server"

    close_out = next(f for f in out if f.frame.opcode == 0x8).frame
    close_in = next(f for f in inn if f.frame.opcode == 0x8).frame
    assert close_out.close_code() == (4000, "lesson over") == close_in.close_code()
    # Every byte counted: the heads plus the frames (none evicted here).
    assert capture.bytes_out == len(capture.request_head) + sum(len(f.frame.raw) for f in out)
    assert capture.bytes_in == len(capture.response_head) + sum(len(f.frame.raw) for f in inn)


def test_compressed_frames_show_both_payloads(
    make_server: Callable[..., LocalServer], connect: Callable[..., iws.WebSocket]
) -> None:
    server = make_server(chatty)  # websockets negotiates permessage-deflate by default
    ws = connect(server.url, inspect=True)
    ws.send("hello hello hello hello")
    assert ws.recv(timeout=timeout_s(5)).data == "hello hello hello hello"
    capture = ws.inspect().current
    assert capture is not None
    wait_frames(capture, lambda fs: len(fs) >= 2, "the echo")
    assert capture.compressed
    assert b"permessage-deflate" in (capture.response_head or b"")
    for f in list(capture.frames)[:2]:
        assert f.frame.rsv1, "a compressed message has RSV1 set"
        assert f.data == b"hello hello hello hello"
        assert f.frame.payload != f.data  # the wire carries the deflated bytes
        assert f.problems == ()


def test_refused_handshake_is_captured(
    make_server: Callable[..., LocalServer], connect: Callable[..., iws.WebSocket]
) -> None:
    def refuse(conn: ServerConnection, request: object) -> object:
        return conn.respond(http.HTTPStatus.FORBIDDEN, "origin not allowed\n")

    server = make_server(chatty, process_request=refuse)
    ws = connect(server.url, inspect=True, reconnect=False)
    eventually(lambda: ws.status == "closed" and ws.error, what="the refusal")
    capture = ws.inspect().current
    assert capture is not None and capture.response_head is not None
    assert capture.response_head.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert capture.response_head.endswith(b"origin not allowed\n")
    assert "403" in ws.error


def test_reconnect_is_tapped_too(
    make_server: Callable[..., LocalServer], connect: Callable[..., iws.WebSocket]
) -> None:
    async def drop_first(ws: ServerConnection) -> None:
        if server.connections == 1:
            await ws.close(1012, "restart")
            return
        await chatty(ws)

    server = make_server(drop_first)
    ws = connect(server.url, inspect=True, reconnect=iws.Backoff(initial=0.05, jitter=0))
    eventually(lambda: server.connections == 2 and ws.status == "open", what="the reconnect")
    tap = ws.inspect()
    assert [c.index for c in tap.captures] == [1, 2]
    first = tap.captures[0]
    assert next(f.frame.close_code() for f in first.frames if f.frame.opcode == 0x8) == (
        1012,
        "restart",
    )
    ws.send("again")
    assert ws.recv(timeout=timeout_s(5)).data == "again"
    wait_frames(tap.captures[1], lambda fs: len(fs) >= 2, "frames on the second connection")


def test_untapped_connection_runs_websockets_untouched(
    echo_server: LocalServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(echo_server.url)
    ws.send("x")
    assert ws.recv(timeout=timeout_s(5)).data == "x"
    proto = ws.handshake.protocol  # type: ignore[union-attr]
    assert "data_to_send" not in vars(proto) and "receive_data" not in vars(proto)
    # websockets' own connection, with only its reader changed (direct.py), not the tap's.
    assert type(ws.handshake).__name__ == "DirectConnection"


def test_ping_errors_are_clear(
    echo_server: LocalServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(echo_server.url)
    ws.send("x")
    ws.recv(timeout=timeout_s(5))
    with pytest.raises(ValueError, match="at most 125 bytes"):
        ws.ping(b"x" * 126)
    ws.close()
    with pytest.raises(iws.ConnectionClosed, match="cannot ping"):
        ws.ping()


def test_frame_parsed_by_websockets_matches_tap(
    make_server: Callable[..., LocalServer], connect: Callable[..., iws.WebSocket]
) -> None:
    server = make_server(chatty, compression=None)
    ws = connect(server.url, inspect=True)
    ws.send(b"\x00\x01binary" * 40)  # 320 bytes: the 16-bit length form
    ws.recv(timeout=timeout_s(5))
    capture = ws.inspect().current
    assert capture is not None
    wait_frames(capture, lambda fs: len(fs) >= 2, "the echo")
    sent = next(f.frame for f in capture.frames if f.direction == "out")
    assert sent.length_form == "16-bit"
    again = Frame(Opcode.BINARY, sent.payload).serialize(mask=True)
    assert len(again) == len(sent.raw) and again[:4] == sent.raw[:4]


def test_browser_mode_cannot_ping_or_inspect(connect: Callable[..., iws.WebSocket]) -> None:
    ws = connect("ws://127.0.0.1:9/", mode="browser", connect=False)
    with pytest.raises(ValueError, match=r"ping\(\) needs mode='kernel': browsers answer pings"):
        ws.ping()
    with pytest.raises(ValueError, match=r"inspect\(\) needs mode='kernel': .*DevTools"):
        ws.inspect()
    with pytest.raises(ValueError, match="needs mode='kernel'"):
        iws.Inspector(ws)
