"""amqtt's MQTT 3.1.1 broker over WebSocket (PyPI, a venv of its own): the MQTT codec end to end.

Until the codec is plugged into the ``WebSocket`` widget, a small synchronous
driver runs it over ``websockets.sync.client``: it calls ``connected()``,
writes ``data_to_send()``, feeds every frame to ``receive()``, calls ``tick()``
about once a second and collects the events. Each test starts its own
connections; the broker (one per module) keeps retained messages until it is
restarted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from thirdparty_servers import ServerProcess
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from ipywebsockets.protocols.base import Deliver, Event, Fail, Problem, Ready
from ipywebsockets.protocols.mqtt import MQTTCodec
from timing import timeout_s

T = timeout_s(5)


class Driver:
    """One connection run by ``codec``: frames out, frames in, events collected."""

    def __init__(self, codec: MQTTCodec, url: str) -> None:
        self.codec = codec
        self.url = url
        self.events: list[Event] = []
        self.sent: list[bytes] = []
        self.ws: ClientConnection | None = None
        self.open()

    def open(self) -> None:
        opening = connect(
            self.url,
            subprotocols=self.codec.subprotocols,  # type: ignore[arg-type]
            proxy=None,
            open_timeout=T,
        )
        self.ws = opening.__enter__()
        self.codec.connected(self.ws.subprotocol or "", time.monotonic())
        self._next_tick = time.monotonic() + 1
        self.flush()

    def flush(self) -> None:
        assert self.ws is not None
        for frame in self.codec.data_to_send():
            assert isinstance(frame, bytes)
            self.sent.append(frame)
            self.ws.send(frame)
        self.events += self.codec.events_received()

    def pump(self, until: Callable[[], bool], within: float = 5.0, what: str = "") -> None:
        """Run the connection until ``until()`` is true (or fail after ``within`` s, scaled)."""
        assert self.ws is not None
        deadline = time.monotonic() + timeout_s(within)
        while not until():
            now = time.monotonic()
            assert now < deadline, f"not within {within} s: {what}; events: {self.events}"
            try:
                frame = self.ws.recv(timeout=0.1)
            except TimeoutError:
                pass
            except ConnectionClosed as exc:
                raise AssertionError(f"the broker closed the connection: {exc}") from None
            else:
                self.codec.receive(frame, time.monotonic())
            if time.monotonic() >= self._next_tick:
                self._next_tick += 1
                self.codec.tick(time.monotonic())
            self.flush()

    def wait_ready(self) -> None:
        self.pump(lambda: any(isinstance(e, Ready) for e in self.events), what="Ready")

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(e.data) for e in self.events if isinstance(e, Deliver)]

    def wait_messages(self, count: int, within: float = 5.0) -> list[dict[str, Any]]:
        self.pump(lambda: len(self.messages()) >= count, within, f"{count} messages")
        return self.messages()

    def settle(self) -> None:
        """Until the broker has acknowledged everything this codec sent."""
        codec = self.codec
        self.pump(lambda: not codec._outgoing and not codec._requests, what="acknowledgements")

    def close(self) -> None:
        self.codec.lost()
        if self.ws is not None:
            self.ws.close()
            self.ws = None


@pytest.fixture
def client(amqtt: ServerProcess) -> Iterator[Callable[..., Driver]]:
    """``client(codec)``: a Driver connected to the broker, closed when the test ends."""
    made: list[Driver] = []

    def make(codec: MQTTCodec) -> Driver:
        driver = Driver(codec, amqtt.url)
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.close()


def test_wildcards_and_own_publishes_come_back(client: Callable[..., Driver]) -> None:
    a = client(MQTTCodec({"wild/+/t": 0, "wild/house/#": 1}))
    a.codec.publish("wild/k1/t", {"t": 21.5})  # sent while connecting: held, then sent
    a.wait_ready()
    assert a.codec.subprotocol == "mqtt"
    a.codec.publish("wild/house/kitchen/light", "on", qos=1)
    a.codec.publish("wild/k1/t/extra", 1)  # '+' matches one level only
    a.codec.publish("wild/k2/t", b"\xff\x00", qos=1)
    a.flush()
    got = a.wait_messages(3)
    assert got == [
        {"topic": "wild/k1/t", "payload": {"t": 21.5}, "qos": 0, "retain": False},
        {"topic": "wild/house/kitchen/light", "payload": "on", "qos": 1, "retain": False},
        {"topic": "wild/k2/t", "payload": {"base64": "/wA="}, "qos": 0, "retain": False},
    ]
    a.settle()  # the PUBACKs came: nothing left to re-send
    assert not [e for e in a.events if isinstance(e, (Problem, Fail))]


def test_second_connection_publishes_to_the_first(client: Callable[..., Driver]) -> None:
    a = client(MQTTCodec("chat/#", qos=2))
    a.wait_ready()
    a.settle()  # SUBACK: subscribed before b publishes
    b = client(MQTTCodec())
    b.codec.send(json.dumps({"topic": "chat/room1", "payload": {"text": "hi"}, "qos": 1}))
    b.codec.send(json.dumps({"topic": "chat/room2", "payload": "plain text", "qos": 2}))
    b.codec.send(json.dumps({"topic": "chat/bin", "payload": {"base64": "/wA="}}))
    b.wait_ready()
    b.settle()  # PUBACK, and PUBREC -> PUBREL -> PUBCOMP
    # amqtt passes a QoS 2 message on only at PUBREL, so the QoS 0 one sent after it
    # may overtake it (MQTT orders messages within a QoS level only).
    got = sorted(a.wait_messages(3), key=lambda m: str(m["topic"]))
    assert [(m["topic"], m["payload"], m["retain"]) for m in got] == [
        ("chat/bin", {"base64": "/wA="}, False),
        ("chat/room1", {"text": "hi"}, False),
        ("chat/room2", "plain text", False),
    ]
    # amqtt delivers at the subscription's QoS (2 here) whatever the publisher's QoS
    # was; MQTT 3.1.1 (3.8.4) says the lower of the two (0, 1, 2).
    assert [m["qos"] for m in got] == [2, 2, 2]
    # What b wrote, as the history shows it: its three publishes and nothing else.
    shown = [json.loads(m) for f in b.sent if (m := b.codec.outgoing(f)) is not None]
    assert [m["topic"] for m in shown] == ["chat/room1", "chat/room2", "chat/bin"]
    a.pump(lambda: not a.codec._incoming, what="PUBREL for the QoS 2 message")


def test_retained_message_reaches_a_later_subscriber(client: Callable[..., Driver]) -> None:
    b = client(MQTTCodec())
    b.codec.publish("status/door", {"open": True}, qos=1, retain=True)
    b.wait_ready()
    b.settle()
    b.close()
    c = client(MQTTCodec("status/#"))
    c.wait_ready()
    [message] = c.wait_messages(1)
    assert message == {"topic": "status/door", "payload": {"open": True}, "qos": 0, "retain": True}
    # A new publish to a subscriber already there is not a retained one for it.
    c.codec.publish("status/door", {"open": False}, retain=True)
    c.flush()
    assert c.wait_messages(2)[1]["retain"] is False


def test_credentials(client: Callable[..., Driver]) -> None:
    good = client(MQTTCodec("auth/#", username="alice", password="wonderland"))
    good.wait_ready()
    assert b"wonderland" in good.codec.secrets
    assert "password=***" in good.codec.describe(good.sent[0])

    bad = client(MQTTCodec(username="alice", password="wrong"))
    bad.pump(lambda: any(isinstance(e, Fail) for e in bad.events), what="a Fail")
    [fail] = [e for e in bad.events if isinstance(e, Fail)]
    # amqtt answers refused credentials with rc=5 (not authorized), not rc=4.
    assert (fail.code, fail.retry) == (1008, False)
    assert "CONNACK rc=5" in fail.text and "username=" in fail.text


def test_keepalive_pings_and_gets_answers(client: Callable[..., Driver]) -> None:
    a = client(MQTTCodec(keepalive=2))
    a.wait_ready()
    start = len(a.sent)
    a.pump(lambda: len(a.sent) - start >= 2, within=5, what="two PINGREQs")
    assert [a.codec.describe(f) for f in a.sent[start:]] == ["PINGREQ", "PINGREQ"]
    assert not [e for e in a.events if isinstance(e, Fail)]


def test_resubscribes_after_the_broker_restarts(
    amqtt: ServerProcess, client: Callable[..., Driver]
) -> None:
    a = client(MQTTCodec({"plant/+/temp": 1}))
    a.wait_ready()
    a.settle()
    amqtt.stop()  # SIGTERM: the broker ends, and its connections with it
    a.close()
    a.codec.publish("plant/p1/temp", 20, qos=1)  # while away: held
    amqtt.start()  # same port, a broker that knows no session or subscription
    a.events.clear()
    a.open()
    a.wait_ready()
    a.settle()
    resubscribe = [a.codec.describe(f) for f in a.sent if a.codec.describe(f).startswith("SUB")]
    # Ids count up: 1 (first SUBSCRIBE), 2 (the held PUBLISH), 3 (the resubscription).
    assert resubscribe == [
        "SUBSCRIBE id=1 plant/+/temp (qos 1)",
        "SUBSCRIBE id=3 plant/+/temp (qos 1)",
    ]
    b = client(MQTTCodec())
    b.codec.publish("plant/p2/temp", 21, qos=1)
    b.wait_ready()
    b.settle()
    got = a.wait_messages(2)
    assert [(m["topic"], m["payload"]) for m in got] == [
        ("plant/p1/temp", 20),  # held while away, sent behind the resubscription
        ("plant/p2/temp", 21),
    ]


def test_persistent_session_keeps_messages_while_away(client: Callable[..., Driver]) -> None:
    def alice() -> MQTTCodec:
        return MQTTCodec(
            {"inbox/alice": 1},
            client_id="alice-inbox",
            username="alice",
            password="wonderland",
            clean_session=False,
        )

    a = client(alice())
    a.wait_ready()
    a.settle()
    a.close()
    b = client(MQTTCodec())
    b.codec.publish("inbox/alice", "while you were away", qos=1)
    b.wait_ready()
    b.settle()
    a2 = client(alice())
    a2.wait_ready()
    [message] = a2.wait_messages(1)
    # amqtt sends what it queued for an offline session with the RETAIN flag set;
    # MQTT 3.1.1 (3.3.1.3) sets it only for retained messages sent on subscribing.
    assert message == {
        "topic": "inbox/alice",
        "payload": "while you were away",
        "qos": 1,
        "retain": True,
    }
