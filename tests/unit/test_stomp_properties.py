"""Property-based tests (Hypothesis) of the STOMP codec: frames round-trip, no input breaks it."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codec_checks import feed_anything
from ipywebsockets.protocols.base import Deliver, Fail, Problem, Ready
from ipywebsockets.protocols.stomp import STOMPCodec
from ipywebsockets.protocols.stomp_frames import Frame, encode, next_item

QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CONNECTED = "CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\x00"
# Header text: anything but NUL (escapes cover CR, LF, ':' and '\'); no lone surrogates.
header_text = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]))
names = header_text.filter(lambda n: n and n not in ("content-length", "content-type"))
bodies = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
destinations = header_text.filter(bool)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def opened(*destinations: str) -> STOMPCodec:
    codec = STOMPCodec(list(destinations))
    codec.connected("v12.stomp", 0.0)
    codec.receive(CONNECTED, 0.0)
    codec.data_to_send()
    assert codec.events_received() == [Ready()]
    return codec


@QUICK
@given(
    st.sampled_from(["SEND", "MESSAGE", "SUBSCRIBE", "ERROR", "RECEIPT", "ACK"]),
    st.lists(st.tuples(names, header_text), max_size=5),
    bodies,
)
def test_frames_round_trip(command: str, headers: list[tuple[str, str]], body: str) -> None:
    raw = encode(command, headers, body).encode()
    got = next_item(raw)
    assert got is not None
    item, end = got
    length = [("content-length", str(len(body.encode())))] if body else []
    assert item == Frame(command, tuple(headers + length), body.encode())
    assert end == len(raw)


@QUICK
@given(
    destinations,
    json_values,
    st.dictionaries(names.filter(lambda n: n != "destination"), header_text, max_size=4),
)
def test_publish_then_outgoing_gives_the_same_message(
    destination: str, body: Any, headers: dict[str, str]
) -> None:
    codec = opened()
    codec.publish(destination, body, headers)
    [frame] = codec.data_to_send()
    kind = "text/plain" if isinstance(body, str) else "application/json"
    assert json.loads(str(codec.outgoing(frame))) == {
        "destination": destination,
        "headers": {"content-type": kind, **headers},
        "body": body,
    }
    assert isinstance(codec.describe(frame), str)


@QUICK
@given(
    st.lists(st.tuples(destinations, json_values), min_size=1, max_size=5),
    st.lists(st.integers(0, 2000), max_size=8),
)
def test_messages_arrive_whole_however_the_stream_is_cut(
    messages: list[tuple[str, Any]], cuts: list[int]
) -> None:
    """MESSAGE frames (with heart-beats between) cut at any points arrive whole, in order."""
    codec = opened("/topic/a")
    stream = "\n".join(
        encode(
            "MESSAGE",
            [("destination", d), ("content-type", "application/json"), ("subscription", "1")],
            json.dumps(body),
        )
        for d, body in messages
    ).encode()
    at = 0
    for cut in [*sorted(c for c in cuts if c < len(stream)), len(stream)]:
        codec.receive(stream[at:cut], 1.0)
        at = max(at, cut)
    events = codec.events_received()
    assert all(isinstance(e, Deliver) for e in events), events
    got = [json.loads(e.data) for e in events if isinstance(e, Deliver)]
    assert [(m["destination"], m["body"]) for m in got] == messages
    assert all(m["headers"]["subscription"] == "1" for m in got)


@QUICK
@given(st.lists(st.text(max_size=200) | st.binary(max_size=200), max_size=6), st.booleans())
def test_arbitrary_input_never_raises(chunks: list[str | bytes], handshake_first: bool) -> None:
    codec = opened("/topic/a") if handshake_first else STOMPCodec("/topic/a")
    if not handshake_first:
        codec.connected("v12.stomp", 0.0)
    for message in feed_anything(codec, chunks):
        assert set(message) == {"destination", "headers", "body"}


@QUICK
@given(st.binary(max_size=300))
def test_stomp_like_bytes_never_raise(noise: bytes) -> None:
    """Input close to frames (commands, colons, escapes, NULs, content-lengths)."""
    codec = opened("/topic/a")
    prefix = b"MESSAGE\ndestination:/a\ncontent-length:"
    for data in (prefix + noise, b"MESSAGE\n" + noise, noise.replace(b"!", b"\\")):
        codec.receive(data + b"\x00\n", 1.0)
        assert isinstance(codec.describe(data), str)
    assert all(isinstance(e, (Deliver, Problem, Fail)) for e in codec.events_received())
