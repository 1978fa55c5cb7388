"""The STOMP 1.2 codec driven by hand-written frames: handshake, frames, heart-beats, errors.

No network: every frame the server would send is written out here, as it
goes over the wire (``\\x00`` ends a frame, ``\\n`` alone is a heart-beat).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ipywebsockets.exceptions import SendQueueFull
from ipywebsockets.protocols.base import Deliver, Event, Fail, Problem, Ready
from ipywebsockets.protocols.stomp import STOMPCodec

CONNECTED = "CONNECTED\nversion:1.2\nheart-beat:0,0\nserver:RabbitMQ/3.10.8\n\n\x00"


def frame(command: str, body: str = "", **headers: str) -> str:
    lines = [command, *(f"{k.replace('_', '-')}:{v}" for k, v in headers.items())]
    return "\n".join(lines) + "\n\n" + body + "\x00"


def message(destination: str, body: str, **headers: str) -> str:
    return frame("MESSAGE", body, destination=destination, subscription="1", **headers)


def drain(codec: STOMPCodec) -> tuple[list[str | bytes], list[Event]]:
    return codec.data_to_send(), codec.events_received()


def open_codec(codec: STOMPCodec, connected: str = CONNECTED, now: float = 0.0) -> list[str]:
    """Connect and complete the handshake; the frames written after CONNECTED."""
    codec.connected("v12.stomp", now)
    drain(codec)
    codec.receive(connected, now)
    out, events = drain(codec)
    assert events == [Ready()]
    return [str(f) for f in out]


def delivered(events: list[Event]) -> list[dict[str, Any]]:
    assert all(isinstance(e, Deliver) for e in events), events
    return [json.loads(e.data) for e in events if isinstance(e, Deliver)]


# -- the handshake -------------------------------------------------------------------


def test_connect_frame_carries_versions_host_credentials_and_heart_beat() -> None:
    codec = STOMPCodec(login="guest", passcode="s3cret")
    codec.connected("v12.stomp", 0.0)
    out, events = drain(codec)
    assert out == [
        "CONNECT\naccept-version:1.2,1.1,1.0\nhost:/\nlogin:guest\npasscode:s3cret\n"
        "heart-beat:10000,10000\n\n\x00"
    ]
    assert events == []
    assert codec.secrets == (b"guest", b"s3cret")
    assert codec.subprotocol == "v12.stomp"
    assert codec.describe(out[0]) == (
        "CONNECT accept-version=1.2,1.1,1.0 host=/ login=*** passcode=*** heart-beat=10000,10000"
    )


def test_connect_without_credentials_and_with_a_host() -> None:
    codec = STOMPCodec(host="prod", heartbeat=(0, 0))
    codec.connected("v11.stomp", 0.0)
    assert codec.data_to_send() == [
        "CONNECT\naccept-version:1.2,1.1,1.0\nhost:prod\nheart-beat:0,0\n\n\x00"
    ]
    assert codec.secrets == ()


def test_connected_subscribes_every_destination_then_releases_what_was_held() -> None:
    codec = STOMPCodec(["/topic/a", "/queue/b"])
    codec.publish("/topic/a", {"n": 1})
    assert codec.held == 1
    codec.connected("v12.stomp", 0.0)
    assert [f[:7] for f in map(str, codec.data_to_send())] == ["CONNECT"]
    assert not codec.ready
    codec.receive(CONNECTED, 0.5)
    out, events = drain(codec)
    assert out == [
        "SUBSCRIBE\nid:1\ndestination:/topic/a\nack:auto\n\n\x00",
        "SUBSCRIBE\nid:2\ndestination:/queue/b\nack:auto\n\n\x00",
        "SEND\ndestination:/topic/a\ncontent-type:application/json\ncontent-length:7\n\n"
        '{"n":1}\x00',
    ]
    assert events == [Ready()]
    assert codec.ready and codec.held == 0 and codec.version == "1.2"
    assert codec.subscriptions == {"/topic/a": 1, "/queue/b": 2}


def test_error_before_connected_is_a_refused_login() -> None:
    codec = STOMPCodec("/topic/a", login="guest", passcode="wrong")
    codec.connected("v12.stomp", 0.0)
    drain(codec)
    error = frame(
        "ERROR",
        "Access refused for user 'guest'",
        message="Bad CONNECT",
        content_type="text/plain",
    )
    codec.receive(error, 0.1)
    out, events = drain(codec)
    assert out == []
    [fail] = events
    assert isinstance(fail, Fail)
    assert (fail.code, fail.retry) == (1008, False)
    assert "Bad CONNECT: Access refused for user 'guest'" in fail.text
    assert "login=" in fail.text and "host=" in fail.text
    codec.receive(CONNECTED, 0.2)  # after a failure nothing more happens on this connection
    codec.tick(30.0)
    assert drain(codec) == ([], [])


def test_no_connected_within_10_s_fails_with_retry_once() -> None:
    codec = STOMPCodec()
    codec.connected("v12.stomp", 100.0)
    drain(codec)
    codec.tick(109.9)
    assert drain(codec) == ([], [])
    codec.tick(110.0)
    [fail] = codec.events_received()
    assert isinstance(fail, Fail) and (fail.code, fail.retry) == (1011, True)
    assert "10 s" in fail.text
    codec.tick(111.0)
    assert codec.events_received() == []


def test_a_frame_other_than_connected_first_is_a_protocol_violation() -> None:
    codec = STOMPCodec()
    codec.connected("v12.stomp", 0.0)
    codec.receive(message("/topic/a", "hi"), 0.1)
    [fail] = codec.events_received()
    assert isinstance(fail, Fail) and fail.code == 1002 and "before CONNECTED" in fail.text


# -- messages -------------------------------------------------------------------------


def test_message_bodies_json_by_content_type_or_by_parsing_else_text() -> None:
    codec = STOMPCodec("/topic/a")
    open_codec(codec)
    codec.receive(message("/topic/a", '{"p":1.5}', content_type="application/json"), 1.0)
    codec.receive(message("/topic/a", "[1,2]"), 1.0)  # no content-type: parsed
    codec.receive(message("/topic/a", "123", content_type="text/plain"), 1.0)  # said text
    codec.receive(message("/topic/a", "hello"), 1.0)
    codec.receive(message("/topic/a", "{oops", content_type="application/json"), 1.0)
    codec.receive(message("/topic/a", "NaN"), 1.0)  # not JSON
    got = delivered(codec.events_received())
    assert [m["body"] for m in got] == [{"p": 1.5}, [1, 2], "123", "hello", "{oops", "NaN"]
    assert got[0] == {
        "destination": "/topic/a",
        "headers": {
            "destination": "/topic/a",
            "subscription": "1",
            "content-type": "application/json",
        },
        "body": {"p": 1.5},
    }


def test_content_length_body_may_hold_nul_and_headers_are_unescaped() -> None:
    codec = STOMPCodec("/topic/a")
    open_codec(codec)
    body = "a\x00b"
    raw = (
        "MESSAGE\ndestination:/topic/a\nx-note:one\\ctwo\\nthree\\\\\\r\nx-note:second\n"
        f"content-length:{len(body)}\n\n{body}\x00"
    )
    codec.receive(raw, 1.0)
    [got] = delivered(codec.events_received())
    assert got["body"] == "a\x00b"
    assert got["headers"]["x-note"] == "one:two\nthree\\\r"  # the first of repeats counts


def test_several_frames_and_heart_beats_in_one_message_and_a_frame_split_over_three() -> None:
    codec = STOMPCodec("/topic/a")
    open_codec(codec)
    codec.receive("\n" + message("/topic/a", "1") + "\n" + message("/topic/a", "2") + "\r\n", 1.0)
    whole = message("/topic/a", '{"k":"v"}')
    codec.receive(whole[:5], 1.1)
    codec.receive(whole[5:20], 1.2)
    assert codec.events_received() == [Deliver(d) for d in _bodies(codec, [1, 2])]
    codec.receive(whole[20:], 1.3)
    assert [m["body"] for m in delivered(codec.events_received())] == [{"k": "v"}]


def _bodies(codec: STOMPCodec, values: list[int]) -> list[str]:
    headers = {"destination": "/topic/a", "subscription": "1"}
    compact = (",", ":")
    return [
        json.dumps({"destination": "/topic/a", "headers": headers, "body": v}, separators=compact)
        for v in values
    ]


def test_error_after_connected_is_a_problem_and_receipt_is_ignored() -> None:
    codec = STOMPCodec("/queue/x")
    open_codec(codec)
    codec.receive(frame("RECEIPT", receipt_id="77"), 1.0)
    codec.receive(frame("ERROR", "no such queue\n", message="not_found"), 1.0)
    [problem] = codec.events_received()
    assert isinstance(problem, Problem)
    assert "not_found: no such queue" in problem.text and "reconnects" in problem.text


def test_closed_explains_a_close_after_an_error() -> None:
    codec = STOMPCodec("/queue/x")
    open_codec(codec)
    assert codec.closed(1000, "") is None
    assert "sent no ERROR frame" in str(codec.closed(1000, "STOMP died"))  # RabbitMQ's
    codec.receive(frame("ERROR", "no queue 'x'", message="not_found"), 1.0)
    codec.lost()
    assert codec.closed(1000, "STOMP died") == (
        "the server closed the connection after its ERROR: not_found: no queue 'x'"
    )
    open_codec(codec, now=2.0)
    assert codec.closed(1006, "") is None  # a new connection forgets the old ERROR


def test_a_malformed_frame_is_skipped_and_the_next_one_delivered() -> None:
    codec = STOMPCodec("/topic/a")
    open_codec(codec)
    codec.receive("HELLO\n\nx\x00" + message("/topic/a", "1"), 1.0)
    codec.receive("MESSAGE\nno colon here\n\n\x00", 1.0)
    codec.receive("MESSAGE\ndestination:/a\\q\n\n\x00", 1.0)  # \q is no escape
    events = codec.events_received()
    assert isinstance(events[0], Problem) and "unknown command 'HELLO'" in events[0].text
    assert isinstance(events[1], Deliver)
    assert isinstance(events[2], Problem) and "without ':'" in events[2].text
    assert isinstance(events[3], Problem) and "undefined escape \\q" in events[3].text


def test_content_length_not_followed_by_nul_breaks_the_stream() -> None:
    codec = STOMPCodec("/topic/a")
    open_codec(codec)
    codec.receive("MESSAGE\ndestination:/topic/a\ncontent-length:2\n\nabc\x00", 1.0)
    [fail] = codec.events_received()
    assert isinstance(fail, Fail) and fail.code == 1002 and "content-length of 2" in fail.text


# -- heart-beats ----------------------------------------------------------------------


def test_heart_beats_negotiated_written_when_idle_and_the_server_watched() -> None:
    codec = STOMPCodec("/topic/a", heartbeat=(10000, 10000))
    open_codec(codec, CONNECTED.replace("0,0", "5000,5000"), now=0.0)
    # Both ways max(10000, 5000) ms: a heart-beat after 10 s without writing.
    for now in range(1, 9):
        codec.tick(float(now))
        assert drain(codec) == ([], [])
    codec.publish("/topic/a", "x")  # something written at ~8 s postpones it
    assert len(codec.data_to_send()) == 1
    # The codec learns of that write at the next tick (9 s): 9 s later it writes, at most
    # 10 s after the real write (ticks come about once a second).
    for now in range(9, 18):
        codec.tick(float(now))
        assert drain(codec) == ([], []), now
    codec.receive("\n", 16.5)  # the server's heart-beat
    codec.tick(18.0)
    assert drain(codec) == (["\n"], [])
    codec.tick(36.0)  # silent for 19.5 s: allowed up to 2 x 10 s
    assert codec.events_received() == []
    codec.tick(37.0)
    [fail] = codec.events_received()
    assert isinstance(fail, Fail) and (fail.code, fail.retry) == (1011, True)
    assert "every 10 s" in fail.text


@pytest.mark.parametrize(
    ("ours", "theirs", "writes_at", "fails_after"),
    [
        ((0, 0), "20000,20000", None, None),  # we offer none: none either way
        ((10000, 10000), "0,0", None, None),  # the server offers none
        ((10000, 0), "0,30000", 30, None),  # we send every max(10, 30) s; expect none
        ((0, 5000), "20000,0", None, 40),  # the server sends every max(20, 5) s
    ],
)
def test_heart_beat_negotiation(
    ours: tuple[int, int], theirs: str, writes_at: int | None, fails_after: int | None
) -> None:
    codec = STOMPCodec(heartbeat=ours)
    open_codec(codec, CONNECTED.replace("0,0", theirs))
    first_write = first_fail = None
    for now in range(1, 60):
        codec.tick(float(now))
        out, events = drain(codec)
        if out and first_write is None:
            first_write = now
        if events and first_fail is None:
            first_fail = now
    assert first_write == (writes_at - 1 if writes_at else None)
    assert first_fail == (fails_after + 1 if fails_after else None)


# -- subscriptions across connections ---------------------------------------------------


def test_resubscribe_after_lost_with_new_ids_and_subscribe_unsubscribe_while_open() -> None:
    codec = STOMPCodec("/topic/a")
    open_codec(codec)
    assert codec.subscribe("/topic/b") == 2
    assert codec.data_to_send() == ["SUBSCRIBE\nid:2\ndestination:/topic/b\nack:auto\n\n\x00"]
    assert codec.subscribe("/topic/b") == 2 and codec.data_to_send() == []
    assert codec.describe("UNSUBSCRIBE\nid:2\n\n\x00") == "UNSUBSCRIBE id=2"
    codec.lost()
    assert not codec.ready
    assert codec.unsubscribe("/topic/b") is True
    assert codec.data_to_send() == []  # no connection: nothing to unsubscribe on the wire
    assert codec.subscribe("/topic/c") == 3  # its id is kept for the next connection
    codec.publish("/topic/c", "while away")
    out = open_codec(codec, now=50.0)
    assert out[0] == "SUBSCRIBE\nid:4\ndestination:/topic/a\nack:auto\n\n\x00"  # renewed
    assert out[1] == "SUBSCRIBE\nid:3\ndestination:/topic/c\nack:auto\n\n\x00"
    assert out[2].startswith("SEND\ndestination:/topic/c\ncontent-type:text/plain\n")
    assert codec.subscriptions == {"/topic/a": 4, "/topic/c": 3}
    assert codec.unsubscribe("/topic/a") is True
    assert codec.data_to_send() == ["UNSUBSCRIBE\nid:4\n\n\x00"]
    assert codec.unsubscribe("/topic/a") is False


def test_hold_limit_refuses_more() -> None:
    codec = STOMPCodec(hold_limit=2)
    codec.publish("/q", "1")
    codec.publish("/q", "2")
    with pytest.raises(SendQueueFull, match="2 messages already wait for the stomp handshake"):
        codec.publish("/q", "3")
    assert codec.held == 2


# -- sending ------------------------------------------------------------------------------


def test_send_publishes_text_json_and_headers_escaped() -> None:
    codec = STOMPCodec()
    open_codec(codec)
    codec.send(json.dumps({"destination": "/topic/t", "body": "plain"}))
    codec.send(
        json.dumps(
            {
                "destination": "/topic/t",
                "body": [1, "two"],
                "headers": {"x-a": "b:c\nd", "priority": 5, "content-length": "1"},
            }
        )
    )
    plain, data = codec.data_to_send()
    assert plain == (
        "SEND\ndestination:/topic/t\ncontent-type:text/plain\ncontent-length:5\n\nplain\x00"
    )
    assert data == (
        "SEND\ndestination:/topic/t\ncontent-type:application/json\nx-a:b\\cc\\nd\n"
        'priority:5\ncontent-length:9\n\n[1,"two"]\x00'
    )
    assert json.loads(str(codec.outgoing(data))) == {
        "destination": "/topic/t",
        "headers": {"content-type": "application/json", "x-a": "b:c\nd", "priority": "5"},
        "body": [1, "two"],
    }
    assert codec.describe(data) == 'SEND /topic/t x-a=b:c\nd priority=5 [1,"two"]'


def test_a_delivered_message_can_be_sent_back_as_is() -> None:
    codec = STOMPCodec("/topic/a")
    open_codec(codec)
    codec.receive(message("/topic/a", '{"x":1}', content_length="7"), 1.0)
    [event] = codec.events_received()
    assert isinstance(event, Deliver)
    codec.send(event.data)
    [out] = codec.data_to_send()
    assert json.loads(str(codec.outgoing(out)))["body"] == {"x": 1}


@pytest.mark.parametrize(
    ("payload", "error", "words"),
    [
        (b'{"destination":"/q","body":1}', TypeError, "not bytes"),
        ("hello", TypeError, "not the text 'hello'"),
        ("[1, 2]", TypeError, "not list"),
        ('{"destination": "/q"}', ValueError, "got the keys ['destination']"),
        ('{"destination": "/q", "body": 1, "qos": 1}', ValueError, "unknown: ['qos']"),
        ('{"destination": "", "body": 1}', TypeError, "destination must be a non-empty str"),
        ('{"destination": "/q", "body": 1, "headers": [1]}', TypeError, "a JSON object"),
        ('{"destination": "/q", "body": 1, "headers": {"a": true}}', TypeError, "str or int"),
    ],
)
def test_bad_send_input_says_what_is_expected_and_queues_nothing(
    payload: str | bytes, error: type[Exception], words: str
) -> None:
    codec = STOMPCodec()
    with pytest.raises(error, match=None) as caught:
        codec.send(payload)
    assert words in str(caught.value)
    assert codec.held == 0 and codec.data_to_send() == []


def test_publish_refuses_bytes_and_unencodable_bodies() -> None:
    codec = STOMPCodec()
    with pytest.raises(TypeError, match=r"text frames: publish a str \(e.g. body.decode\(\)\)"):
        codec.publish("/q", b"\x01")
    with pytest.raises(TypeError, match="a str or a JSON value"):
        codec.publish("/q", {1, 2})
    codec.publish("/q", "t", {"content-type": "application/xml"})
    assert str(codec.outgoing(codec._held[0])).find('"content-type":"application/xml"') > 0


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"heartbeat": (500, 0)}, "at least 1000"),
        ({"heartbeat": (1000,)}, "(cx, cy)"),
        ({"login": "a\nb"}, "without CR, LF or NUL"),
        ({"subscribe": [""]}, "destination must be a non-empty str"),
    ],
)
def test_bad_constructor_arguments(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises((TypeError, ValueError)) as caught:
        STOMPCodec(**kwargs)
    assert words in str(caught.value)


# -- describe and outgoing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (CONNECTED, "CONNECTED version=1.2 heart-beat=0,0 server=RabbitMQ/3.10.8"),
        (
            "CONNECTED\nserver:RabbitMQ/3.10.8\nsession:s-1\nheart-beat:0,0\nversion:1.2\n\n\x00\n",
            "CONNECTED version=1.2 heart-beat=0,0 server=RabbitMQ/3.10.8 session=s-1",
        ),
        ("SUBSCRIBE\nid:1\ndestination:/topic/x\nack:auto\n\n\x00", "SUBSCRIBE id=1 /topic/x"),
        ("SUBSCRIBE\nid:1\ndestination:/q\nack:client\n\n\x00", "SUBSCRIBE id=1 /q ack=client"),
        (message("/topic/x", '{"a":1}'), 'MESSAGE /topic/x {"a":1}'),
        ("\n", "heart-beat"),
        ("\r\n\n", "heart-beat"),
        (message("/a", "1") + "\n" + message("/b", "2"), "MESSAGE /a 1; MESSAGE /b 2"),
        ("\n" + message("/a", "1"), "heart-beat; MESSAGE /a 1"),
        (frame("ERROR", "bye", message="oops"), "ERROR message=oops bye"),
        (frame("RECEIPT", receipt_id="9"), "RECEIPT receipt-id=9"),
        ("MESSAGE\ndestination:/a\n\nno end", "part of a STOMP frame (30 octets, no end yet)"),
        ("GET / HTTP/1.1\n\n\x00", "not a STOMP frame: unknown command 'GET / HTTP/1.1'"),
        (b"\xff\xfe\n\x00", "not a STOMP frame: a command that is not UTF-8 text"),
        ("", "empty message"),
        (message("/a", "x" * 200), "MESSAGE /a " + "x" * 120 + "..."),
    ],
)
def test_describe(data: str | bytes, text: str) -> None:
    assert STOMPCodec().describe(data) == text


def test_describe_masks_the_credentials_wherever_they_appear() -> None:
    codec = STOMPCodec(login="alice", passcode="hunter2")
    raw = "STOMP\naccept-version:1.2\nlogin:alice\npasscode:hunter2\n\n\x00"
    assert codec.describe(raw) == "STOMP accept-version=1.2 login=*** passcode=***"
    said = message("/a", "my passcode is hunter2")
    assert codec.describe(said) == "MESSAGE /a my passcode is ***"
    short = STOMPCodec(login="u", passcode="p")  # masked in headers, not in every word
    assert short.describe(raw.replace("alice", "u").replace("hunter2", "p")) == (
        "STOMP accept-version=1.2 login=*** passcode=***"
    )
    assert short.describe(message("/queue/up", "up")) == "MESSAGE /queue/up up"


def test_outgoing_is_the_message_of_send_frames_only() -> None:
    codec = STOMPCodec("/topic/a", login="u", passcode="p")
    codec.connected("v12.stomp", 0.0)
    [connect] = codec.data_to_send()
    assert codec.outgoing(connect) is None
    codec.receive(CONNECTED, 0.1)
    [subscribe] = codec.data_to_send()
    assert codec.outgoing(subscribe) is None
    assert codec.outgoing("\n") is None
    assert codec.outgoing("nonsense") is None
    codec.publish("/topic/a", "hi")
    [send] = codec.data_to_send()
    assert json.loads(str(codec.outgoing(send))) == {
        "destination": "/topic/a",
        "headers": {"content-type": "text/plain"},
        "body": "hi",
    }


def test_closing_writes_disconnect_once_connected() -> None:
    codec = STOMPCodec("/topic/a")
    codec.closing()
    assert codec.data_to_send() == []
    open_codec(codec)
    codec.closing()
    (out,) = codec.data_to_send()
    assert isinstance(out, str) and out.startswith("DISCONNECT\n") and out.endswith("\x00")
