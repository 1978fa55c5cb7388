"""``iws.socketio()`` end to end against python-socketio (its own venv and process).

The codec alone is proven in test_socketio.py; here the whole socket is:
events as messages, ``call()`` claiming its ack, a namespace, a binary
attachment, the server's ack asked of us, refused auth in words, and the
namespace joined again after the server restarts.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from thirdparty_servers import ServerProcess, socketio_server

import ipywebsockets as iws
from timing import eventually, timeout_s

T = timeout_s(10)
FAST = iws.Backoff(initial=0.1, max_delay=0.5)


@pytest.fixture
def sockets() -> Iterator[Callable[..., iws.SocketIO]]:
    made: list[iws.SocketIO] = []

    def make(*args: Any, **kw: Any) -> iws.SocketIO:
        sio = iws.socketio(*args, **kw)
        made.append(sio)
        return sio

    yield make
    for sio in made:
        sio.close(widget=True)


def http(server: ServerProcess) -> str:
    return f"http://127.0.0.1:{server.port}"


def next_event(sio: iws.SocketIO, name: str) -> dict[str, Any]:
    return sio.wait_for(lambda m: m.json().get("event") == name, timeout=T).json()


def test_events_are_messages_and_emit_sends_them(
    socketio: ServerProcess, sockets: Callable[..., iws.SocketIO]
) -> None:
    sio = sockets(http(socketio))
    assert sio.url == f"ws://127.0.0.1:{socketio.port}/socket.io/?EIO=4&transport=websocket"
    welcome = sio.recv(timeout=T).json()
    assert welcome["event"] == "welcome" and welcome["args"][0]["auth"] is None
    sio.emit("join", "a")
    assert next_event(sio, "joined") == {"event": "joined", "args": [{"room": "a"}]}
    sio.send({"event": "tick", "args": [5]})  # send() takes what recv() gives
    ticks = [sio.recv(timeout=T).json() for _ in range(5)]
    assert ticks == [{"event": "tick", "args": [{"n": i}]} for i in range(5)]
    sent = [m.json() for m in sio.messages if m.direction == "out"]
    assert sent == [{"event": "join", "args": ["a"]}, {"event": "tick", "args": [5]}]


def test_call_returns_the_ack_which_recv_never_sees(
    socketio: ServerProcess, sockets: Callable[..., iws.SocketIO]
) -> None:
    sio = sockets(http(socketio))
    sio.recv(timeout=T)  # welcome
    assert sio.call("add", [1, 2], timeout=T) == 3
    assert sio.call("add", ["a", "b"], timeout=T) == "ab"
    with pytest.raises(TimeoutError):
        sio.recv(timeout=0.3)
    acks = [m.json() for m in sio.messages if m.direction == "in" and "ack" in m.json()]
    assert [a["args"] for a in acks] == [[3], ["ab"]]


def test_a_namespace_and_a_binary_attachment(
    socketio: ServerProcess, sockets: Callable[..., iws.SocketIO]
) -> None:
    chat = sockets(http(socketio), "/chat")
    assert next_event(chat, "hello") == {"event": "hello", "args": [{"namespace": "/chat"}]}
    chat.emit("say", "hi")
    assert next_event(chat, "said")["args"] == [{"text": "hi"}]
    root = sockets(http(socketio))
    blob = base64.b64encode(b"\x00\x01binary\xff").decode()
    root.emit("echo", {"base64": blob}, 7)
    echoed = next_event(root, "echo")
    assert echoed["args"] == [{"base64": blob}, 7]


def test_the_server_asks_for_an_ack_and_gets_it(
    socketio: ServerProcess, sockets: Callable[..., iws.SocketIO]
) -> None:
    sio = sockets(http(socketio))
    sio.emit("ask", "ready?")
    question = next_event(sio, "question")
    assert isinstance(question.get("ack"), int)
    sio.answer(question["ack"], "yes")
    assert next_event(sio, "answered")["args"] == [["yes"]]


def test_refused_auth_ends_the_socket_in_the_server_s_words(
    socketio: ServerProcess, sockets: Callable[..., iws.SocketIO]
) -> None:
    sio = sockets(http(socketio), auth={"token": "bad"}, reconnect=FAST)
    eventually(lambda: sio.status == "closed", within=T, what="the socket gives up")
    assert "socket.io: the Socket.IO server refused namespace '/': bad token" in sio.error
    assert sio.reconnects == 0


def test_a_restarted_server_sees_the_namespace_joined_again(
    tmp_path: Path, sockets: Callable[..., iws.SocketIO]
) -> None:
    server = socketio_server(tmp_path).start()
    try:
        sio = sockets(http(server), reconnect=FAST)
        assert sio.recv(timeout=T).json()["event"] == "welcome"
        server.kill()
        eventually(lambda: sio.status != "open", within=T, what="the drop is seen")
        sio.emit("tick", 2)  # sent while away: held until the namespace is joined again
        server.start()
        assert sio.recv(timeout=T).json()["event"] == "welcome"  # a new session
        assert [sio.recv(timeout=T).json() for _ in range(2)] == [
            {"event": "tick", "args": [{"n": 0}]},
            {"event": "tick", "args": [{"n": 1}]},
        ]
        assert sio.reconnects == 1
    finally:
        server.stop()
