"""The Socket.IO codec driven by hand-written Engine.IO / Socket.IO frames (no network).

The frames are those python-socketio 5.18 writes (seen against the real server
in tests/thirdparty/test_socketio.py); the properties round-trip packets and
feed arbitrary frames and sends.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codec_checks import feed_anything
from ipywebsockets.exceptions import SendQueueFull
from ipywebsockets.protocols.base import Deliver, Event, Fail, Problem, ProtocolError, Ready
from ipywebsockets.protocols.socketio import RESERVED_EVENTS, SocketIOCodec
from ipywebsockets.protocols.socketio_wire import (
    Packet,
    attach,
    decode_packet,
    encode_packet,
    reattach,
)

OPEN = '0{"sid":"e1","upgrades":[],"pingTimeout":5000,"pingInterval":2000,"maxPayload":1000000}'
PH0 = '{"_placeholder":true,"num":0}'  # a binary packet's placeholder for attachment 0
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def delivered(codec: SocketIOCodec) -> list[Any]:
    return [json.loads(e.data) for e in codec.events_received() if isinstance(e, Deliver)]


def opened(codec: SocketIOCodec, now: float = 0.0) -> list[str | bytes]:
    """connected() and the server's open: the frames the codec wrote (its CONNECT)."""
    codec.connected("", now)
    assert codec.data_to_send() == []  # the server speaks first
    codec.receive(OPEN, now)
    return codec.data_to_send()


def ready(codec: SocketIOCodec, now: float = 0.0) -> SocketIOCodec:
    opened(codec, now)
    ns = "" if codec.namespace == "/" else codec.namespace + ","
    codec.receive(f'40{ns}{{"sid":"s1"}}', now)
    assert codec.ready
    assert Ready() in codec.events_received()
    return codec


def only(events: list[Event], kind: type) -> Any:
    found = [e for e in events if isinstance(e, kind)]
    assert len(found) == 1, events
    return found[0]


# -- the URL -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h:8000", "ws://h:8000/socket.io/?EIO=4&transport=websocket"),
        ("https://h", "wss://h/socket.io/?EIO=4&transport=websocket"),
        ("ws://h:1/", "ws://h:1/socket.io/?EIO=4&transport=websocket"),
        ("wss://h/socket.io/?token=abc", "wss://h/socket.io/?EIO=4&transport=websocket&token=abc"),
        (
            "http://h/socket.io?EIO=4&transport=polling&a=1",
            "ws://h/socket.io/?EIO=4&transport=websocket&a=1",
        ),
    ],
)
def test_target_makes_the_engine_io_url(url: str, expected: str) -> None:
    assert SocketIOCodec().target(url) == expected


def test_target_takes_another_path_through_path() -> None:
    codec = SocketIOCodec(path="/api/sio/")
    assert codec.target("http://h/api/sio") == "ws://h/api/sio/?EIO=4&transport=websocket"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://h", "http://, https://, ws:// or wss://"),
        ("h:8000", "http://, https://"),
        ("http://h/chat", "path='chat'"),
        ("http://h/?EIO=3", "EIO=4"),
    ],
)
def test_target_refuses_with_what_to_pass(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("?", r"\?")):
        SocketIOCodec().target(url)


def test_constructor_checks_namespace_and_auth() -> None:
    with pytest.raises(ValueError, match='start with "/"'):
        SocketIOCodec("chat")
    with pytest.raises(TypeError, match="auth must be a dict"):
        SocketIOCodec(auth="token")  # type: ignore[arg-type]


# -- the handshake ------------------------------------------------------------------------


def test_handshake_connects_the_namespace_with_auth() -> None:
    codec = SocketIOCodec(auth={"token": "s3cret", "n": 1})
    assert opened(codec) == ['40{"token":"s3cret","n":1}']
    assert codec.engine_sid == "e1" and codec.max_payload == 1_000_000
    assert not codec.ready
    codec.receive('40{"sid":"abc"}', 0.0)
    assert codec.ready and codec.sid == "abc"
    assert codec.events_received() == [Ready()]
    assert codec.secrets == (b"s3cret",)


def test_handshake_of_another_namespace() -> None:
    assert opened(SocketIOCodec("/chat")) == ["40/chat,"]
    assert opened(SocketIOCodec("/chat", auth={"k": "v"})) == ['40/chat,{"k":"v"}']


def test_events_before_the_connect_answer_come_after_ready() -> None:
    """python-socketio sends what its connect handler emits before its CONNECT answer."""
    codec = SocketIOCodec()
    opened(codec)
    codec.receive('42["welcome",{"sid":"s1"}]', 0.0)
    assert codec.events_received() == []
    codec.receive('40{"sid":"s1"}', 0.0)
    events = codec.events_received()
    assert events[0] == Ready()
    assert [json.loads(e.data) for e in events[1:]] == [  # type: ignore[union-attr]
        {"event": "welcome", "args": [{"sid": "s1"}]}
    ]


def test_a_server_that_is_not_socket_io_fails() -> None:
    codec = SocketIOCodec()
    codec.connected("", 0.0)
    codec.receive('{"hello": 1}', 0.0)
    fail = only(codec.events_received(), Fail)
    assert fail.code == 1002 and not fail.retry
    assert "not an Engine.IO open packet" in fail.text and "/socket.io/" in fail.text


@pytest.mark.parametrize(
    "frame",
    [
        '0{"sid":"x"}',
        "0[]",
        '0{"pingInterval":Infinity,"pingTimeout":1}',
        '0{"pingInterval":1,"pingTimeout":1,"maxPayload":"big"}',
        "0" + "[" * 5000,
    ],
)
def test_a_bad_open_packet_fails(frame: str) -> None:
    codec = SocketIOCodec()
    codec.connected("", 0.0)
    codec.receive(frame, 0.0)
    fail = only(codec.events_received(), Fail)
    assert fail.code == 1002 and "pingInterval" in fail.text


def test_deep_nesting_is_a_problem_not_an_exception() -> None:
    codec = ready(SocketIOCodec())
    codec.receive('42["x",' + "[" * 5000 + "]" * 5000 + "]", 0.0)
    assert "malformed" in only(codec.events_received(), Problem).text
    with pytest.raises(ValueError, match="nested too deep"):
        codec.send("[" * 5000 + "]" * 5000)


def test_no_timeouts_between_connections() -> None:
    codec = ready(SocketIOCodec())
    codec.lost()
    codec.tick(1000.0)
    assert codec.events_received() == []


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        ('44{"message":"bad token"}', "bad token"),
        ('44"Unable to connect"', "Unable to connect"),  # python-socketio: unknown namespace
    ],
)
def test_connect_error_fails_with_the_servers_message(frame: str, says: str) -> None:
    codec = SocketIOCodec()
    opened(codec)
    codec.receive(frame, 0.0)
    fail = only(codec.events_received(), Fail)
    assert (fail.code, fail.retry) == (1008, False)
    assert says in fail.text and "auth=" in fail.text
    codec.tick(100.0)  # failed once: no second Fail
    assert codec.events_received() == []


# -- keepalive and timeouts -------------------------------------------------------------


def test_ping_pong_and_the_ping_timeout() -> None:
    codec = ready(SocketIOCodec(), now=0.0)
    codec.receive("2", 5.0)
    assert codec.data_to_send() == ["3"]
    codec.tick(11.9)  # 5 + pingInterval 2 + pingTimeout 5 = 12
    assert codec.events_received() == []
    codec.tick(12.5)
    fail = only(codec.events_received(), Fail)
    assert (fail.code, fail.retry) == (1011, True)
    assert "no ping" in fail.text and "reconnecting" in fail.text
    codec.tick(13.5)
    assert codec.events_received() == []


def test_no_open_within_10_s_fails_and_retries() -> None:
    codec = SocketIOCodec()
    codec.connected("", 100.0)
    codec.tick(109.0)
    assert codec.events_received() == []
    codec.tick(110.5)
    fail = only(codec.events_received(), Fail)
    assert (fail.code, fail.retry) == (1011, True) and "open packet" in fail.text


def test_no_connect_answer_within_10_s_fails_and_retries() -> None:
    codec = SocketIOCodec("/slow")
    opened(codec, now=0.0)
    codec.receive("2", 9.0)
    codec.tick(10.5)
    fail = only(codec.events_received(), Fail)
    assert (fail.code, fail.retry) == (1011, True) and "'/slow'" in fail.text


def test_engine_io_close_fails_with_1000_and_retries() -> None:
    codec = ready(SocketIOCodec())
    codec.receive("1", 0.0)
    fail = only(codec.events_received(), Fail)
    assert (fail.code, fail.retry) == (1000, True) and "closed the session" in fail.text


# -- what the server sends --------------------------------------------------------------


def test_events_acks_and_requests_for_acks() -> None:
    codec = ready(SocketIOCodec())
    codec.receive('42["tick",{"n":0}]', 0.0)
    codec.receive("431[3]", 0.0)
    codec.receive('427["question","q?"]', 0.0)
    codec.receive('42["many",1,"two",null]', 0.0)
    assert delivered(codec) == [
        {"event": "tick", "args": [{"n": 0}]},
        {"ack": 1, "args": [3]},
        {"event": "question", "args": ["q?"], "ack": 7},
        {"event": "many", "args": [1, "two", None]},
    ]


def test_only_the_codecs_namespace_is_delivered() -> None:
    codec = ready(SocketIOCodec("/chat"))
    codec.receive('42/chat,["said",{"text":"hi"}]', 0.0)
    codec.receive('42["root-event"]', 0.0)
    codec.receive('42["root-event"]', 0.0)
    codec.receive('43/chat,2["ok"]', 0.0)
    events = codec.events_received()
    assert [json.loads(e.data) for e in events if isinstance(e, Deliver)] == [
        {"event": "said", "args": [{"text": "hi"}]},
        {"ack": 2, "args": ["ok"]},
    ]
    problem = only(events, Problem)  # once per namespace
    assert "'/'" in problem.text and "namespace='/'" in problem.text


def test_binary_event_and_ack_are_reassembled() -> None:
    codec = ready(SocketIOCodec())
    codec.receive(
        '452-["echo",{"_placeholder":true,"num":0},{"b":{"_placeholder":true,"num":1}}]', 0.0
    )
    assert codec.events_received() == []
    codec.receive(b"\x00\x01\x02", 0.0)
    codec.receive(b"", 0.0)
    codec.receive('461-3[{"_placeholder":true,"num":0}]', 0.0)
    codec.receive(b"hi", 0.0)
    assert delivered(codec) == [
        {"event": "echo", "args": [{"base64": "AAEC"}, {"b": {"base64": ""}}]},
        {"ack": 3, "args": [{"base64": "aGk="}]},
    ]  # fmt: skip


def test_a_broken_binary_sequence_is_a_problem_not_a_hang() -> None:
    codec = ready(SocketIOCodec())
    codec.receive(b"stray", 0.0)
    assert "no binary packet announced" in only(codec.events_received(), Problem).text
    codec.receive('451-["echo",{"_placeholder":true,"num":0}]', 0.0)
    codec.receive('42["next"]', 0.0)
    events = codec.events_received()
    assert "attachments were due" in only(events, Problem).text
    assert [json.loads(e.data) for e in events if isinstance(e, Deliver)] == [
        {"event": "next", "args": []}
    ]
    codec.receive('451-["echo",{"_placeholder":true,"num":5}]', 0.0)
    codec.receive(b"x", 0.0)
    assert "names no attachment" in only(codec.events_received(), Problem).text


@pytest.mark.parametrize("frame", ["4", "49", '42{"not":"a list"}', "42[1]", "43[1]", "42[", "7"])
def test_malformed_packets_are_problems(frame: str) -> None:
    codec = ready(SocketIOCodec())
    codec.receive(frame, 0.0)
    problem = only(codec.events_received(), Problem)
    assert "malformed" in problem.text and "Socket.IO 5" in problem.text
    assert codec.ready


def test_namespace_disconnect_holds_what_is_sent() -> None:
    codec = ready(SocketIOCodec())
    codec.receive("41", 0.0)
    problem = only(codec.events_received(), Problem)
    assert "disconnected namespace '/'" in problem.text and "reconnect" in problem.text
    assert not codec.ready and codec.sid == ""
    codec.emit("tick", 1)
    assert codec.data_to_send() == [] and codec.held == 1


# -- what the user sends ----------------------------------------------------------------


def test_sent_before_ready_goes_out_after_the_handshake() -> None:
    codec = SocketIOCodec()
    codec.send('{"event":"join","args":["r1"]}')
    assert codec.emit("add", 1, 2, ack=True) == 1
    assert codec.held == 2
    assert opened(codec) == ["40"]
    codec.receive('40{"sid":"s1"}', 0.0)
    assert codec.data_to_send() == ['42["join","r1"]', '421["add",1,2]']


def test_resubscribe_after_lost_connects_the_namespace_again() -> None:
    codec = ready(SocketIOCodec("/chat", auth={"token": "t"}))
    assert codec.emit("a", ack=True) == 1
    codec.data_to_send()
    codec.lost()
    assert not codec.ready and codec.sid == ""
    assert codec.emit("b", ack=True) == 2  # ids never reused
    assert opened(codec, now=50.0) == ['40/chat,{"token":"t"}']
    codec.receive('40/chat,{"sid":"s2"}', 50.0)
    assert codec.data_to_send() == ['42/chat,2["b"]']
    codec.tick(55.0)  # the new connection's ping clock
    assert Ready() in codec.events_received()


@pytest.mark.parametrize(
    ("payload", "frames"),
    [
        ('{"event":"join","args":["r1"]}', ['42["join","r1"]']),
        ('{"event":"ping-me"}', ['42["ping-me"]']),
        ('{"event":"add","args":[1,2],"ack":true}', ['421["add",1,2]']),
        ('{"ack":7,"args":["yes"]}', ['437["yes"]']),
        ('{"hello":"world"}', ['42["message",{"hello":"world"}]']),
        ("[1,2]", ['42["message",[1,2]]']),
        ("plain text", ['42["message","plain text"]']),
        (b"\x00\x01", ['451-["message",{"_placeholder":true,"num":0}]', b"\x00\x01"]),
        ('{"event":"up","args":[{"base64":"AAE="}]}', [f'451-["up",{PH0}]', b"\x00\x01"]),
        ('{"ack":2,"args":[{"base64":"AA=="}]}', ['461-2[{"_placeholder":true,"num":0}]', b"\x00"]),
    ],
)
def test_send_shapes(payload: str | bytes, frames: list[str | bytes]) -> None:
    codec = ready(SocketIOCodec())
    codec.send(payload)
    assert codec.data_to_send() == frames


@pytest.mark.parametrize(
    ("payload", "error", "says"),
    [
        ('{"event":"x","args":{"a":1}}', ValueError, '"args": [...]'),
        ('{"event":"x","ack":"yes"}', ValueError, '"ack": bool'),
        ('{"event":"x","room":"r"}', ValueError, "args and ack optional"),
        ('{"event":""}', ValueError, "non-empty str"),
        ('{"event":5}', ValueError, "non-empty str"),
        ('{"event":"connect"}', ValueError, "reserved"),
        ('{"ack":"7","args":[]}', ValueError, '"ack": int'),
        ('{"event":"x","args":[{"base64":"not base64!"}]}', ValueError, "base64 text"),
    ],
)
def test_bad_sends_raise_and_queue_nothing(payload: str, error: type, says: str) -> None:
    codec = SocketIOCodec()
    with pytest.raises(error, match=says.replace("[", r"\[").replace("]", r"\]")):
        codec.send(payload)
    assert codec.held == 0 and codec.data_to_send() == []


def test_emit_takes_bytes_and_refuses_what_json_cannot_hold() -> None:
    codec = ready(SocketIOCodec())
    codec.emit("blob", b"\xff", {"x": [b"\x01"]})
    assert codec.data_to_send() == [
        '452-["blob",{"_placeholder":true,"num":0},{"x":[{"_placeholder":true,"num":1}]}]',
        b"\xff",
        b"\x01",
    ]
    with pytest.raises(TypeError, match="set"):
        codec.emit("x", {1, 2})


def test_hold_limit_counts_frames_and_never_splits_a_binary_event() -> None:
    codec = SocketIOCodec(hold_limit=3)
    codec.emit("a")
    with pytest.raises(SendQueueFull, match=r"wait for the socket\.io handshake"):
        codec.emit("b", b"1", b"2")  # 3 frames: one too many
    assert codec.held == 1
    codec.emit("c", b"1")
    assert codec.held == 3


def test_a_message_over_max_payload_is_refused() -> None:
    codec = ready(SocketIOCodec())
    with pytest.raises(ValueError, match="maxPayload"):
        codec.emit("big", "x" * 1_000_001)


# -- describe() and outgoing() ----------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "text"),
    [
        (OPEN, "open sid=e1 pingInterval=2000 pingTimeout=5000 maxPayload=1000000"),
        ("2", "ping"),
        ("3", "pong"),
        ("1", "close"),
        ("6", "noop"),
        ("40", "CONNECT /"),
        ('40{"sid":"abc"}', "CONNECT / sid=abc"),
        ('40{"sid":"abc","pid":"p"}', "CONNECT / sid=abc"),
        ('40/chat,{"token":"abc","n":1}', 'CONNECT /chat auth={"token": "***", "n": 1}'),
        ("41/chat,", "DISCONNECT /chat"),
        ('42["tick",{"n":0}]', 'EVENT "tick" [{"n": 0}]'),
        ('421["add",1,2]', 'EVENT "add" [1, 2] ack=1'),
        ('42/chat,["said",{"text":"hi"}]', 'EVENT /chat "said" [{"text": "hi"}]'),
        ("433[3]", "ACK 3 [3]"),
        ('44{"message":"bad token"}', 'CONNECT_ERROR / "bad token"'),
        (f'451-["echo",{PH0}]', 'BINARY_EVENT "echo" [{"_placeholder": true, "num": 0}] (1 att'),
        ('462-1[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', "BINARY_ACK 1 [{"),
        (b"\x00" * 12, "attachment (12 bytes)"),
        ("", "empty frame"),
        ("hello", "not an Engine.IO packet: 'hello'"),
        ("4x", "message: not a Socket.IO packet (unknown Socket.IO packet type 'x'"),
        ("0{", "open (not JSON"),
    ],
)
def test_describe(frame: str | bytes, text: str) -> None:
    assert SocketIOCodec().describe(frame).startswith(text)


def test_describe_masks_the_auth_secrets_anywhere() -> None:
    codec = SocketIOCodec(auth={"token": "tok-123", "user": {"pw": 'a"b'}})
    assert codec.secrets == (b"tok-123", b'a"b', b'a\\"b')
    assert "tok-123" not in codec.describe('42["welcome",{"auth":{"token":"tok-123"}}]')
    assert codec.describe('40{"token":"tok-123","user":{"pw":"a\\"b"}}') == (
        'CONNECT / auth={"token": "***", "user": {"pw": "***"}}'
    )


def test_describe_shortens_long_json() -> None:
    text = SocketIOCodec().describe(json.dumps(["big", "x" * 5000]).join(["42", ""]))
    assert len(text) < 300 and text.endswith("...")


def test_outgoing_gives_the_application_message() -> None:
    codec = ready(SocketIOCodec())
    codec.emit("add", 1, 2, ack=True)
    codec.emit("echo", b"\x00\x01")
    codec.emit("echo", b"\x02")  # the same frame text, other bytes
    codec.send('{"ack":9,"args":["ok"]}')
    frames = codec.data_to_send()
    assert [codec.outgoing(f) for f in frames] == [
        '{"event":"add","args":[1,2],"ack":1}',
        '{"event":"echo","args":[{"base64":"AAE="}]}',
        None,
        '{"event":"echo","args":[{"base64":"Ag=="}]}',
        None,
        '{"ack":9,"args":["ok"]}',
    ]
    for frame in ("40", "3", '40{"token":"t"}', "41", "4x", ""):
        assert codec.outgoing(frame) is None


# -- properties ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=15,
)
namespaces = st.just("/") | st.text(max_size=8).filter(lambda s: "," not in s).map(
    lambda s: "/" + s
)
ids = st.none() | st.integers(0, 2**40)


@st.composite
def packets(draw: st.DrawFn) -> Packet:
    kind = draw(st.integers(0, 6))
    data: Any
    if kind in (2, 5):
        data = [draw(st.text(max_size=10)), *draw(st.lists(json_values, max_size=4))]
    elif kind in (3, 6):
        data = draw(st.lists(json_values, max_size=4))
    elif kind == 0:
        data = draw(st.none() | st.dictionaries(st.text(max_size=6), json_values, max_size=3))
    elif kind == 4:
        data = draw(st.dictionaries(st.text(max_size=6), json_values, max_size=3) | st.text())
    else:
        data = None
    packet_id = draw(st.integers(0, 2**40)) if kind in (3, 6) else draw(ids)
    attachments = draw(st.integers(0, 20)) if kind in (5, 6) else 0
    return Packet(kind, draw(namespaces), data, packet_id, attachments)


@QUICK
@given(packets())
def test_packets_round_trip(packet: Packet) -> None:
    assert decode_packet(encode_packet(packet)) == packet


blobs_and_values = st.recursive(
    json_values | st.binary(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=6).filter(lambda k: k[:1] != "_"), children, max_size=4)
    ),
    max_leaves=15,
)


@QUICK
@given(st.text(min_size=1, max_size=10), st.lists(blobs_and_values, max_size=4), st.booleans())
def test_emit_round_trips_through_the_wire_and_outgoing(
    event: str, args: list[Any], ack: bool
) -> None:
    """emit -> frames -> a receiving codec delivers the same event (bytes as base64)."""
    if event in RESERVED_EVENTS:
        return
    sender, receiver = ready(SocketIOCodec()), ready(SocketIOCodec())
    packet_id = sender.emit(event, *args, ack=ack)
    frames = sender.data_to_send()
    expected = {"event": event, "args": reattach(attach(args, []), _blobs(args))}
    if ack:
        expected["ack"] = packet_id
    assert json.loads(str(sender.outgoing(frames[0]))) == expected
    for frame in frames:
        receiver.receive(frame, 0.0)
    assert delivered(receiver) == [expected]


def _blobs(value: Any) -> list[bytes]:
    found: list[bytes] = []
    attach(value, found)
    return found


PREFIXES = ["0", "1", "2", "3", "4", "40", "41", "42", "43", "44", "451-", "461-", "42/chat,"]
frames_like_packets = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(PREFIXES),
    st.text(max_size=30) | json_values.map(json.dumps),
)


@QUICK
@given(
    st.lists(frames_like_packets | st.text(max_size=40) | st.binary(max_size=40), max_size=6),
    st.booleans(),
)
def test_arbitrary_frames_never_raise(frames: list[str | bytes], handshake_first: bool) -> None:
    codec = ready(SocketIOCodec()) if handshake_first else SocketIOCodec()
    if not handshake_first:
        codec.connected("", 0.0)
    for message in feed_anything(codec, frames, end=100.0):  # 100 s: past the ping timeout
        assert set(message) in ({"event", "args"}, {"event", "args", "ack"}, {"ack", "args"})


@QUICK
@given(st.text(max_size=60) | st.binary(max_size=20) | json_values.map(json.dumps))
def test_any_send_emits_or_raises_a_clear_error(payload: str | bytes) -> None:
    codec = ready(SocketIOCodec())
    try:
        codec.send(payload)
    except (TypeError, ValueError) as exc:
        assert str(exc)
        assert codec.data_to_send() == []
        return
    frames = codec.data_to_send()
    assert frames and isinstance(frames[0], str)
    message = json.loads(str(codec.outgoing(frames[0])))
    assert "args" in message


def test_decode_packet_errors_name_the_part() -> None:
    with pytest.raises(ProtocolError, match="attachment count"):
        decode_packet('5["x"]')
    with pytest.raises(ProtocolError, match="not JSON"):
        decode_packet("2[oops")


def test_closing_leaves_the_namespace() -> None:
    root = ready(SocketIOCodec())
    root.closing()
    assert root.data_to_send() == ["41"]
    chat = ready(SocketIOCodec("/chat"))
    chat.closing()
    assert chat.data_to_send() == ["41/chat,"]
    assert SocketIOCodec().data_to_send() == []
