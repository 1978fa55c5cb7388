"""``iws.mqtt()`` end to end against amqtt's broker (its own venv and process).

The codec alone is proven in test_mqtt.py; here it runs inside a kernel-mode
WebSocket: what ``send()``/``publish()`` is given is published, publishes
arrive as ``recv()`` messages, the history shows the application messages,
retained messages and later subscriptions work, refused credentials end the
socket in words (the password never shown), and a restarted broker gets the
subscription again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from thirdparty_servers import ServerProcess, amqtt_server

import ipywebsockets as iws
from timing import eventually, timeout_s

T = timeout_s(10)
FAST = iws.Backoff(initial=0.1, max_delay=0.5)


@pytest.fixture
def sockets() -> Iterator[Callable[..., iws.MQTT]]:
    made: list[iws.MQTT] = []

    def make(url: str, *args: Any, **kw: Any) -> iws.MQTT:
        ws = iws.mqtt(url, *args, **kw)
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.close(widget=True)


def test_send_publishes_and_recv_gets_the_messages(
    amqtt: ServerProcess, sockets: Callable[..., iws.MQTT]
) -> None:
    ws = sockets(amqtt.url, {"seam/+": 1})
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
    amqtt: ServerProcess, sockets: Callable[..., iws.MQTT]
) -> None:
    ws = sockets(amqtt.url, username="alice", password="nope", reconnect=FAST)
    eventually(lambda: ws.status == "closed", within=T, what="the socket gives up")
    assert "mqtt: the broker refused the connection (CONNACK rc=5" in ws.error
    assert ws.reconnects == 0
    assert "nope" not in repr(ws.codec.describe(b"\x10\x00"))


def test_a_restarted_broker_gets_the_subscription_again(
    tmp_path: Path, sockets: Callable[..., iws.MQTT]
) -> None:
    server = amqtt_server(tmp_path).start()
    try:
        ws = sockets(server.url, "room/#", reconnect=FAST)
        other = sockets(server.url)
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


def test_publish_retained_and_later_subscriptions(
    amqtt: ServerProcess, sockets: Callable[..., iws.MQTT]
) -> None:
    pub = sockets(amqtt.url)
    pub.publish("later/state", {"on": True}, qos=1, retain=True)
    eventually(lambda: pub.sent == 1, within=T, what="the publish went out")
    sub = sockets(amqtt.url, "later/+", qos=1)
    retained = sub.recv(timeout=T).json()
    assert retained == {"topic": "later/state", "payload": {"on": True}, "qos": 1, "retain": True}
    sub.subscribe("other/#")
    assert sub.subscriptions == {"later/+": 1, "other/#": 0}
    eventually(lambda: sub.codec.ready and "other/#" in sub.subscriptions, within=T)
    time_to_subscribe = 0.3
    import time

    time.sleep(time_to_subscribe)  # the SUBSCRIBE reaches the broker before the publish
    pub.publish("other/x", b"\x00\xffraw")
    assert sub.recv(timeout=T).json()["payload"] == {"base64": "AP9yYXc="}
    sub.unsubscribe("later/+")
    assert list(sub.subscriptions) == ["other/#"]


def test_the_password_is_masked_in_the_inspector(
    amqtt: ServerProcess, sockets: Callable[..., iws.MQTT]
) -> None:
    password = "".join(["wonder", "land"])  # built here: not a literal in the source
    ws = sockets(amqtt.url, "t/#", username="alice", password=password, inspect=True)
    inspector = iws.Inspector(ws)
    eventually(lambda: ws.codec.ready, within=T, what="CONNACK")
    eventually(lambda: len(inspector.frames) >= 2, what="CONNECT and CONNACK frames")
    fragments: dict[str, list[bytes]] = {"out": [], "in": []}
    infos = [inspector._info(f, fragments, ws.codec) for f in inspector.frames]
    connect = infos[0]
    assert connect["packet"].startswith("CONNECT client_id=")
    assert "username=*** password=***" in connect["packet"]
    assert password.encode().hex(" ") not in connect["payload_hex"]
    assert set(connect["payload_hex"].split(" ")) == {"**"}  # compressed: every byte masked
    assert password not in str(ws.get_state())
