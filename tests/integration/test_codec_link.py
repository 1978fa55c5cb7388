"""The codec seam (codec_link.py) with a small line protocol, against a real server.

The codec here is a test's own (LineCodec: ``login`` -> ``ok``, ``sub`` per
topic, ``msg`` lines as messages); what is tested is the link around it: the
stream holds application messages only, the handshake and resubscriptions
precede what was sent while away, a failure closes (and reconnects only when it
may), problems show in ``error``, keepalive ticks arrive, the Inspector shows
each frame's packet with the codec's secrets masked.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import traitlets
from tests.integration.conftest import LocalServer
from websockets.asyncio.server import ServerConnection

import ipywebsockets as iws
from ipywebsockets.feeds._base import ProtocolSocket
from ipywebsockets.frames import decode_frame, encode_frame
from ipywebsockets.protocols.base import Codec, parse_sent
from ipywebsockets.teaching.inspector import frame_info, protocol_fields
from timing import eventually, timeout_s

T = timeout_s(5)
FAST = iws.Backoff(initial=0.05, max_delay=0.2)
SECRET = "s3cret-pass"


class LineCodec(Codec):
    """login <password> -> ok; sub <topic> per topic; msg <text> in; say <text> out."""

    name = "line"

    def __init__(self, topics: list[str], password: str = SECRET, ack_within: float = 0) -> None:
        super().__init__()
        self.topics = list(topics)
        self.password = password
        self.secrets = (password.encode(),)
        self.ack_within = ack_within
        self.ticks = 0
        self._since = 0.0

    def connected(self, subprotocol: str, now: float) -> None:
        self._since = now
        self._write(f"login {self.password}")

    def receive(self, data: str | bytes, now: float) -> None:
        text = data if isinstance(data, str) else data.decode()
        if text == "ok":
            for topic in self.topics:
                self._write(f"sub {topic}")
            self._ready()
        elif text == "denied":
            self._fail(1008, "denied", "the server refused the password; pass another")
        elif text.startswith("msg "):
            self._deliver({"text": text[4:]})
        elif text == "ping":
            self._write("pong")
        else:
            self._problem(f"an unknown line {text!r}")

    def closing(self) -> None:
        if self.ready:
            self._write("bye")

    def tick(self, now: float) -> None:
        self.ticks += 1
        if not self.ready and self.ack_within and now - self._since > self.ack_within:
            self._fail(1002, "no ack", "no ok within the time; retrying", retry=True)

    def send(self, payload: str | bytes) -> None:
        value = parse_sent(payload, 'a {"text": ...} object')
        if not isinstance(value, dict) or not isinstance(value.get("text"), str):
            raise TypeError('this socket sends {"text": str} objects')
        self._write_app(f"say {value['text']}")

    def subscribe(self, topic: str) -> None:
        self.topics.append(topic)
        if self.ready:
            self._write(f"sub {topic}")

    def outgoing(self, data: str | bytes) -> str | None:
        text = data if isinstance(data, str) else data.decode()
        return json.dumps({"text": text[4:]}) if text.startswith("say ") else None

    def describe(self, data: str | bytes) -> str:
        text = data if isinstance(data, str) else data.decode()
        return "LINE " + text.replace(self.password, "***")


class LineServer:
    """The server side; ``lines`` is everything each connection received, in order."""

    def __init__(self, ack_delay: float = 0.0, password: str = SECRET) -> None:
        self.lines: list[list[str]] = []
        self.ack_delay = ack_delay
        self.password = password
        self.drop_first = False
        self.silent = False

    async def __call__(self, ws: ServerConnection) -> None:
        seen: list[str] = []
        self.lines.append(seen)
        async for message in ws:
            assert isinstance(message, str)
            seen.append(message)
            if message.startswith("login "):
                if self.silent:
                    continue
                if message != f"login {self.password}":
                    await ws.send("denied")
                    continue
                await asyncio.sleep(self.ack_delay)
                await ws.send("ok")
            elif message.startswith("sub "):
                await ws.send(f"msg subscribed {message[4:]}")
                if self.drop_first and len(self.lines) == 1:
                    ws.transport.close()  # the client sees 1006 and reconnects
                    return
            elif message.startswith("say "):
                await ws.send(f"msg echo {message[4:]}")
            elif message == "noise":
                await ws.send("what?")


@pytest.fixture
def line(make_server: Callable[..., LocalServer]) -> Iterator[Callable[..., Any]]:
    """``line(server)``: start ``server``; return (its LocalServer, make(codec, **kw))."""
    made: list[ProtocolSocket] = []

    def start(server: LineServer) -> tuple[LocalServer, Callable[..., ProtocolSocket]]:
        local = make_server(server)

        def make(codec: Codec, **kw: Any) -> ProtocolSocket:
            kw.setdefault("reconnect", FAST)
            sock = ProtocolSocket(local.url, codec, **kw)
            made.append(sock)
            return sock

        return local, make

    yield start
    for sock in made:
        sock.close(widget=True)


def test_the_stream_holds_application_messages_only(line: Callable[..., Any]) -> None:
    server = LineServer()
    _, make = line(server)
    sock = make(LineCodec(["a"]))
    assert sock.recv(timeout=T).json() == {"text": "subscribed a"}
    sock.send({"text": "hi"})
    assert sock.recv(timeout=T).json() == {"text": "echo hi"}
    assert server.lines[0] == [f"login {SECRET}", "sub a", "say hi"]
    assert [(m.direction, m.json()) for m in sock.messages] == [
        ("in", {"text": "subscribed a"}),
        ("out", {"text": "hi"}),
        ("in", {"text": "echo hi"}),
    ]
    eventually(
        lambda: (sock.received, sock.sent) == (2, 1), what="counters of messages, not frames"
    )
    with pytest.raises(TypeError, match=r'\{"text": str\}'):
        sock.send([1, 2])


def test_what_is_sent_before_the_handshake_waits_behind_it(line: Callable[..., Any]) -> None:
    server = LineServer(ack_delay=0.3)
    _, make = line(server)
    sock = make(LineCodec(["a", "b"]))
    sock.send({"text": "early"})  # the server has not said ok yet
    assert sock.codec.held == 1
    eventually(lambda: sock.received == 3, what="two subscriptions and the echo")
    assert server.lines[0] == [f"login {SECRET}", "sub a", "sub b", "say early"]


def test_a_reconnect_logs_in_and_subscribes_again_before_what_waited(
    line: Callable[..., Any],
) -> None:
    server = LineServer()
    server.drop_first = True
    _, make = line(server)
    sock = make(LineCodec(["a"]))
    eventually(lambda: len(server.lines) == 2, what="a second connection")
    sock.send({"text": "after"})
    eventually(lambda: any(m.json() == {"text": "echo after"} for m in sock.messages))
    assert server.lines[1][:2] == [f"login {SECRET}", "sub a"]
    assert sock.reconnects == 1
    assert sock.unsent == 0


def test_a_failure_without_retry_ends_the_socket_with_the_codec_s_words(
    line: Callable[..., Any],
) -> None:
    server = LineServer(password="other")
    local, make = line(server)
    sock = make(LineCodec(["a"]))
    eventually(lambda: sock.status == "closed", what="the socket gives up")
    assert "line: the server refused the password" in sock.error
    assert sock.close_code == 1008
    assert local.connections == 1
    assert SECRET not in sock.error


def test_a_failure_that_may_be_retried_reconnects(line: Callable[..., Any]) -> None:
    server = LineServer()
    server.silent = True  # never says ok
    _, make = line(server)
    sock = make(LineCodec(["a"], ack_within=0.2))
    eventually(lambda: len(server.lines) >= 2, within=15, what="a reconnect after the fail")
    eventually(lambda: "no ok within the time" in sock.error, what="the codec's reason shown")


def test_a_problem_is_shown_and_the_connection_stays(line: Callable[..., Any]) -> None:
    server = LineServer()
    _, make = line(server)
    sock = make(LineCodec(["a"]))
    sock.recv(timeout=T)
    sock.codec  # noqa: B018
    sock.send({"text": "x"})
    sock.recv(timeout=T)
    sock._apply(lambda c: c._write("noise"))
    eventually(lambda: "line: an unknown line 'what?'" in sock.error)
    assert sock.status == "open"


def test_ticks_reach_the_codec_and_subscribing_later_reaches_the_server(
    line: Callable[..., Any],
) -> None:
    server = LineServer()
    _, make = line(server)
    codec = LineCodec(["a"])
    sock = make(codec)
    sock.recv(timeout=T)
    eventually(lambda: codec.ticks >= 2, within=15, what="about one tick a second")
    sock._apply(lambda c: c.subscribe("b"), sends=False)
    assert sock.recv(timeout=T).json() == {"text": "subscribed b"}


def test_a_closed_protocol_socket_said_goodbye_and_refuses_sends(
    line: Callable[..., Any],
) -> None:
    server = LineServer()
    local, make = line(server)
    sock = make(LineCodec(["a"]))
    sock.recv(timeout=T)
    sock.send({"text": "last"})
    sock.recv(timeout=T)  # its echo: the server's handler is not sending when the close comes
    sock.close(4001, "done")
    eventually(lambda: local.closes == [(4001, "done")], what="the server saw the close")
    assert server.lines[0][-2:] == ["say last", "bye"]  # what was sent, then the goodbye
    with pytest.raises(iws.ConnectionClosed, match="connect"):
        sock.send({"text": "late"})


def test_protocol_sockets_are_kernel_mode_only(line: Callable[..., Any]) -> None:
    _, make = line(LineServer())
    with pytest.raises(ValueError, match="runs its protocol in the kernel"):
        make(LineCodec([]), mode="browser")
    with pytest.raises(TypeError, match="protocols= is set by the line socket"):
        make(LineCodec([]), protocols=["x"])


def test_the_inspector_shows_packets_and_masks_secrets(line: Callable[..., Any]) -> None:
    _, make = line(LineServer())
    sock = make(LineCodec(["a"]), inspect=True)
    inspector = iws.Inspector(sock)
    sock.recv(timeout=T)
    eventually(lambda: len(inspector.frames) >= 3, what="login, ok, sub frames")
    fragments: dict[str, list[bytes]] = {"out": [], "in": []}
    infos = [inspector._info(f, fragments, sock.codec) for f in inspector.frames]
    login = next(i for i in infos if i["dir"] == "out" and "login" in i["packet"])
    assert login["packet"] == "LINE login ***"
    assert SECRET not in json.dumps(login)
    assert login.get("inflated", login["text"]) == "login ***"  # permessage-deflate: inflated
    assert any(i.get("packet") == "LINE msg subscribed a" for i in infos)
    inspector.close()


def test_secrets_are_masked_in_the_bytes_of_an_uncompressed_frame() -> None:
    frame = decode_frame(encode_frame(0x1, f"login {SECRET}".encode(), mask_key=b"abcd"))
    info = frame_info(frame)
    protocol_fields(info, frame.payload, frame.payload, frame.payload, LineCodec([]))
    secret_hex = SECRET.encode().hex(" ")
    assert secret_hex not in info["payload_hex"]
    assert info["payload_hex"].startswith("6c 6f 67 69 6e 20 ** **")  # "login " then masked
    assert info["wire"].split(" ")[6:] == ["**"] * len(SECRET)
    assert info["text"] == "login ***" and info["packet"] == "LINE login ***"


def test_recordings_derived_sources_and_bindings_see_application_messages(
    line: Callable[..., Any], tmp_path: Path
) -> None:
    server = LineServer(ack_delay=0.2)  # everything below is in place before the first message
    _, make = line(server)
    sock = make(LineCodec(["a", "b"]))
    recorder = sock.record(tmp_path / "session.jsonl")
    only_b = sock.filter(lambda m: m.json()["text"].endswith("b"))
    texts = sock.map(lambda m: m.json()["text"].upper())
    target = Target()
    sock.bind("text", target)
    sock.send({"text": "c"})
    eventually(lambda: sock.received == 3, what="two subscriptions and an echo")
    assert only_b.recv(timeout=T).json() == {"text": "subscribed b"}
    assert [texts.recv(timeout=T).text() for _ in range(3)] == [
        "SUBSCRIBED A",
        "SUBSCRIBED B",
        "ECHO C",
    ]
    eventually(lambda: target.value == "echo c", what="the binding follows the messages")
    recorder.stop()
    replayed = iws.replay(tmp_path / "session.jsonl", speed=0)
    try:
        got = [replayed.recv(timeout=T).json() for _ in range(3)]
    finally:
        replayed.close(widget=True)
    assert got == [{"text": "subscribed a"}, {"text": "subscribed b"}, {"text": "echo c"}]
    assert f"login {SECRET}" not in (tmp_path / "session.jsonl").read_text()


class Target(traitlets.HasTraits):
    value = traitlets.Unicode("")
