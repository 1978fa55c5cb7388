"""GraphQL over WebSocket against strawberry-graphql (PyPI, in a venv of its own, under uvicorn).

The codec (``ipywebsockets.protocols.graphql``) is driven here by a small
synchronous driver over ``websockets.sync.client``: connect offering the
codec's subprotocols, ``connected()``, write what it queues, feed every frame
to ``receive()``, tick it, collect its events. Both subprotocols are tested by
offering one: ``graphql-transport-ws`` (modern) and ``graphql-ws`` (legacy
subscriptions-transport-ws). The app is ``apps/graphql_app.py``.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from thirdparty_servers import ServerProcess
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from ipywebsockets.protocols.base import Deliver, Event, Fail, Problem, Ready
from ipywebsockets.protocols.graphql import GraphQLCodec
from timing import timeout_s

T = timeout_s(10)
BOTH = pytest.mark.parametrize("subprotocol", ["graphql-transport-ws", "graphql-ws"])


class Driver:
    """One connection of ``codec`` to ``url``, pumped by hand (no threads)."""

    def __init__(self, codec: GraphQLCodec, url: str) -> None:
        self.codec = codec
        self.events: list[Event] = []
        self.sent: list[str | bytes] = []
        self.received: list[str | bytes] = []
        self.stack = contextlib.ExitStack()
        self.ws: ClientConnection = self.stack.enter_context(
            connect(
                url,
                subprotocols=codec.subprotocols,  # type: ignore[arg-type]
                proxy=None,
                open_timeout=T,
                close_timeout=T,
            )
        )
        codec.connected(self.ws.subprotocol or "", time.monotonic())
        self.flush()

    def flush(self) -> None:
        for frame in self.codec.data_to_send():
            self.sent.append(frame)
            self.ws.send(frame)
        self.events += self.codec.events_received()

    def pump(self, until: Callable[[], bool], within: float = T) -> None:
        """Receive frames into the codec (ticking it) until ``until()``; fail after ``within``."""
        deadline = time.monotonic() + within
        while not until():
            assert time.monotonic() < deadline, f"not within {within} s; events: {self.events}"
            try:
                frame = self.ws.recv(timeout=0.05)
            except TimeoutError:
                frame = None
            now = time.monotonic()
            if frame is not None:
                self.received.append(frame)
                self.codec.receive(frame, now)
            self.codec.tick(now)
            self.flush()

    def ready(self) -> None:
        self.pump(lambda: any(isinstance(e, Ready) for e in self.events))

    def delivered(self) -> list[Any]:
        return [json.loads(e.data) for e in self.events if isinstance(e, Deliver)]

    def problems(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, Problem)]

    def until_ended(self, op_id: str) -> None:
        self.pump(lambda: op_id not in self.codec.operations)

    def close(self) -> None:
        self.stack.close()
        self.codec.lost()


@pytest.fixture
def drive(graphql: ServerProcess) -> Iterator[Callable[[GraphQLCodec], Driver]]:
    """``drive(codec)``: a connection to the server's /graphql; closed when the test ends."""
    opened: list[Driver] = []

    def make(codec: GraphQLCodec) -> Driver:
        driver = Driver(codec, f"{graphql.url}/graphql")
        opened.append(driver)
        return driver

    yield make
    for driver in opened:
        driver.stack.close()


def kinds(frames: list[str | bytes]) -> list[tuple[str, str | None]]:
    return [(m["type"], m.get("id")) for m in map(json.loads, frames)]


@BOTH
def test_a_subscription_delivers_every_value_in_order(
    drive: Callable[[GraphQLCodec], Driver], subprotocol: str
) -> None:
    codec = GraphQLCodec("subscription { count(to: 25) }", subprotocol=subprotocol)
    driver = drive(codec)
    assert driver.ws.subprotocol == subprotocol
    driver.ready()
    driver.until_ended("1")
    assert driver.delivered() == [{"data": {"count": i}} for i in range(25)]
    assert driver.problems() == []  # the legacy server's ka keepalives are quiet
    start = "subscribe" if subprotocol == "graphql-transport-ws" else "start"
    assert kinds(driver.sent) == [("connection_init", None), (start, "1")]
    assert json.loads(codec.outgoing(driver.sent[1]) or "null") == {
        "id": "1",
        "query": "subscription { count(to: 25) }",
    }
    assert codec.describe(driver.received[-1]) == "complete id=1"


def test_a_query_with_variables_is_one_result(drive: Callable[[GraphQLCodec], Driver]) -> None:
    codec = GraphQLCodec(subprotocol="graphql-transport-ws")
    driver = drive(codec)
    driver.ready()
    op_id = codec.subscribe(
        "query Greet($name: String!) { hello(name: $name) }", {"name": "Ada"}, "Greet"
    )
    driver.flush()
    driver.until_ended(op_id)
    assert driver.delivered() == [{"data": {"hello": "Hello, Ada!"}}]
    assert codec.operations == {}


def test_legacy_strawberry_refuses_queries(drive: Callable[[GraphQLCodec], Driver]) -> None:
    """strawberry runs graphql-ws operations as subscriptions only: a query is an ``error``."""
    codec = GraphQLCodec("{ hello }", subprotocol="graphql-ws")
    driver = drive(codec)
    driver.ready()
    driver.until_ended("1")
    assert driver.delivered() == [{"errors": [{"message": "queries are not allowed"}]}]
    assert driver.problems() == [
        "GraphQL operation 1 failed: queries are not allowed (it is not subscribed again; "
        "fix the query or its variables and subscribe anew)"
    ]


@BOTH
def test_an_invalid_subscription_is_an_error(
    drive: Callable[[GraphQLCodec], Driver], subprotocol: str
) -> None:
    codec = GraphQLCodec("subscription { count(to: 2, nosucharg: 1) }", subprotocol=subprotocol)
    driver = drive(codec)
    driver.ready()
    driver.until_ended("1")
    [result] = driver.delivered()
    assert "nosucharg" in result["errors"][0]["message"]
    [problem] = driver.problems()
    assert problem.startswith("GraphQL operation 1 failed: ") and "nosucharg" in problem
    codec.subscribe("subscription { count(to: 2) }")  # the connection goes on
    driver.flush()
    driver.until_ended("2")
    assert driver.delivered()[1:] == [{"data": {"count": 0}}, {"data": {"count": 1}}]
    assert codec.operations == {}


def test_errors_a_failing_field_and_an_invalid_query(
    drive: Callable[[GraphQLCodec], Driver],
) -> None:
    codec = GraphQLCodec("{ boom }", subprotocol="graphql-transport-ws")
    driver = drive(codec)
    driver.ready()
    driver.until_ended("1")
    [result] = driver.delivered()
    assert result["data"] is None
    assert result["errors"][0]["message"] == "boom: this field always fails"
    assert result["errors"][0]["path"] == ["boom"]

    codec.send(json.dumps({"query": "{ nosuchfield }"}))  # a validation error: "error"
    driver.flush()
    driver.until_ended("2")
    errors = driver.delivered()[1]["errors"]
    assert "nosuchfield" in errors[0]["message"]
    [problem] = driver.problems()
    assert problem.startswith("GraphQL operation 2 failed: ")
    assert "nosuchfield" in problem
    # The connection goes on.
    codec.subscribe("{ hello }")
    driver.flush()
    driver.until_ended("3")
    assert driver.delivered()[-1] == {"data": {"hello": "Hello, world!"}}


@BOTH
def test_a_subscription_that_raises(
    drive: Callable[[GraphQLCodec], Driver], subprotocol: str
) -> None:
    codec = GraphQLCodec("subscription { fail(after: 2) }", subprotocol=subprotocol)
    driver = drive(codec)
    driver.ready()
    driver.until_ended("1")
    delivered = driver.delivered()
    assert delivered[:2] == [{"data": {"fail": 0}}, {"data": {"fail": 1}}]
    assert "fail: the subscription broke" in json.dumps(delivered[2:])


@BOTH
def test_two_subscriptions_on_one_connection(
    drive: Callable[[GraphQLCodec], Driver], subprotocol: str
) -> None:
    codec = GraphQLCodec("subscription { a: count(to: 10) }", subprotocol=subprotocol)
    second = codec.subscribe("subscription { b: count(to: 12, delay: 0.005) }")
    assert codec.held == 2  # both wait for the ack
    driver = drive(codec)
    driver.ready()
    assert codec.held == 0
    driver.pump(lambda: codec.operations == {})
    a = [m["data"]["a"] for m in driver.delivered() if "a" in m["data"]]
    b = [m["data"]["b"] for m in driver.delivered() if "b" in m["data"]]
    assert (a, b) == (list(range(10)), list(range(12)))
    assert second == "2"


@BOTH
def test_resubscribe_after_reconnect(
    drive: Callable[[GraphQLCodec], Driver], subprotocol: str
) -> None:
    codec = GraphQLCodec("subscription { count(to: 100000, delay: 0.02) }", subprotocol=subprotocol)
    short = codec.subscribe("subscription { short: count(to: 2) }")
    first = drive(codec)
    first.ready()
    first.until_ended(short)  # complete: never subscribed again
    first.pump(lambda: len(first.delivered()) >= 6)
    first.close()
    assert list(codec.operations) == ["1"]

    new = codec.subscribe("subscription { again: count(to: 1) }")  # while away: after the ack
    assert codec.held == 1
    second = drive(codec)
    second.ready()
    start = "subscribe" if subprotocol == "graphql-transport-ws" else "start"
    assert kinds(second.sent) == [("connection_init", None), (start, "1"), (start, new)]
    second.until_ended(new)
    second.pump(lambda: len(second.delivered()) >= 4)
    counts = [m["data"]["count"] for m in second.delivered() if "count" in m["data"]]
    assert counts[:2] == [0, 1]  # the subscription started over on the new connection
    assert {"data": {"again": 0}} in second.delivered()

    codec.stop("1")
    second.flush()
    stop = "complete" if subprotocol == "graphql-transport-ws" else "stop"
    assert kinds(second.sent)[-1] == (stop, "1")
    assert codec.operations == {}
    # Values already in flight are dropped; the legacy server confirms with "complete"
    # (graphql-transport-ws has no answer to the client's "complete").
    delivered = len(second.delivered())
    until = time.monotonic() + 0.3
    second.pump(lambda: time.monotonic() > until)
    assert len(second.delivered()) == delivered
    if subprotocol == "graphql-ws":
        assert {"type": "complete", "id": "1"} in map(json.loads, second.received)
    assert second.problems() == []


def test_a_refused_token_over_legacy_fails_without_retry(
    drive: Callable[[GraphQLCodec], Driver],
) -> None:
    codec = GraphQLCodec(init_payload={"token": "wrong"}, subprotocol="graphql-ws")
    driver = drive(codec)
    assert codec.describe(driver.sent[0]) == 'connection_init payload={"token":"***"}'
    driver.pump(lambda: any(isinstance(e, Fail) for e in driver.events))
    [fail] = [e for e in driver.events if isinstance(e, Fail)]
    assert (fail.code, fail.retry) == (1008, False)
    assert "bad token" in fail.text and "init_payload" in fail.text


def test_a_refused_token_over_transport_ws_closes_4403(
    drive: Callable[[GraphQLCodec], Driver],
) -> None:
    """graphql-transport-ws has no refusal message: the server closes with 4403 Forbidden."""
    codec = GraphQLCodec(init_payload={"token": "wrong"}, subprotocol="graphql-transport-ws")
    driver = drive(codec)
    with pytest.raises(ConnectionClosed) as closed:
        driver.pump(lambda: False)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def test_an_accepted_token_and_the_ack_payload(drive: Callable[[GraphQLCodec], Driver]) -> None:
    codec = GraphQLCodec("{ hello }", init_payload={"token": "letmein"})
    assert codec.secrets == (b"letmein",)
    driver = drive(codec)
    driver.ready()
    assert json.loads(driver.received[0]) == {
        "type": "connection_ack",
        "payload": {"user": "letmein"},
    }
    assert "letmein" not in " ".join(codec.describe(f) for f in driver.sent)


def test_keepalive_ping_is_answered(drive: Callable[[GraphQLCodec], Driver]) -> None:
    codec = GraphQLCodec(subprotocol="graphql-transport-ws", keepalive=0.05)
    driver = drive(codec)
    driver.ready()
    driver.pump(lambda: any(json.loads(f)["type"] == "pong" for f in driver.received))
    assert ("ping", None) in kinds(driver.sent)
    driver.pump(lambda: driver.sent.count('{"type":"ping"}') >= 3)  # each answered in time
    assert not [e for e in driver.events if isinstance(e, (Fail, Problem))]


def test_a_syntax_error_over_transport_ws_closes_4400(
    drive: Callable[[GraphQLCodec], Driver],
) -> None:
    """strawberry answers a query it cannot parse by closing (4400), not with ``error``."""
    codec = GraphQLCodec("subscription { count(to: ", subprotocol="graphql-transport-ws")
    driver = drive(codec)
    with pytest.raises(ConnectionClosed) as closed:
        driver.pump(lambda: False)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    assert "Syntax Error" in closed.value.rcvd.reason
