"""The Values view's pure part: the latest value per field path, bounded, with changes."""

from __future__ import annotations

import pytest

from ipywebsockets.message import Message
from ipywebsockets.paths import Path
from ipywebsockets.views._window import Latest, display


def msg(seq: int, data: str | bytes, direction: str = "in") -> Message:
    return Message.make(seq, 1000.0 + seq, direction, data)  # type: ignore[arg-type]


def test_latest_flattens_and_reports_changes() -> None:
    latest = Latest()
    latest.update([msg(1, '{"price": 1, "sym": "A", "book": {"bids": [[1, 2]]}}')])
    assert latest.take_changed() == [
        ("price", "1", 1001.0),
        ("sym", '"A"', 1001.0),
        ("book.bids.0.0", "1", 1001.0),
        ("book.bids.0.1", "2", 1001.0),
    ]
    assert latest.take_changed() == []
    latest.update([msg(2, '{"price": 2, "sym": "A"}'), msg(3, '{"price": 3, "sym": "A"}')])
    # Only what changed, once, with its newest value and when it changed.
    assert latest.take_changed() == [("price", "3", 1003.0)]
    assert latest.fields["sym"].changed == 1001.0


def test_latest_is_bounded_and_counts_the_rest() -> None:
    latest = Latest(limit=2)
    latest.update([msg(1, '{"a": 1, "b": 2, "c": 3}'), msg(2, '{"c": 4, "d": 5}')])
    assert list(latest.fields) == ["a", "b"]
    assert latest.overflow == 2  # c and d, each counted once


def test_latest_chosen_paths() -> None:
    latest = Latest([Path("price"), Path("data.0")])
    latest.update([msg(1, '{"price": 5, "other": 1}'), msg(2, '{"data": ["x"]}')])
    assert latest.rows() == [("price", "5", 1001.0), ("data.0", '"x"', 1002.0)]
    assert latest.overflow == 0


def test_latest_rows_leave_changes_for_the_next_flush() -> None:
    latest = Latest()
    latest.update([msg(1, '{"a": 1}')])
    assert latest.rows() == [("a", "1", 1001.0)]
    assert latest.take_changed() == [("a", "1", 1001.0)]  # other views still need it


def test_latest_non_json_binary_and_outgoing() -> None:
    latest = Latest()
    latest.update([msg(1, "hello"), msg(2, b"\x00\x01\x02"), msg(3, '{"x": 1}', direction="out")])
    assert latest.rows() == [("", '"<binary, 3 bytes>"', 1002.0)]


def test_latest_tells_numbers_from_booleans() -> None:
    latest = Latest()
    latest.update([msg(1, '{"a": 1}')])
    latest.take_changed()
    latest.update([msg(2, '{"a": 1.0}'), msg(3, '{"a": true}')])
    assert latest.take_changed() == [("a", "true", 1003.0)]


def test_display() -> None:
    assert display(1.5) == "1.5"
    assert display("A") == '"A"'
    assert display(None) == "null"
    assert display({}) == "{}"
    long = display("x" * 500)
    assert long.startswith('"xxx') and long.endswith("(+302 chars)")


def test_latest_rejects_a_bad_limit() -> None:
    with pytest.raises(ValueError, match="limit must be a positive int"):
        Latest(limit=0)
