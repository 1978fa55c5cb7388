"""The GraphQL codec (ipywebsockets.protocols.graphql) driven by hand-written frames.

Both subprotocols: graphql-transport-ws (modern) and graphql-ws (legacy
subscriptions-transport-ws). The real server is in tests/thirdparty/test_graphql.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codec_checks import feed_anything
from ipywebsockets.exceptions import SendQueueFull
from ipywebsockets.protocols.base import Deliver, Fail, Problem, Ready
from ipywebsockets.protocols.graphql import GraphQLCodec

MODERN, LEGACY = "graphql-transport-ws", "graphql-ws"
BOTH = pytest.mark.parametrize("proto", [MODERN, LEGACY])
COUNT = "subscription { count(to: 3) }"


def frame(**message: Any) -> str:
    return json.dumps(message)


def sent(codec: GraphQLCodec) -> list[dict[str, Any]]:
    return [json.loads(f) for f in codec.data_to_send()]


def start_kind(proto: str) -> str:
    return "subscribe" if proto == MODERN else "start"


def opened(proto: str = MODERN, *args: Any, **kw: Any) -> GraphQLCodec:
    """A codec past the handshake (its frames and events drained)."""
    codec = GraphQLCodec(*args, **kw)
    codec.connected(proto, 0.0)
    codec.receive(frame(type="connection_ack"), 0.0)
    codec.data_to_send()
    codec.events_received()
    return codec


# --------------------------------------------------------------------------- handshake


@BOTH
def test_handshake_then_subscribe_then_ready(proto: str) -> None:
    codec = GraphQLCodec(COUNT, {"a": 1}, operation_name="Op", init_payload={"token": "t0ken"})
    assert codec.subprotocols == (MODERN, LEGACY)
    codec.connected(proto, 0.0)
    assert sent(codec) == [{"type": "connection_init", "payload": {"token": "t0ken"}}]
    assert codec.events_received() == [] and not codec.ready
    codec.receive(frame(type="connection_ack", payload={"user": "x"}), 0.5)
    payload = {"query": COUNT, "variables": {"a": 1}, "operationName": "Op"}
    assert sent(codec) == [{"id": "1", "type": start_kind(proto), "payload": payload}]
    assert codec.events_received() == [Ready()]
    assert codec.ready and codec.subprotocol == proto


def test_no_init_payload_means_no_payload_key() -> None:
    codec = GraphQLCodec()
    codec.connected(MODERN, 0.0)
    assert codec.data_to_send() == ['{"type":"connection_init"}']
    codec.receive(frame(type="connection_ack"), 0.0)
    assert codec.data_to_send() == [] and codec.events_received() == [Ready()]


def test_subprotocol_restricts_the_offer() -> None:
    assert GraphQLCodec(subprotocol=LEGACY).subprotocols == (LEGACY,)
    assert GraphQLCodec(subprotocol=MODERN).subprotocols == (MODERN,)
    assert GraphQLCodec.subprotocols == (MODERN, LEGACY)  # the class is untouched
    with pytest.raises(ValueError, match="unknown GraphQL subprotocol 'graphql'"):
        GraphQLCodec(subprotocol="graphql")


def test_a_server_that_picks_no_subprotocol_fails() -> None:
    codec = GraphQLCodec(COUNT)
    codec.connected("", 0.0)
    assert codec.data_to_send() == []
    [fail] = codec.events_received()
    assert isinstance(fail, Fail) and (fail.code, fail.retry) == (1002, False)
    assert "chose no subprotocol" in fail.text and "/graphql" in fail.text


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match="need a query"):
        GraphQLCodec(variables={"a": 1})
    with pytest.raises(TypeError, match="init_payload must be a dict"):
        GraphQLCodec(init_payload="token")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="keepalive must be a positive"):
        GraphQLCodec(keepalive=0)
    with pytest.raises(ValueError, match="query is empty"):
        GraphQLCodec("  ")


def test_secrets_are_the_init_payload_strings_as_on_the_wire() -> None:
    codec = GraphQLCodec(init_payload={"token": 'a"b', "n": 1, "deep": {"k": ["é"]}, "e": ""})
    assert codec.secrets == (b'a"b', b'a\\"b', "é".encode())
    assert GraphQLCodec().secrets == ()


def test_a_repeated_ack_changes_nothing() -> None:
    codec = opened(MODERN, COUNT)
    codec.receive(frame(type="connection_ack"), 1.0)
    assert codec.data_to_send() == [] and codec.events_received() == []


def test_ack_timeout_fails_once_with_retry() -> None:
    codec = GraphQLCodec(COUNT)
    codec.connected(MODERN, 100.0)
    codec.data_to_send()
    codec.tick(109.9)
    assert codec.events_received() == []
    codec.tick(110.0)
    [fail] = codec.events_received()
    assert isinstance(fail, Fail) and (fail.code, fail.retry) == (1011, True)
    assert "did not acknowledge connection_init within 10 s" in fail.text
    codec.tick(120.0)
    assert codec.events_received() == []


# --------------------------------------------------------------------------- messages


@BOTH
def test_results_are_delivered_as_is_in_order(proto: str) -> None:
    codec = opened(proto, COUNT)
    kind = "next" if proto == MODERN else "data"
    for i in range(3):
        codec.receive(frame(id="1", type=kind, payload={"data": {"count": i}}), 1.0)
    with_errors = {"data": None, "errors": [{"message": "x", "path": ["count"]}]}
    codec.receive(frame(id="1", type=kind, payload=with_errors), 1.0)
    events = codec.events_received()
    assert [json.loads(e.data) for e in events if isinstance(e, Deliver)] == [
        *({"data": {"count": i}} for i in range(3)),
        with_errors,
    ]
    assert len(events) == 4
    codec.receive(frame(id="1", type="complete"), 1.0)
    assert codec.operations == {} and codec.events_received() == []


@BOTH
def test_an_error_is_delivered_and_a_problem_and_ends_the_operation(proto: str) -> None:
    codec = opened(proto, COUNT)
    errors = [{"message": "Unknown argument 'x'"}, {"message": "second"}]
    payload: Any = errors if proto == MODERN else errors[0]  # legacy: one error object
    codec.receive(frame(id="1", type="error", payload=payload), 1.0)
    deliver, problem = codec.events_received()
    assert isinstance(deliver, Deliver)
    assert json.loads(deliver.data) == {"errors": errors if proto == MODERN else errors[:1]}
    assert isinstance(problem, Problem)
    assert problem.text.startswith("GraphQL operation 1 failed: Unknown argument 'x'")
    assert codec.operations == {}
    codec.lost()
    codec.connected(proto, 2.0)
    codec.receive(frame(type="connection_ack"), 2.0)
    assert [m["type"] for m in sent(codec)] == ["connection_init"]  # not resubscribed


def test_a_legacy_error_without_id_is_a_problem() -> None:
    codec = opened(LEGACY, COUNT)
    codec.receive(frame(type="error", payload={"message": "bad"}), 1.0)
    [problem] = codec.events_received()
    assert problem == Problem('the GraphQL server reported an error: {"message":"bad"}')
    assert list(codec.operations) == ["1"]


def test_ping_is_answered_with_the_same_payload_and_pong_ka_are_quiet() -> None:
    codec = opened(MODERN)
    codec.receive(frame(type="ping", payload={"t": 1}), 1.0)
    codec.receive(frame(type="ping"), 1.0)
    codec.receive(frame(type="pong"), 1.0)
    assert sent(codec) == [{"type": "pong", "payload": {"t": 1}}, {"type": "pong"}]
    legacy = opened(LEGACY)
    legacy.receive(frame(type="ka"), 1.0)
    assert legacy.data_to_send() == [] and legacy.events_received() == []
    assert codec.events_received() == []


def test_connection_error_fails_without_retry() -> None:
    codec = GraphQLCodec(COUNT, subprotocol=LEGACY)
    codec.connected(LEGACY, 0.0)
    codec.receive(frame(type="connection_error", payload={"message": "bad token"}), 1.0)
    [fail] = codec.events_received()
    assert isinstance(fail, Fail) and (fail.code, fail.retry) == (1008, False)
    assert 'connection_error: {"message":"bad token"}' in fail.text and "init_payload" in fail.text
    codec.tick(30.0)  # the ack timeout is off once refused
    assert codec.events_received() == []


@pytest.mark.parametrize(
    ("proto", "data", "says"),
    [
        (MODERN, b"\x00\x01", "binary frame (2 bytes"),
        (MODERN, "not json", "not a GraphQL message"),
        (MODERN, "[1, 2]", "not a GraphQL message"),
        (MODERN, '{"id": "1"}', "not a GraphQL message"),
        (MODERN, '{"type": "surprise"}', "unknown type 'surprise'"),
        (MODERN, '{"type": "ka"}', "unknown type 'ka' for graphql-transport-ws"),
        (LEGACY, '{"type": "next", "id": "1", "payload": {}}', "unknown type 'next'"),
        (MODERN, '{"type": "connection_init"}', "unknown type 'connection_init'"),
        (MODERN, '{"type": "__init__"}', "unknown type '__init__'"),
        (MODERN, '{"type": "next", "id": "9", "payload": {}}', "operation id '9'"),
        (MODERN, '{"type": "next", "id": 1, "payload": {}}', "operation id 1,"),
        (MODERN, '{"type": "next", "id": "1", "payload": [1]}', "not an object"),
    ],
)
def test_what_is_not_a_message_is_a_problem(proto: str, data: str | bytes, says: str) -> None:
    codec = opened(proto, COUNT)
    codec.receive(data, 1.0)
    [problem] = codec.events_received()
    assert isinstance(problem, Problem) and says in problem.text, problem
    assert "ignored" in problem.text
    assert codec.data_to_send() == [] and list(codec.operations) == ["1"]


def test_long_junk_is_truncated_in_the_problem() -> None:
    codec = opened(MODERN)
    codec.receive("x" * 10_000, 1.0)
    [problem] = codec.events_received()
    assert isinstance(problem, Problem) and len(problem.text) < 400 and "…" in problem.text


# --------------------------------------------------------------------------- keepalive


def test_keepalive_pings_after_silence_and_fails_without_an_answer() -> None:
    codec = opened(MODERN, keepalive=20.0)
    codec.tick(19.0)
    assert codec.data_to_send() == []
    codec.tick(20.0)
    assert sent(codec) == [{"type": "ping"}]
    codec.tick(25.0)
    assert codec.data_to_send() == []  # one ping outstanding at a time
    codec.receive(frame(type="pong"), 26.0)  # answered: silence counts from here
    codec.tick(45.0)
    assert codec.data_to_send() == []
    codec.tick(46.0)
    assert sent(codec) == [{"type": "ping"}]
    codec.tick(55.9)
    assert codec.events_received() == []
    codec.tick(56.0)
    [fail] = codec.events_received()
    assert isinstance(fail, Fail) and (fail.code, fail.reason, fail.retry) == (
        1011,
        "keepalive timeout",
        True,
    )


def test_no_pings_on_legacy_nor_with_keepalive_none_nor_before_ready() -> None:
    for codec in (opened(LEGACY), opened(MODERN, keepalive=None)):
        codec.tick(1000.0)
        assert codec.data_to_send() == [] and codec.events_received() == []
    waiting = GraphQLCodec()
    waiting.connected(MODERN, 0.0)
    waiting.data_to_send()
    waiting.tick(9.0)
    assert waiting.data_to_send() == []


# --------------------------------------------------------------------------- operations


@BOTH
def test_operations_wait_for_the_ack_behind_the_resubscriptions(proto: str) -> None:
    codec = opened(proto, COUNT)
    short = codec.subscribe("subscription { count(to: 1) }")
    assert [m["id"] for m in sent(codec)] == ["2"]  # ready: written now
    codec.receive(frame(id=short, type="complete"), 1.0)
    codec.lost()
    assert codec.held == 0
    later = codec.subscribe("{ hello }")
    assert (later, codec.held) == ("3", 1)
    assert codec.data_to_send() == []
    codec.connected(proto, 2.0)
    assert [m["type"] for m in sent(codec)] == ["connection_init"]
    codec.receive(frame(type="connection_ack"), 2.5)
    assert [(m["type"], m["id"]) for m in sent(codec)] == [
        (start_kind(proto), "1"),  # the active one, under its id
        (start_kind(proto), "3"),  # then what was started while away; not "2" (complete)
    ]
    assert codec.held == 0 and codec.events_received() == [Ready()]


def test_hold_limit_counts_operations_waiting_for_the_handshake() -> None:
    codec = GraphQLCodec(hold_limit=2)
    codec.subscribe(COUNT)
    codec.subscribe(COUNT)
    with pytest.raises(SendQueueFull, match="2 already wait for the handshake"):
        codec.subscribe(COUNT)
    assert list(codec.operations) == ["1", "2"]


@BOTH
def test_stop_writes_complete_or_stop_and_ids_are_never_reused(proto: str) -> None:
    codec = opened(proto, COUNT)
    codec.stop("1")
    kind = "complete" if proto == MODERN else "stop"
    assert sent(codec) == [{"id": "1", "type": kind}]
    codec.receive(frame(id="1", type="next", payload={"data": {}}), 1.0)  # in flight
    codec.receive(frame(id="1", type="data", payload={"data": {}}), 1.0)
    codec.receive(frame(id="1", type="complete"), 1.0)
    events = codec.events_received()
    assert not [e for e in events if isinstance(e, Deliver)]
    assert all("unknown type" in e.text for e in events if isinstance(e, Problem))
    codec.stop("1")  # already ended: nothing
    assert codec.subscribe(COUNT) == "2"
    with pytest.raises(ValueError, match="no GraphQL operation has id '7' \\(active: 2\\)"):
        codec.stop("7")


def test_drop_held_forgets_the_operations_never_sent() -> None:
    codec = opened(MODERN, COUNT)
    codec.lost()
    codec.subscribe(COUNT)
    codec.subscribe(COUNT)
    assert (codec.drop_held(), codec.held, list(codec.operations)) == (2, 0, ["1"])
    assert codec.drop_held() == 0


def test_stop_takes_an_int_id_too() -> None:
    codec = opened(LEGACY, COUNT)
    codec.stop(1)
    assert sent(codec) == [{"id": "1", "type": "stop"}]


def test_operations_are_copied_and_checked_when_started() -> None:
    variables: dict[str, Any] = {"to": 3}
    codec = GraphQLCodec(COUNT, variables)
    variables["to"] = 4  # the user's dict changing later changes nothing
    assert codec.operations["1"]["variables"] == {"to": 3}
    for bad in ({"when": object()}, {"x": float("nan")}):
        with pytest.raises(TypeError, match="variables must be JSON values"):
            codec.subscribe(COUNT, bad)
    assert list(codec.operations) == ["1"]


def test_stop_while_away_writes_nothing_and_is_not_resubscribed() -> None:
    codec = opened(MODERN, COUNT)
    codec.lost()
    codec.stop("1")
    codec.connected(MODERN, 1.0)
    codec.receive(frame(type="connection_ack"), 1.0)
    assert [m["type"] for m in sent(codec)] == ["connection_init"]


def test_operations_is_a_read_only_copy() -> None:
    codec = GraphQLCodec(COUNT, {"to": 3})
    ops = codec.operations
    assert ops == {"1": {"query": COUNT, "variables": {"to": 3}}}
    with pytest.raises(TypeError):
        ops["2"] = {}  # type: ignore[index]
    ops["1"]["query"] = "changed"
    assert codec.operations["1"]["query"] == COUNT


# --------------------------------------------------------------------------- send()


def test_send_starts_an_operation() -> None:
    codec = opened(MODERN)
    codec.send(json.dumps({"query": COUNT, "variables": {"to": 3}, "operationName": "C"}))
    [message] = sent(codec)
    assert message == {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": COUNT, "variables": {"to": 3}, "operationName": "C"},
    }


@pytest.mark.parametrize(
    ("payload", "error", "says"),
    [
        (b"{}", TypeError, "sends a GraphQL operation: a dict"),
        ("subscription { x }", TypeError, "not the text 'subscription { x }'"),
        ("[1]", TypeError, 'a dict {"query": str'),
        ('{"variables": {}}', TypeError, 'a dict {"query": str'),
        ('{"query": "{ a }", "vars": {}}', TypeError, "unknown keys ['vars']"),
        ('{"query": 5}', TypeError, "query must be a str, not int"),
        ('{"query": "{ a }", "variables": [1]}', TypeError, "variables must be a dict"),
        ('{"query": "{ a }", "operationName": 1}', TypeError, "operationName must be a str"),
        ('{"query": " "}', ValueError, "query is empty"),
    ],
)
def test_bad_send_raises_and_queues_nothing(
    payload: str | bytes, error: type[Exception], says: str
) -> None:
    codec = opened(MODERN)
    with pytest.raises(error) as caught:
        codec.send(payload)
    assert says in str(caught.value)
    assert codec.data_to_send() == [] and codec.operations == {}
    assert codec.subscribe(COUNT) == "1"  # no id was used up


# --------------------------------------------------------------------------- Inspector


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ('{"type":"connection_init","payload":{"token":"abc"}}',
         'connection_init payload={"token":"***"}'),
        ('{"type":"connection_ack"}', "connection_ack"),
        ('{"id":"1","type":"subscribe","payload":{"query":"subscription {\\n  count(to: 3)\\n}"}}',
         "subscribe id=1 query=subscription { count(to: 3) }"),
        ('{"id":"2","type":"start","payload":{"query":"q","variables":{"a":1},"operationName":"Q"}}',
         'start id=2 query=q variables={"a":1} operationName="Q"'),
        ('{"id":"1","type":"next","payload":{"data":{"count":0}}}',
         'next id=1 {"data":{"count":0}}'),
        ('{"id":"1","type":"error","payload":[{"message":"m"}]}', 'error id=1 [{"message":"m"}]'),
        ('{"id":"1","type":"complete"}', "complete id=1"),
        ('{"type":"ping","payload":{"t":1}}', 'ping payload={"t":1}'),
        ('{"type":"ka"}', "ka"),
        ("nope", "not a GraphQL message (not JSON): 'nope'"),
        ("[]", "not a GraphQL message (no 'type'): []"),
        (b"\x00", "binary frame (1 bytes): not a GraphQL message"),
    ],
)  # fmt: skip
def test_describe(data: str | bytes, text: str) -> None:
    assert GraphQLCodec().describe(data) == text


def test_describe_masks_secrets_anywhere_and_cuts_long_frames() -> None:
    codec = GraphQLCodec(init_payload={"token": "s3cret"})
    codec.connected(MODERN, 0.0)
    [init] = codec.data_to_send()
    assert "s3cret" in init and codec.describe(init) == 'connection_init payload={"token":"***"}'
    echoed = frame(id="1", type="next", payload={"data": {"who": "s3cret"}})
    assert codec.describe(echoed) == 'next id=1 {"data":{"who":"***"}}'
    long = frame(id="1", type="next", payload={"data": "x" * 5000})
    assert len(codec.describe(long)) <= 400


def test_outgoing_is_the_operation_of_subscribe_frames_only() -> None:
    codec = GraphQLCodec(COUNT, {"to": 3}, operation_name="C", init_payload={"token": "t"})
    codec.connected(LEGACY, 0.0)
    codec.receive(frame(type="connection_ack"), 0.0)
    init, start = codec.data_to_send()
    assert codec.outgoing(init) is None
    assert json.loads(codec.outgoing(start) or "") == {
        "id": "1",
        "query": COUNT,
        "variables": {"to": 3},
        "operationName": "C",
    }
    for other in ['{"type":"pong"}', '{"id":"1","type":"stop"}', "junk", b"\x00", "[]"]:
        assert codec.outgoing(other) is None


# --------------------------------------------------------------------------- properties

QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
queries = st.text(min_size=1, max_size=60).filter(lambda q: q.strip() != "")
variables = st.none() | st.dictionaries(st.text(max_size=6), json_values, max_size=4)
names = st.none() | st.text(max_size=12)
TYPES = ["connection_ack", "connection_error", "next", "data", "error", "complete", "ping"]
TYPES += ["pong", "ka", "subscribe", "start", "stop", "connection_init", "other"]
messages = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES) | st.text(max_size=8)},
    optional={"id": st.sampled_from(["1", "2", "3", "9"]) | json_values, "payload": json_values},
).map(json.dumps)
incoming = st.text(max_size=200) | st.binary(max_size=200) | json_values.map(json.dumps) | messages


@QUICK
@given(st.sampled_from([MODERN, LEGACY]), queries, variables, names)
def test_operations_round_trip(proto: str, query: str, vars_: Any, name: str | None) -> None:
    codec = GraphQLCodec(query, vars_, operation_name=name)
    codec.connected(proto, 0.0)
    codec.receive(frame(type="connection_ack"), 0.0)
    _, subscribe = codec.data_to_send()
    expected: dict[str, Any] = {"id": "1", "query": query}
    if vars_ is not None:
        expected["variables"] = vars_
    if name is not None:
        expected["operationName"] = name
    assert json.loads(codec.outgoing(subscribe) or "") == expected
    assert codec.operations["1"] == {k: v for k, v in expected.items() if k != "id"}
    assert isinstance(codec.describe(subscribe), str)


@QUICK
@given(st.sampled_from([MODERN, LEGACY]), st.dictionaries(st.text(max_size=6), json_values))
def test_results_round_trip(proto: str, payload: dict[str, Any]) -> None:
    codec = opened(proto, COUNT)
    codec.receive(frame(id="1", type="next" if proto == MODERN else "data", payload=payload), 1)
    assert [json.loads(e.data) for e in codec.events_received() if isinstance(e, Deliver)] == [
        payload
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([MODERN, LEGACY]), st.booleans(), st.lists(incoming, max_size=8))
def test_anything_received_never_raises(proto: str, ack: bool, frames: list[Any]) -> None:
    codec = opened(proto, COUNT) if ack else GraphQLCodec(COUNT)
    if not ack:
        codec.connected(proto, 0.0)
        codec.data_to_send()
    for message in feed_anything(codec, frames):
        assert isinstance(message, dict)
    for out in codec.data_to_send():
        assert json.loads(out)["type"] in ("pong", "subscribe", "start")


def test_closing_says_connection_terminate_on_the_legacy_protocol_only() -> None:
    legacy = opened(LEGACY, COUNT)
    legacy.closing()
    assert [json.loads(f) for f in legacy.data_to_send()] == [{"type": "connection_terminate"}]
    modern = opened(MODERN, COUNT)
    modern.closing()
    assert modern.data_to_send() == []
