"""STOMP 1.2 over WebSocket against RabbitMQ's Web-STOMP plugin (Debian): a broker not ours.

Until the widget's protocol seam drives codecs, a small synchronous driver
does what it will do: ``connected()``, write ``data_to_send()``, feed every
received frame to ``receive()``, ``tick()`` about once a second, collect the
events. Each test opens its own connections to one broker per module
(``guest``/``guest``, virtual host ``/``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from thirdparty_servers import ServerProcess
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from ipywebsockets.protocols.base import Deliver, Event, Fail, Problem, Ready
from ipywebsockets.protocols.stomp import STOMPCodec
from timing import timeout_s

T = timeout_s(10)


class Driver:
    """One WebSocket connection driven through ``codec`` (what the protocol seam will do)."""

    def __init__(self, url: str, codec: STOMPCodec) -> None:
        self.url = url
        self.codec = codec
        self.events: list[Event] = []
        self.received: list[str | bytes] = []  # the raw frames, for describe()
        self.ws: ClientConnection | None = None
        self.last_tick = 0.0
        self.close_reason: str | None = None  # the server's, once it closed

    def open(self) -> Driver:
        self.ws = connect(
            self.url,
            subprotocols=[Subprotocol(p) for p in self.codec.subprotocols],
            proxy=None,
            open_timeout=T,
        ).__enter__()  # closed by close(): no with-block spans a test
        self.codec.connected(self.ws.subprotocol or "", time.monotonic())
        self.flush()
        return self

    def flush(self) -> None:
        assert self.ws is not None
        for frame in self.codec.data_to_send():
            self.ws.send(frame)
        self.events += self.codec.events_received()

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None
            self.codec.lost()

    def pump(self, until: Callable[[], bool], within: float = T) -> None:
        """Receive, tick and write until ``until()`` (or the connection ends, or time runs out)."""
        assert self.ws is not None
        deadline = time.monotonic() + within
        while not until():
            now = time.monotonic()
            if now > deadline:
                raise AssertionError(f"not true within {within:.0f} s; events: {self.events}")
            try:
                data = self.ws.recv(timeout=0.2)
            except TimeoutError:
                data = None
            except ConnectionClosed as closed:
                self.events += self.codec.events_received()
                self.close_reason = closed.rcvd.reason if closed.rcvd else ""
                return
            if data is not None:
                self.received.append(data)
                self.codec.receive(data, time.monotonic())
            if now - self.last_tick >= 1.0:
                self.codec.tick(now)
                self.last_tick = now
            self.flush()

    def pump_for(self, seconds: float) -> None:
        """Go on for ``seconds`` (a measuring window, not a timeout)."""
        until = time.monotonic() + seconds
        self.pump(lambda: time.monotonic() > until, within=seconds + T)

    def delivered(self) -> list[dict[str, Any]]:
        return [json.loads(e.data) for e in self.events if isinstance(e, Deliver)]

    def wait_ready(self) -> None:
        self.pump(lambda: Ready() in self.events or self.failed())
        assert Ready() in self.events, self.events

    def failed(self) -> bool:
        return any(isinstance(e, Fail) for e in self.events)

    def wait_bodies(self, count: int) -> list[dict[str, Any]]:
        self.pump(lambda: len(self.delivered()) >= count or self.failed())
        got = self.delivered()
        assert len(got) >= count, self.events
        return got


@pytest.fixture
def driver(stomp: ServerProcess) -> Any:
    """``driver(codec)``: an open connection through ``codec``; closed at the test's end."""
    made: list[Driver] = []

    def make(codec: STOMPCodec) -> Driver:
        made.append(Driver(stomp.url + "/ws", codec).open())
        return made[-1]

    yield make
    for d in made:
        d.close()


def guest(*destinations: str, **kw: Any) -> STOMPCodec:
    return STOMPCodec(list(destinations), login="guest", passcode="guest", **kw)


def test_connect_subscribe_publish_json_and_text(driver: Callable[[STOMPCodec], Driver]) -> None:
    codec = guest("/topic/prices")
    d = driver(codec)
    d.wait_ready()
    assert codec.version == "1.2" and codec.subprotocol == "v12.stomp"
    codec.publish("/topic/prices", {"sym": "ABC", "px": 101.5, "tags": ["a", "ü"]})
    codec.publish("/topic/prices", "plain text: 42")
    codec.publish("/topic/prices", "123")  # text that looks like JSON stays text
    first, second, third = d.wait_bodies(3)
    assert first["destination"] == "/topic/prices"
    assert first["body"] == {"sym": "ABC", "px": 101.5, "tags": ["a", "ü"]}
    assert first["headers"]["content-type"] == "application/json"
    assert first["headers"]["subscription"] == "1"
    assert "message-id" in first["headers"]
    assert second["body"] == "plain text: 42" and third["body"] == "123"
    described = [codec.describe(f) for f in d.received]
    assert described[0].startswith("CONNECTED ") and "version=1.2" in described[0]
    assert described[1] == 'MESSAGE /topic/prices {"sym":"ABC","px":101.5,"tags":["a","ü"]}'


def test_refused_login_fails_with_the_brokers_words(
    driver: Callable[[STOMPCodec], Driver],
) -> None:
    codec = STOMPCodec("/topic/x", login="guest", passcode="not-the-password")
    d = driver(codec)
    d.pump(d.failed)
    [fail] = [e for e in d.events if isinstance(e, Fail)]
    assert (fail.code, fail.retry) == (1008, False)
    assert "refused CONNECT" in fail.text and "Access refused" in fail.text, fail.text
    assert "not-the-password" not in codec.describe(d.received[0])


def test_an_unknown_virtual_host_is_refused_too(driver: Callable[[STOMPCodec], Driver]) -> None:
    """RabbitMQ reads CONNECT's host as the virtual host: why the codec's default is "/"."""
    codec = guest("/topic/x", host="127.0.0.1")
    d = driver(codec)
    d.pump(d.failed)
    [fail] = [e for e in d.events if isinstance(e, Fail)]
    assert fail.code == 1008
    assert "Virtual host '127.0.0.1' access denied" in fail.text and "host=" in fail.text


def test_two_subscriptions_and_a_second_connections_publish(
    driver: Callable[[STOMPCodec], Driver],
) -> None:
    reader = guest("/topic/a", "/queue/iws-b")
    r = driver(reader)
    r.wait_ready()
    reader.publish("/topic/a", "probe")  # once it is back, both subscriptions are in place
    r.wait_bodies(1)
    writer = guest()
    w = driver(writer)
    w.wait_ready()
    writer.send(json.dumps({"destination": "/queue/iws-b", "body": {"n": 2}}))
    writer.send(
        json.dumps({"destination": "/topic/a", "body": {"n": 1}, "headers": {"x-from": "w"}})
    )
    w.flush()
    got = r.wait_bodies(3)[1:]
    by_destination = {m["destination"]: m for m in got}
    assert by_destination["/queue/iws-b"]["body"] == {"n": 2}
    assert by_destination["/queue/iws-b"]["headers"]["subscription"] == "2"
    assert by_destination["/topic/a"]["body"] == {"n": 1}
    assert by_destination["/topic/a"]["headers"]["x-from"] == "w"
    assert reader.subscriptions == {"/topic/a": 1, "/queue/iws-b": 2}


def test_resubscribe_on_a_new_connection_before_what_was_sent_while_away(
    driver: Callable[[STOMPCodec], Driver],
) -> None:
    codec = guest("/topic/again")
    d = driver(codec)
    d.wait_ready()
    d.close()
    codec.publish("/topic/again", {"sent": "while away"})
    assert codec.held == 1
    d.events.clear()
    d.open()
    d.wait_ready()
    # The new SUBSCRIBE (id 2) went first, so the held message comes back to us.
    [got] = d.wait_bodies(1)
    assert got["body"] == {"sent": "while away"}
    assert got["headers"]["subscription"] == "2"
    assert codec.subscriptions == {"/topic/again": 2}
    codec.unsubscribe("/topic/again")
    codec.publish("/topic/again", "not for us any more")
    d.flush()
    d.pump_for(0.5)  # a round trip on this connection: the message would be back by now
    assert len(d.delivered()) == 1


def test_heart_beats_both_ways_and_an_error_frame(
    driver: Callable[[STOMPCodec], Driver],
) -> None:
    codec = guest("/topic/hb", heartbeat=(1000, 1000))
    d = driver(codec)
    d.wait_ready()
    connected = d.received[0]
    assert "heart-beat:1000,1000" in str(connected)
    d.pump_for(3.5)
    assert [e for e in d.events if not isinstance(e, Ready)] == []
    assert "heart-beat" in [codec.describe(f) for f in d.received[1:]]
    # A SUBSCRIBE to a destination RabbitMQ does not know is an ERROR: a problem, then the close.
    codec.subscribe("/nowhere/x")
    d.flush()
    d.pump(lambda: any(isinstance(e, Problem) for e in d.events))
    [problem] = [e for e in d.events if isinstance(e, Problem)]
    assert "the STOMP server sent ERROR" in problem.text, problem.text


def test_rabbitmq_ends_the_session_without_an_error_frame(
    driver: Callable[[STOMPCodec], Driver],
) -> None:
    """A SEND to an exchange that does not exist: RabbitMQ logs an ERROR it never delivers."""
    codec = guest("/topic/x")
    d = driver(codec)
    d.wait_ready()
    codec.publish("/exchange/iws-no-such-exchange/key", "lost")
    d.flush()
    d.pump(lambda: d.close_reason is not None)
    assert d.close_reason == "STOMP died"
    assert [e for e in d.events if not isinstance(e, Ready)] == []
    assert "sent no ERROR frame" in str(codec.closed(1000, d.close_reason))
