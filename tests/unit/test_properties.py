"""Property-based tests (Hypothesis) of the pure parts: frames, field paths, previews, messages."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode

from ipywebsockets.frames import decode_frame, encode_frame, problems
from ipywebsockets.message import Message, encode_outgoing, preview
from ipywebsockets.paths import MISSING, Path, flatten
from ipywebsockets.wire import FrameReader

QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

payloads = st.binary(max_size=70_000)
masks = st.none() | st.binary(min_size=4, max_size=4)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(max_size=8).filter(lambda k: "." not in k and k), children, max_size=5
        )
    ),
    max_leaves=30,
)


@QUICK
@given(st.integers(0, 15), payloads, st.booleans(), masks, st.booleans(), st.booleans())
def test_frames_round_trip(
    opcode: int, payload: bytes, fin: bool, mask: bytes | None, rsv1: bool, rsv3: bool
) -> None:
    raw = encode_frame(opcode, payload, fin=fin, mask_key=mask, rsv1=rsv1, rsv3=rsv3)
    frame = decode_frame(raw)
    assert frame.raw == raw
    assert frame.opcode == opcode and frame.fin == fin and frame.payload == payload
    assert frame.masked == (mask is not None)
    assert all(isinstance(p, str) and p for p in problems(frame))


@QUICK
@given(
    st.sampled_from([Opcode.TEXT, Opcode.BINARY, Opcode.PING, Opcode.PONG]),
    st.binary(max_size=125),
    masks,
)
def test_frames_match_websockets(opcode: Opcode, payload: bytes, mask: bytes | None) -> None:
    """What websockets serializes, decode_frame reads back the same."""
    if opcode == Opcode.TEXT:
        payload = payload.decode("latin-1").encode("utf-8")[:125]
    ours = decode_frame(encode_frame(int(opcode), payload, mask_key=mask))
    theirs = Frame(opcode, payload).serialize(mask=False, extensions=[])
    assert decode_frame(theirs).payload == ours.payload == payload
    # A valid data or control frame from a server has no problems.
    assert problems(decode_frame(theirs), from_client=False) == []


@QUICK
@given(st.lists(st.tuples(st.integers(0, 2), st.binary(max_size=300)), max_size=8), st.data())
def test_reader_splits_any_chunking(frames: list[tuple[int, bytes]], data: st.DataObject) -> None:
    head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
    stream = head + b"".join(encode_frame(op, p) for op, p in frames)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    reader = FrameReader()
    out = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        out += reader.feed(stream[start:end])
    assert reader.head == head
    assert [(f.opcode, f.payload) for f in out] == frames
    assert reader.pending == 0


@QUICK
@given(json_values)
def test_every_flattened_path_gets_its_leaf(value: Any) -> None:
    for name, leaf in flatten(value, 10_000):
        if name:
            got = Path(name).get(value)
            assert got is not MISSING
            assert json.dumps(got, sort_keys=True) == json.dumps(leaf, sort_keys=True)


@QUICK
@given(json_values, st.integers(10, 600))
def test_previews_are_bounded_and_compact(value: Any, limit: int) -> None:
    text = json.dumps(value)
    msg = Message.make(1, 0.0, "in", text)
    shown, is_json = preview(msg, limit)
    assert len(shown) <= limit + len("… (+ chars)") + 20
    if isinstance(value, (dict, list)) and len(text) <= limit:
        assert is_json and json.loads(shown) == json.loads(text)


@QUICK
@given(st.text(max_size=200))
def test_text_either_sends_as_utf8_or_is_refused_with_value_error(text: str) -> None:
    try:
        payload = encode_outgoing(text)
    except ValueError as exc:
        assert "lone surrogate" in str(exc)
        return
    assert isinstance(payload, str)
    payload.encode("utf-8")  # never raises: what is queued can be sent


@QUICK
@given(st.text(alphabet="[{", min_size=900, max_size=5000))
def test_deeply_nested_text_never_raises_out_of_json(text: str) -> None:
    msg = Message.make(1, 0.0, "in", text)
    try:
        msg.json()
    except ValueError:
        pass
    assert msg.value() == text
    assert preview(msg)[0]
