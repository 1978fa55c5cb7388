"""The MQTT 3.1.1 codec, driven by hand-written packets (no network): protocols/mqtt*.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codec_checks import feed_anything
from ipywebsockets.exceptions import SendQueueFull
from ipywebsockets.protocols.base import Deliver, Event, Fail, Problem, Ready
from ipywebsockets.protocols.mqtt import MQTTCodec
from ipywebsockets.protocols.mqtt_packets import (
    PUBACK,
    PUBCOMP,
    PUBREC,
    PUBREL,
    UNSUBACK,
    Ack,
    Connack,
    Connect,
    PacketReader,
    Publish,
    Suback,
    Subscribe,
    Unsubscribe,
    encode,
)
from ipywebsockets.protocols.mqtt_topics import (
    check_filter,
    check_topic,
    payload_bytes,
    payload_value,
)

CONNACK_OK = b"\x20\x02\x00\x00"
PINGREQ, PINGRESP = b"\xc0\x00", b"\xd0\x00"


def packets(frames: list[str | bytes]) -> list[Any]:
    reader = PacketReader()
    out: list[Any] = []
    for frame in frames:
        assert isinstance(frame, bytes), frame
        out += reader.feed(frame)
    assert reader.pending == 0
    return out


def ready_codec(*args: Any, **kw: Any) -> MQTTCodec:
    """A codec whose connection is open and acknowledged, its output drained."""
    kw.setdefault("client_id", "me")
    codec = MQTTCodec(*args, **kw)
    codec.connected("mqtt", 0.0)
    codec.receive(CONNACK_OK, 0.1)
    codec.data_to_send()
    assert codec.events_received() == [Ready()]
    return codec


def delivered(events: list[Event]) -> list[Any]:
    return [json.loads(e.data) for e in events if isinstance(e, Deliver)]


def only_fail(events: list[Event]) -> Fail:
    fails = [e for e in events if isinstance(e, Fail)]
    assert len(fails) == 1, events
    return fails[0]


# --------------------------------------------------------------------------- handshake


def test_connect_bytes_and_fields() -> None:
    codec = MQTTCodec(client_id="c1", keepalive=30)
    codec.connected("mqtt", 0.0)
    [frame] = codec.data_to_send()
    assert frame == b"\x10\x0e\x00\x04MQTT\x04\x02\x00\x1e\x00\x02c1"
    creds = MQTTCodec(client_id="c1", username="u", password="p", clean_session=False)
    creds.connected("mqtt", 0.0)
    assert packets(creds.data_to_send()) == [Connect("c1", 60, False, "u", b"p")]
    assert creds.secrets == (b"u", b"p")


def test_generated_client_ids_differ() -> None:
    a, b = MQTTCodec(), MQTTCodec()
    assert a.client_id.startswith("ipywebsockets-") and a.client_id != b.client_id


def test_connack_subscribes_to_every_filter_then_releases_what_was_held() -> None:
    codec = MQTTCodec({"a/#": 1, "b/+/c": 0}, client_id="me")
    codec.publish("x", "early")
    assert codec.held == 1
    codec.connected("mqtt", 0.0)
    codec.data_to_send()
    codec.receive(CONNACK_OK, 0.5)
    assert packets(codec.data_to_send()) == [
        Subscribe(1, (("a/#", 1), ("b/+/c", 0))),
        Publish("x", b"early"),
    ]
    assert codec.events_received() == [Ready()] and codec.ready and codec.held == 0


def test_no_subscribe_without_filters() -> None:
    codec = MQTTCodec(client_id="me")
    codec.connected("mqtt", 0.0)
    codec.data_to_send()
    codec.receive(CONNACK_OK, 0.5)
    assert codec.data_to_send() == []


@pytest.mark.parametrize(
    ("rc", "words", "retry"),
    [
        (1, "protocol version", False),
        (2, "client_id=", False),
        (3, "retried", True),
        (4, "password", False),
        (5, "not authorized", False),
        (9, "unknown", False),
    ],
)
def test_refused_connack_fails(rc: int, words: str, retry: bool) -> None:
    codec = MQTTCodec(client_id="me")
    codec.connected("mqtt", 0.0)
    codec.receive(bytes([0x20, 2, 0, rc]), 0.5)
    fail = only_fail(codec.events_received())
    assert (fail.code, fail.retry) == (1008, retry)
    assert f"rc={rc}" in fail.text and words in fail.text
    assert not codec.ready


def test_no_connack_within_10_s_fails_with_retry() -> None:
    codec = MQTTCodec(client_id="me")
    codec.connected("mqtt", 100.0)
    codec.tick(109.5)
    assert codec.events_received() == []
    codec.tick(110.0)
    fail = only_fail(codec.events_received())
    assert (fail.code, fail.retry) == (1011, True) and "CONNACK" in fail.text
    codec.tick(111.0)  # reported once
    assert codec.events_received() == []


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        (b"\x30\x05\x00\x01aok", "first packet"),  # a PUBLISH before CONNACK
        (b"\x00\x00", "reserved"),
        (b"\x22\x02\x00\x00", "flags"),
        (b"\x20\x03\x00\x00\x00", "body"),
        (b"\x20\xff\xff\xff\xff\x01", "4 bytes"),
    ],
)
def test_malformed_or_unexpected_packets_fail_1002(frame: bytes, words: str) -> None:
    codec = MQTTCodec(client_id="me")
    codec.connected("mqtt", 0.0)
    codec.receive(frame, 0.1)
    fail = only_fail(codec.events_received())
    assert fail.code == 1002 and words in fail.text, fail.text
    codec.receive(CONNACK_OK, 0.2)  # ignored after the failure
    assert codec.events_received() == [] and not codec.ready


def test_text_frame_fails() -> None:
    codec = ready_codec()
    codec.receive("hello", 1.0)
    fail = only_fail(codec.events_received())
    assert fail.code == 1002 and "binary" in fail.text


# --------------------------------------------------------------------------- incoming


def test_packets_split_across_frames_and_several_in_one() -> None:
    codec = MQTTCodec(client_id="me")
    codec.connected("mqtt", 0.0)
    one = encode(Publish("t/1", b'{"v": 1}'))
    two = encode(Publish("t/2", b"plain"))
    stream = CONNACK_OK + one + two
    for i in range(0, len(stream), 3):
        codec.receive(stream[i : i + 3], 0.1)
    events = codec.events_received()
    assert events[0] == Ready()
    assert delivered(events) == [
        {"topic": "t/1", "payload": {"v": 1}, "qos": 0, "retain": False},
        {"topic": "t/2", "payload": "plain", "qos": 0, "retain": False},
    ]


def test_payloads_json_text_or_base64() -> None:
    codec = ready_codec()
    for payload in (b"21.5", b'"quoted"', b"NaN", b"", b"\xff\xfe"):
        codec.receive(encode(Publish("p", payload, retain=True)), 1.0)
    got = [m["payload"] for m in delivered(codec.events_received())]
    assert got == [21.5, "quoted", "NaN", "", {"base64": "//4="}]


def test_incoming_qos1_acked_and_qos2_delivered_once() -> None:
    codec = ready_codec()
    codec.receive(encode(Publish("q/1", b"1", qos=1, packet_id=7)), 1.0)
    assert packets(codec.data_to_send()) == [Ack(PUBACK, 7)]
    codec.receive(encode(Publish("q/2", b"2", qos=2, packet_id=8)), 1.0)
    codec.receive(encode(Publish("q/2", b"2", qos=2, dup=True, packet_id=8)), 1.0)
    assert packets(codec.data_to_send()) == [Ack(PUBREC, 8), Ack(PUBREC, 8)]
    codec.receive(encode(Ack(PUBREL, 8)), 1.0)
    assert packets(codec.data_to_send()) == [Ack(PUBCOMP, 8)]
    assert [(m["topic"], m["qos"]) for m in delivered(codec.events_received())] == [
        ("q/1", 1),
        ("q/2", 2),
    ]
    codec.receive(encode(Publish("q/2", b"again", qos=2, packet_id=8)), 1.0)  # id free again
    assert len(delivered(codec.events_received())) == 1


def test_refused_subscription_is_a_problem_and_is_dropped() -> None:
    codec = MQTTCodec(["ok/#", "secret/#"], client_id="me")
    codec.connected("mqtt", 0.0)
    codec.receive(CONNACK_OK, 0.1)
    codec.receive(encode(Suback(1, (0, 0x80))), 0.2)
    events = codec.events_received()
    [problem] = [e for e in events if isinstance(e, Problem)]
    assert "refused the subscription to 'secret/#'" in problem.text
    assert codec.subscriptions == {"ok/#": 0}


def test_suback_with_wrong_count_fails() -> None:
    codec = MQTTCodec(["a", "b"], client_id="me")
    codec.connected("mqtt", 0.0)
    codec.receive(CONNACK_OK + encode(Suback(1, (0,))), 0.1)
    assert only_fail(codec.events_received()).code == 1002


# --------------------------------------------------------------------------- outgoing


def test_qos1_kept_until_puback_and_resent_with_dup() -> None:
    codec = ready_codec("s/#")  # SUBSCRIBE took id 1
    codec.publish("t", {"n": 1}, qos=1)
    assert packets(codec.data_to_send()) == [Publish("t", b'{"n":1}', 1, packet_id=2)]
    codec.lost()
    codec.connected("mqtt", 5.0)
    codec.data_to_send()
    codec.receive(CONNACK_OK, 5.1)
    assert packets(codec.data_to_send()) == [
        Subscribe(3, (("s/#", 0),)),
        Publish("t", b'{"n":1}', 1, dup=True, packet_id=2),
    ]
    codec.receive(encode(Ack(PUBACK, 2)), 5.2)
    codec.lost()
    codec.connected("mqtt", 9.0)
    codec.data_to_send()
    codec.receive(CONNACK_OK, 9.1)
    assert packets(codec.data_to_send()) == [Subscribe(4, (("s/#", 0),))]


def test_qos2_flow_and_pubrel_resent_after_reconnect() -> None:
    codec = ready_codec()
    codec.publish("t", b"x", qos=2)
    assert packets(codec.data_to_send()) == [Publish("t", b"x", 2, packet_id=1)]
    codec.receive(encode(Ack(PUBREC, 1)), 1.0)
    assert packets(codec.data_to_send()) == [Ack(PUBREL, 1)]
    codec.lost()
    codec.connected("mqtt", 2.0)
    codec.data_to_send()
    codec.receive(CONNACK_OK, 2.1)
    assert packets(codec.data_to_send()) == [Ack(PUBREL, 1)]
    codec.receive(encode(Ack(PUBCOMP, 1)), 2.2)
    codec.publish("t", b"y", qos=2)
    assert packets(codec.data_to_send()) == [Publish("t", b"y", 2, packet_id=2)]


def test_held_qos1_publish_is_sent_once_without_dup() -> None:
    codec = MQTTCodec(client_id="me")
    codec.publish("t", "held", qos=1)
    codec.connected("mqtt", 0.0)
    codec.data_to_send()
    codec.receive(CONNACK_OK, 0.1)
    assert packets(codec.data_to_send()) == [Publish("t", b"held", 1, packet_id=1)]


def test_packet_ids_wrap_and_skip_ids_in_use() -> None:
    codec = ready_codec()
    codec.publish("t", "first", qos=1)  # id 1, never acknowledged
    codec._last_id = 65534
    codec.publish("t", "a", qos=1)
    codec.publish("t", "b", qos=1)
    ids = [p.packet_id for p in packets(codec.data_to_send())]
    assert ids == [1, 65535, 2]


def test_subscribe_and_unsubscribe_while_connected() -> None:
    codec = ready_codec("a/#")
    codec.subscribe(["b/+", "c"], qos=1)
    codec.unsubscribe("a/#")
    assert packets(codec.data_to_send()) == [
        Subscribe(2, (("b/+", 1), ("c", 1))),
        Unsubscribe(3, ("a/#",)),
    ]
    assert codec.subscriptions == {"b/+": 1, "c": 1}
    codec.receive(encode(Suback(1, (0,))) + encode(Suback(2, (1, 1))), 1.0)
    codec.receive(encode(Ack(UNSUBACK, 3)), 1.0)
    assert codec.events_received() == [] and not codec._requests


def test_subscribe_while_away_waits_for_the_connection() -> None:
    codec = MQTTCodec(client_id="me")
    codec.subscribe({"late/#": 2})
    assert codec.data_to_send() == []
    codec.connected("mqtt", 0.0)
    codec.receive(CONNACK_OK, 0.1)
    assert packets(codec.data_to_send())[1:] == [Subscribe(1, (("late/#", 2),))]


@pytest.mark.parametrize("bad", ["a/#/b", "a#", "a/b+", "+a", "", "a\x00b"])
def test_bad_filters(bad: str) -> None:
    with pytest.raises(ValueError, match="filter"):
        MQTTCodec(bad)
    with pytest.raises(ValueError):
        ready_codec().subscribe(bad)


@pytest.mark.parametrize("good", ["#", "+", "a/+/b", "/", "+/+", "a//b", "a/#", "$SYS/#"])
def test_good_filters(good: str) -> None:
    assert check_filter(good) == good


def test_publish_checks() -> None:
    codec = ready_codec()
    with pytest.raises(ValueError, match="NaN"):
        codec.publish("a", [float("nan")])
    with pytest.raises(TypeError, match="JSON value"):
        codec.publish("a", object())
    with pytest.raises(ValueError, match="wildcards"):
        codec.publish("a/+", 1)
    with pytest.raises(ValueError, match="empty"):
        codec.publish("", 1)
    with pytest.raises(ValueError, match="QoS"):
        codec.publish("a", 1, qos=3)
    with pytest.raises(TypeError, match="str"):
        check_topic(5)  # type: ignore[arg-type]
    assert codec.data_to_send() == []


def test_send_publishes_the_received_shape() -> None:
    codec = ready_codec()
    codec.send(json.dumps({"topic": "a", "payload": {"x": 1}, "qos": 1, "retain": True}))
    codec.send(json.dumps({"topic": "b", "payload": "text"}))
    codec.send(json.dumps({"topic": "c", "payload": {"base64": "/wA="}}))
    assert packets(codec.data_to_send()) == [
        Publish("a", b'{"x":1}', 1, True, packet_id=1),
        Publish("b", b"text"),
        Publish("c", b"\xff\x00"),
    ]


@pytest.mark.parametrize(
    ("payload", "error", "words"),
    [
        (b"\x00", TypeError, "not bytes"),
        ("not json", TypeError, '"topic": str'),
        ("[1, 2]", TypeError, '"topic": str'),
        ('{"payload": 1}', TypeError, '"topic": str'),
        ('{"topic": "a"}', TypeError, "no 'payload'"),
        ('{"topic": "a", "payload": 1, "extra": 2}', TypeError, "extra"),
        ('{"topic": "a", "payload": 1, "retain": "yes"}', TypeError, "retain"),
        ('{"topic": "a", "payload": 1, "qos": 5}', ValueError, "QoS"),
        ('{"topic": "a/#", "payload": 1}', ValueError, "wildcards"),
        ('{"topic": "a", "payload": {"base64": "!!"}}', ValueError, "base64"),
    ],
)
def test_send_rejects_other_shapes(
    payload: str | bytes, error: type[Exception], words: str
) -> None:
    codec = MQTTCodec(client_id="me")
    with pytest.raises(error, match=words):
        codec.send(payload)
    assert codec.held == 0 and not codec._outgoing


def test_hold_limit() -> None:
    codec = MQTTCodec(client_id="me", hold_limit=2)
    codec.publish("t", 1, qos=1)
    codec.publish("t", 2)
    with pytest.raises(SendQueueFull, match="handshake"):
        codec.publish("t", 3, qos=1)
    assert codec.held == 2 and list(codec._outgoing) == [1]


# --------------------------------------------------------------------------- keepalive


def test_keepalive_pings_when_idle_and_fails_without_answer() -> None:
    codec = ready_codec(keepalive=10)  # ready at 0.1
    codec.tick(1.0)
    codec.tick(5.0)
    assert codec.data_to_send() == []
    codec.tick(6.0)  # 5 s without writing
    assert codec.data_to_send() == [PINGREQ]
    codec.receive(PINGRESP, 6.5)
    codec.tick(7.0)
    codec.tick(11.0)
    assert codec.data_to_send() == []
    codec.tick(12.0)
    assert codec.data_to_send() == [PINGREQ]
    codec.tick(21.0)
    assert codec.events_received() == []
    codec.tick(22.0)  # 10 s after the PINGREQ, nothing came
    fail = only_fail(codec.events_received())
    assert (fail.code, fail.retry) == (1011, True) and "PINGREQ" in fail.text


def test_writing_postpones_the_ping_and_keepalive_0_never_pings() -> None:
    codec = ready_codec(keepalive=10)
    codec.tick(4.0)
    codec.publish("t", 1)
    codec.tick(5.0)  # saw the write
    codec.tick(9.0)
    assert codec.data_to_send() == [encode(Publish("t", b"1"))]
    codec.tick(10.0)
    assert codec.data_to_send() == [PINGREQ]
    quiet = ready_codec(keepalive=0)
    for now in range(1, 500, 7):
        quiet.tick(float(now))
    assert quiet.data_to_send() == [] and quiet.events_received() == []


# --------------------------------------------------------------------------- Inspector, history


def test_describe() -> None:
    codec = MQTTCodec(client_id="me", username="u", password="pw")
    connect = encode(Connect("me", 60, True, "u", b"pw"))
    assert (
        codec.describe(connect)
        == "CONNECT client_id=me keepalive=60 clean username=*** password=***"
    )
    assert codec.describe(CONNACK_OK) == "CONNACK rc=0 (accepted)"
    subscribe = encode(Subscribe(1, (("sensors/#", 0), ("a/+", 1))))
    assert codec.describe(subscribe) == "SUBSCRIBE id=1 sensors/# (qos 0), a/+ (qos 1)"
    publish = encode(Publish("sensors/t1", b'{"t":21.5}', 1, True, packet_id=3))
    assert codec.describe(publish) == 'PUBLISH sensors/t1 qos=1 id=3 retain {"t": 21.5}'
    assert codec.describe(PINGREQ + PINGRESP) == "PINGREQ; PINGRESP"
    assert codec.describe(encode(Suback(4, (1, 0x80)))) == "SUBACK id=4 qos 1, refused"
    assert codec.describe(encode(Ack(PUBREL, 9))) == "PUBREL id=9"
    assert codec.describe(encode(Publish("b", b"\xff"))) == "PUBLISH b qos=0 <1 bytes, binary>"
    assert codec.describe(publish[:5]) == "partial packet (5 of 26 bytes)"
    assert (
        codec.describe(CONNACK_OK + publish[:1])
        == "CONNACK rc=0 (accepted); partial packet (1 bytes, its length not yet known)"
    )
    hunter = MQTTCodec(username="u", password="hunter2")
    said = encode(Publish("t", b'"hunter2 is u"'))
    assert hunter.describe(said) == 'PUBLISH t qos=0 "*** is u"'
    assert "binary frames" in codec.describe("text")
    assert codec.describe(b"\x00\x00").startswith("malformed MQTT packet")


def test_outgoing() -> None:
    codec = ready_codec()
    codec.publish("a/b", [1, 2], qos=1, retain=True)
    [frame] = codec.data_to_send()
    assert json.loads(codec.outgoing(frame) or "") == {
        "topic": "a/b",
        "payload": [1, 2],
        "qos": 1,
        "retain": True,
    }
    for other in (CONNACK_OK, PINGREQ, encode(Subscribe(1, (("a", 0),))), "text", b"", b"\x30"):
        assert codec.outgoing(other) is None


# --------------------------------------------------------------------------- properties

QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00+#"),
    min_size=1,
    max_size=30,
)
levels = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00+#/"), max_size=8
)
filters = (
    st.lists(levels | st.just("+"), min_size=1, max_size=5)
    .flatmap(lambda parts: st.sampled_from(["/".join(parts), "/".join(parts) + "/#"]))
    .filter(bool)
)
ids = st.integers(1, 65535)
qos = st.integers(0, 2)
publishes = st.builds(
    lambda topic, payload, level, retain, dup, packet_id: Publish(
        topic, payload, level, retain, dup and level > 0, packet_id if level else None
    ),
    names,
    st.binary(max_size=300),
    qos,
    st.booleans(),
    st.booleans(),
    ids,
)
any_packet = st.one_of(
    st.builds(
        Connect,
        names,
        st.integers(0, 65535),
        st.booleans(),
        st.none() | names,
        st.none() | st.binary(max_size=40),
    ),
    st.builds(Connack, st.integers(0, 255), st.booleans()),
    publishes,
    st.builds(Ack, st.sampled_from([PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK]), ids),
    st.builds(Subscribe, ids, st.lists(st.tuples(filters, qos), min_size=1, max_size=4).map(tuple)),
    st.builds(Suback, ids, st.lists(st.sampled_from([0, 1, 2, 0x80]), min_size=1).map(tuple)),
    st.builds(Unsubscribe, ids, st.lists(filters, min_size=1, max_size=4).map(tuple)),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=15,
)


@QUICK
@given(st.lists(any_packet, min_size=1, max_size=5), st.data())
def test_packets_round_trip_in_any_chunking(sent: list[Any], data: st.DataObject) -> None:
    stream = b"".join(encode(p) for p in sent)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    reader = PacketReader()
    got: list[Any] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got += reader.feed(stream[start:end])
    assert got == sent and reader.pending == 0
    assert all(MQTTCodec(client_id="x").describe(encode(p)) for p in sent)


@QUICK
@given(st.lists(filters, min_size=1, max_size=3))
def test_generated_filters_are_accepted(generated: list[str]) -> None:
    codec = ready_codec(generated)
    assert set(codec.subscriptions) == set(generated)


@QUICK
@given(json_values)
def test_json_payloads_round_trip(value: Any) -> None:
    assert payload_value(payload_bytes(value)) == value


@QUICK
@given(st.lists(st.binary(max_size=40) | st.text(max_size=10), max_size=6), st.booleans())
def test_any_frames_never_raise(frames: list[str | bytes], acknowledged: bool) -> None:
    codec = MQTTCodec(["a/#"], client_id="me", keepalive=4)
    codec.connected("mqtt", 0.0)
    if acknowledged:
        codec.receive(CONNACK_OK, 0.1)
    for message in feed_anything(codec, frames):
        assert set(message) == {"topic", "payload", "qos", "retain"}
    assert all(isinstance(f, bytes) for f in codec.data_to_send())


def test_after_a_failure_publishes_are_held_for_the_next_connection() -> None:
    codec = ready_codec(keepalive=2)
    codec.tick(1.0)
    codec.tick(2.0)  # PINGREQ
    codec.tick(4.0)  # no answer: Fail
    assert only_fail(codec.events_received()).code == 1011
    codec.data_to_send()
    codec.publish("t", "after")
    assert codec.data_to_send() == [] and codec.held == 1
    codec.lost()
    codec.connected("mqtt", 5.0)
    codec.receive(CONNACK_OK, 5.1)
    assert packets(codec.data_to_send())[1:] == [Publish("t", b"after")]


def test_drop_held_forgets_unsent_qos_messages_but_keeps_sent_ones() -> None:
    codec = ready_codec()
    codec.publish("t", "sent", qos=1)  # id 1, unacknowledged
    codec.data_to_send()
    codec.lost()
    codec.publish("t", "held", qos=1)  # id 2, never sent
    codec.publish("t", "held too")
    assert codec.drop_held() == 2 and codec.held == 0
    codec.connected("mqtt", 1.0)
    codec.receive(CONNACK_OK, 1.1)
    assert packets(codec.data_to_send())[1:] == [Publish("t", b"sent", 1, dup=True, packet_id=1)]


def test_closing_writes_disconnect_once_connected() -> None:
    codec = ready_codec("a/#")
    codec.closing()
    assert codec.data_to_send() == [b"\xe0\x00"]
    before = MQTTCodec(client_id="me")
    before.closing()  # no CONNACK yet: nothing to say goodbye to
    assert before.data_to_send() == []
