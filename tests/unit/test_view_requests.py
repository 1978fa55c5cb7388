"""What the log and composer ask the kernel: whole messages by seq, sends by format; metrics."""

from __future__ import annotations

import pytest

from ipywebsockets._jupyter.stream import Stream
from ipywebsockets._jupyter.view_requests import full_message, outgoing_from_view
from ipywebsockets.views.metrics import gaps_ms


def _stream(history: int = 3) -> Stream:
    return Stream(
        "ws://h", history=history, view_rows=10, callback_queue=10, on_change=lambda: None
    )


def test_full_message_text_binary_and_evicted() -> None:
    stream = _stream()
    stream.on_message('{"a": 1}')
    stream.on_message(b"\x00\xff")
    reply, buffers = full_message(stream, {"type": "get", "id": 7, "seq": 1})
    assert reply == {"type": "get_result", "id": 7, "seq": 1, "kind": "text", "text": '{"a": 1}'}
    assert buffers == []
    reply, buffers = full_message(stream, {"id": 8, "seq": 2})
    assert reply["kind"] == "binary" and "text" not in reply and buffers == [b"\x00\xff"]
    for _ in range(3):
        stream.on_sent("x")
    reply, buffers = full_message(stream, {"id": 9, "seq": 1})
    assert "no longer in the kernel's history (it keeps the last 3" in reply["error"]
    assert "the oldest kept is #3" in reply["error"] and buffers == []
    assert (
        full_message(stream, {"id": 10, "seq": 99})[0]["error"] == "the kernel has no message #99"
    )
    assert "error" in full_message(stream, {"id": 11, "seq": "x"})[0]


def test_outgoing_from_view() -> None:
    assert outgoing_from_view({"format": "text", "data": "hi"}, []) == "hi"
    assert outgoing_from_view({"format": "json", "data": '{"a": [1]}'}, []) == {"a": [1]}
    assert outgoing_from_view({"format": "binary"}, [memoryview(b"\x01\x02")]) == b"\x01\x02"
    with pytest.raises(ValueError, match="not valid JSON"):
        outgoing_from_view({"format": "json", "data": "{"}, [])
    with pytest.raises(ValueError, match="without its bytes"):
        outgoing_from_view({"format": "binary"}, [])


def test_gaps_ms() -> None:
    assert gaps_ms([]) is None and gaps_ms([1.0]) is None
    mean, p95 = gaps_ms([0.0, 0.001, 0.002, 0.003, 0.1]) or (0.0, 0.0)
    assert mean == pytest.approx(25.0) and p95 == pytest.approx(97.0)
    times = [i * 0.01 for i in range(101)]  # 100 gaps of 10 ms
    assert gaps_ms(times) == (pytest.approx(10.0), pytest.approx(10.0))
