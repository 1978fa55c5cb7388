"""Browser mode's batches applied to a stream: runs of incoming texts (``ins``), and bad ones."""

from __future__ import annotations

from typing import Any

from ipywebsockets._jupyter.outbox import Outbox
from ipywebsockets._jupyter.reports import Reports
from ipywebsockets._jupyter.stream import Stream


def apply(reports: Reports, first: int, events: list[dict[str, Any]]) -> None:
    reports.apply({"first": first, "events": events}, [], True, lambda event: None, lambda *a: None)


def fresh() -> tuple[Stream, Reports]:
    stream = Stream("ws://h", history=100, view_rows=10, callback_queue=10)
    return stream, Reports(stream, Outbox(10))


def test_a_run_is_one_message_per_text_with_its_own_time() -> None:
    stream, reports = fresh()
    apply(reports, 1, [{"e": "ins", "t0": 5000.0, "t": [0, 250, 1000], "text": ["a", "b", "c"]}])
    apply(
        reports,
        4,
        [
            {"e": "in", "t": 7000.0, "text": "d"},
            {"e": "ins", "t0": 8000.0, "t": [0], "text": ["e"]},
        ],
    )
    got = [(m.seq, m.data, m.time) for m in stream.history.snapshot()]
    assert got == [(1, "a", 5.0), (2, "b", 5.25), (3, "c", 6.0), (4, "d", 7.0), (5, "e", 8.0)]
    assert stream.stats.received == 5 and stream.state["lost"] == 0


def test_a_run_repeated_from_an_earlier_batch_is_skipped_where_seen() -> None:
    stream, reports = fresh()
    apply(reports, 1, [{"e": "ins", "t0": 0, "t": [0, 0], "text": ["a", "b"]}])
    apply(reports, 2, [{"e": "ins", "t0": 0, "t": [0, 0], "text": ["b", "c"]}])
    assert [m.data for m in stream.history.snapshot()] == ["a", "b", "c"]


def test_bad_runs_are_counted_never_made_up() -> None:
    stream, reports = fresh()
    # A text that is not one: counted lost, its seq used; no times: they came now.
    apply(reports, 1, [{"e": "ins", "t0": 0, "t": "x", "text": ["a", 7, "c"]}])
    assert [m.data for m in stream.history.snapshot()] == ["a", "c"]
    assert stream.state["lost"] == 1 and "not known to the kernel" in stream.state["error"]
    assert all(m.time > 1e9 for m in stream.history.snapshot())
    # No list of texts: how many is unknown; the next batch's first says how many were lost.
    apply(reports, 4, [{"e": "ins", "t0": 0, "t": [0, 0], "text": "de"}])
    apply(reports, 6, [{"e": "ins", "t0": 0, "t": [0], "text": ["f"]}])
    assert [m.data for m in stream.history.snapshot()] == ["a", "c", "f"]
    assert stream.state["lost"] == 3
