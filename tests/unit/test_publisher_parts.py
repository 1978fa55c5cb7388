"""Throttle and Cursor: the rate gate and the read position every publisher shares."""

from __future__ import annotations

import pytest

from ipywebsockets._jupyter.publisher import Cursor, Throttle
from ipywebsockets._jupyter.stream import Stream


def stream_of(count: int, history: int = 10) -> Stream:
    stream = Stream("ws://h", history=history, view_rows=10, callback_queue=10)
    for i in range(count):
        stream.on_message(f"m{i}")
    return stream


def test_throttle_lets_a_flush_through_at_most_fps_times_a_second() -> None:
    throttle = Throttle()
    assert not throttle.dirty
    throttle.mark()
    assert throttle.dirty
    assert throttle.wait(100.0, 10) == 0.0, "never flushed: due at once"
    throttle.flushed(100.0)
    assert not throttle.dirty
    assert throttle.wait(100.04, 10) == pytest.approx(0.06)
    assert throttle.wait(100.11, 10) == 0.0


def test_cursor_reads_what_arrived_since_its_last_read() -> None:
    stream = stream_of(3)
    cursor = Cursor(stream, backlog=1)
    assert cursor.pending
    messages, skipped = cursor.read()
    assert [m.data for m in messages] == ["m2"] and skipped == 0
    assert not cursor.pending
    stream.on_message("m3")
    assert cursor.pending and [m.data for m in cursor.read()[0]] == ["m3"]


def test_cursor_counts_what_the_history_evicted_and_what_a_limit_left_out() -> None:
    stream = stream_of(2, history=5)
    cursor = Cursor(stream)  # from the oldest kept
    for i in range(2, 10):
        stream.on_message(f"m{i}")
    messages, skipped = cursor.read(limit=3)
    assert [m.data for m in messages] == ["m7", "m8", "m9"]
    assert skipped == 7, "5 evicted before the read, 2 more left out by the limit"


def test_cursor_skip_to_end() -> None:
    stream = stream_of(4)
    cursor = Cursor(stream)
    cursor.skip_to_end()
    assert not cursor.pending and cursor.read() == ([], 0)
