"""The MQTT codec through the protocol-socket seam, against amqtt (its own venv and process).

The codec alone is proven in test_mqtt.py; here it runs inside a kernel-mode
WebSocket (``ProtocolSocket``, as ``iws.mqtt()`` will build it): what ``send()``
is given is published, publishes arrive as ``recv()`` messages, the history
shows the application messages, refused credentials end the socket in words,
and a restarted broker gets the subscription again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from thirdparty_servers import ServerProcess, amqtt_server

import ipywebsockets as iws
from ipywebsockets.feeds import ProtocolSocket
from ipywebsockets.protocols.mqtt import MQTTCodec
from timing import eventually, timeout_s

T = timeout_s(10)
FAST = iws.Backoff(initial=0.1, max_delay=0.5)


@pytest.fixture
def sockets() -> Iterator[Callable[..., ProtocolSocket]]:
    made: list[ProtocolSocket] = []

    def make(url: str, codec: MQTTCodec, **kw: Any) -> ProtocolSocket:
        ws = ProtocolSocket(url, codec, **kw)
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.close(widget=True)


def test_send_publishes_and_recv_gets_the_messages(
    amqtt: ServerProcess, sockets: Callable[..., ProtocolSocket]
) -> None:
    ws = sockets(amqtt.url, MQTTCodec({"seam/+": 1}))
    ws.send({"topic": "seam/a", "payload": {"x": 1}, "qos": 1})  # held until subscribed
    ws.send({"topic": "seam/b", "payload": "text"})
    assert ws.recv(timeout=T).json() == {
        "topic": "seam/a",
        "payload": {"x": 1},
        "qos": 1,
        "retain": False,
    }
    assert ws.recv(timeout=T).json()["payload"] == "text"
    assert ws.codec.subprotocol == "mqtt"
    sent = [m.json() for m in ws.messages if m.direction == "out"]
    assert sent == [
        {"topic": "seam/a", "payload": {"x": 1}, "qos": 1, "retain": False},
        {"topic": "seam/b", "payload": "text", "qos": 0, "retain": False},
    ]
    with pytest.raises(TypeError, match='"topic": str'):
        ws.send({"event": "not mqtt"})


def test_refused_credentials_end_the_socket_in_words(
    amqtt: ServerProcess, sockets: Callable[..., ProtocolSocket]
) -> None:
    ws = sockets(amqtt.url, MQTTCodec(username="alice", password="nope"), reconnect=FAST)
    eventually(lambda: ws.status == "closed", within=T, what="the socket gives up")
    assert "mqtt: the broker refused the connection (CONNACK rc=5" in ws.error
    assert ws.reconnects == 0
    assert "nope" not in repr(ws.codec.describe(b"\x10\x00"))


def test_a_restarted_broker_gets_the_subscription_again(
    tmp_path: Path, sockets: Callable[..., ProtocolSocket]
) -> None:
    server = amqtt_server(tmp_path).start()
    try:
        ws = sockets(server.url, MQTTCodec("room/#"), reconnect=FAST)
        other = sockets(server.url, MQTTCodec())
        eventually(lambda: ws.status == "open" and ws.codec.ready, within=T, what="ready")
        server.kill()
        eventually(lambda: ws.status != "open", within=T, what="the drop is seen")
        ws.send({"topic": "room/1", "payload": "while away"})  # held: sent after resubscribing
        server.start()
        assert ws.recv(timeout=T).json()["payload"] == "while away"
        eventually(lambda: other.codec.ready, within=T, what="the other socket is back")
        other.send({"topic": "room/2", "payload": 2})
        assert ws.recv(timeout=T).json() == {
            "topic": "room/2",
            "payload": 2,
            "qos": 0,
            "retain": False,
        }
        assert ws.reconnects == 1
    finally:
        server.stop()
