"""python-socketio 5 (PyPI, in a venv of its own, under uvicorn): Socket.IO no one here wrote.

The codec against the real server, through a small synchronous driver over
``websockets.sync.client`` (until the widget's seam drives codecs): the
handshake and its CONNECT, events, acks both ways, a namespace, a binary
attachment both ways, refused auth, the server's pings, a namespace the
server disconnects and a new connection of the same codec. The app:
tests/thirdparty/apps/socketio_app.py.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from thirdparty_servers import ServerProcess
from websockets.sync.client import ClientConnection, connect

from ipywebsockets.protocols.base import Deliver, Event, Fail, Problem, Ready
from ipywebsockets.protocols.socketio import SocketIOCodec
from timing import timeout_s

T = timeout_s(10)


class Driver:
    """One WebSocket to the server, driven by ``codec`` (what the seam will do)."""

    def __init__(self, codec: SocketIOCodec, ws: ClientConnection) -> None:
        self.codec = codec
        self.ws = ws
        self.events: list[Event] = []
        self.written: list[str | bytes] = []
        codec.connected(self.ws.subprotocol or "", time.monotonic())
        self.flush()

    def flush(self) -> None:
        for frame in self.codec.data_to_send():
            self.written.append(frame)
            self.ws.send(frame)
        self.events.extend(self.codec.events_received())

    def pump(self, until: Callable[[], bool], within: float = T) -> None:
        """Feed frames into the codec (ticking it) until ``until()`` or the time runs out."""
        deadline = time.monotonic() + within
        while not until():
            if time.monotonic() > deadline:
                raise AssertionError(f"not true within {within:.0f} s; events: {self.events}")
            try:
                frame = self.ws.recv(timeout=0.2)
            except TimeoutError:
                frame = None
            now = time.monotonic()
            if frame is not None:
                self.codec.receive(frame, now)
            self.codec.tick(now)
            self.flush()

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(e.data) for e in self.events if isinstance(e, Deliver)]

    def wait_message(self, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        self.pump(lambda: any(check(m) for m in self.messages()))
        return next(m for m in self.messages() if check(m))

    def wait_ready(self) -> None:
        self.pump(lambda: Ready() in self.events or any(isinstance(e, Fail) for e in self.events))
        assert Ready() in self.events, self.events

    def close(self) -> None:
        self.ws.close()
        self.codec.lost()


@pytest.fixture
def drive(socketio: ServerProcess) -> Iterator[Callable[[SocketIOCodec], Driver]]:
    """``drive(codec)``: a connection to the module's server (closed when the test ends)."""
    with contextlib.ExitStack() as stack:

        def make(codec: SocketIOCodec) -> Driver:
            url = codec.target(f"http://127.0.0.1:{socketio.port}")
            ws = stack.enter_context(
                connect(url, subprotocols=list(codec.subprotocols) or None, proxy=None,
                        open_timeout=T)
            )  # fmt: skip
            return Driver(codec, ws)

        yield make


def event(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("event") == name


def test_connect_welcome_events_and_acks(drive: Callable[[SocketIOCodec], Driver]) -> None:
    codec = SocketIOCodec(auth={"token": "good-token"})
    codec.emit("tick", 3)  # before the handshake: held, then sent behind the CONNECT
    d = drive(codec)
    d.wait_ready()
    assert d.written[0] == '40{"token":"good-token"}'
    assert codec.sid and codec.engine_sid
    # The welcome the server's connect handler emits came before its CONNECT answer.
    welcome = d.wait_message(event("welcome"))
    assert welcome["args"][0] == {"sid": codec.sid, "auth": {"token": "good-token"}}
    assert d.messages()[0] == welcome
    d.pump(lambda: len([m for m in d.messages() if m.get("event") == "tick"]) == 3)
    ticks = [m["args"][0]["n"] for m in d.messages() if m.get("event") == "tick"]
    assert ticks == [0, 1, 2]

    add = codec.emit("add", 20, 22, ack=True)
    codec.send('{"event": "add", "args": ["a", "b"], "ack": true}')
    codec.send('{"event": "join", "args": ["room-1"]}')
    d.flush()
    assert d.wait_message(lambda m: m.get("ack") == add) == {"ack": add, "args": [42]}
    assert d.wait_message(lambda m: m.get("ack") == add + 1)["args"] == ["ab"]
    assert d.wait_message(event("joined"))["args"] == [{"room": "room-1"}]
    assert codec.describe(d.written[0]) == 'CONNECT / auth={"token": "***"}'
    assert [codec.outgoing(f) for f in d.written[1:3]] == [
        '{"event":"tick","args":[3]}',
        '{"event":"add","args":[20,22],"ack":1}',
    ]
    assert not [e for e in d.events if isinstance(e, (Problem, Fail))], d.events


def test_answering_the_servers_ack(drive: Callable[[SocketIOCodec], Driver]) -> None:
    codec = SocketIOCodec()
    d = drive(codec)
    d.wait_ready()
    codec.emit("ask", "ready?")
    d.flush()
    question = d.wait_message(event("question"))
    assert question["args"] == ["ready?"] and isinstance(question["ack"], int)
    codec.send(json.dumps({"ack": question["ack"], "args": ["yes", 1]}))
    d.flush()
    assert d.wait_message(event("answered"))["args"] == [["yes", 1]]


def test_a_namespace_of_its_own(drive: Callable[[SocketIOCodec], Driver]) -> None:
    codec = SocketIOCodec("/chat")
    d = drive(codec)
    d.wait_ready()
    assert d.written[0] == "40/chat,"
    assert d.wait_message(event("hello"))["args"] == [{"namespace": "/chat"}]
    codec.send('{"event": "say", "args": ["hi"]}')
    d.flush()
    assert d.wait_message(event("said"))["args"] == [{"text": "hi"}]
    assert not [m for m in d.messages() if m.get("event") == "welcome"]  # "/" was not joined


def test_binary_attachments_both_ways(drive: Callable[[SocketIOCodec], Driver]) -> None:
    codec = SocketIOCodec()
    d = drive(codec)
    d.wait_ready()
    blob = bytes(range(256)) * 4
    codec.emit("echo", blob, "text", {"nested": b"\x00\x01"})
    codec.send('{"event": "echo", "args": [{"base64": "aGVsbG8="}]}')
    d.flush()
    assert [f for f in d.written if isinstance(f, bytes)] == [blob, b"\x00\x01", b"hello"]
    d.pump(lambda: len([m for m in d.messages() if m.get("event") == "echo"]) == 2)
    echoes = [m["args"] for m in d.messages() if m.get("event") == "echo"]
    assert echoes[0] == [
        {"base64": base64.b64encode(blob).decode()},
        "text",
        {"nested": {"base64": "AAE="}},
    ]
    assert echoes[1] == [{"base64": "aGVsbG8="}]


def test_refused_auth_fails_with_the_servers_message(
    drive: Callable[[SocketIOCodec], Driver],
) -> None:
    codec = SocketIOCodec(auth={"token": "bad"})
    d = drive(codec)
    d.pump(lambda: any(isinstance(e, Fail) for e in d.events))
    fail = next(e for e in d.events if isinstance(e, Fail))
    assert (fail.code, fail.retry) == (1008, False)
    assert "refused namespace '/': bad token" in fail.text and "auth=" in fail.text
    assert not codec.ready


def test_an_unknown_namespace_is_refused(drive: Callable[[SocketIOCodec], Driver]) -> None:
    d = drive(SocketIOCodec("/nowhere"))
    d.pump(lambda: any(isinstance(e, Fail) for e in d.events))
    fail = next(e for e in d.events if isinstance(e, Fail))
    assert fail.code == 1008 and "Unable to connect" in fail.text


def test_pings_are_answered_and_a_new_connection_connects_again(
    drive: Callable[[SocketIOCodec], Driver],
) -> None:
    codec = SocketIOCodec("/chat")
    d = drive(codec)
    d.wait_ready()
    d.pump(lambda: "3" in d.written, within=timeout_s(5))  # the app pings every 2 s
    first_sid = codec.sid
    d.close()
    codec.send('{"event": "say", "args": ["while away"]}')  # held for the next connection
    assert codec.held == 1

    again = drive(codec)
    again.wait_ready()
    assert codec.sid and codec.sid != first_sid
    assert again.written[:2] == ["40/chat,", '42/chat,["say","while away"]']
    assert again.wait_message(event("said"))["args"] == [{"text": "while away"}]


def test_the_server_disconnecting_the_namespace(drive: Callable[[SocketIOCodec], Driver]) -> None:
    codec = SocketIOCodec()
    d = drive(codec)
    d.wait_ready()
    codec.emit("leave")
    d.flush()
    d.pump(lambda: any(isinstance(e, Problem) for e in d.events))
    problem = next(e for e in d.events if isinstance(e, Problem))
    assert "disconnected namespace '/'" in problem.text
    assert not codec.ready
    codec.emit("tick", 1)
    d.flush()
    assert codec.held == 1  # held until a reconnect
    d.pump(lambda: "3" in d.written, within=timeout_s(5))  # the engine session goes on
