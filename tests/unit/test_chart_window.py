"""The chart's pure parts: the bounded rolling window and numeric field extraction."""

from __future__ import annotations

import math
import struct

import pytest

from ipywebsockets.message import Message
from ipywebsockets.paths import Path
from ipywebsockets.views._window import Window, as_number, numbers, to_bytes


def msg(seq: int, data: str | bytes, at: float | None = None, direction: str = "in") -> Message:
    return Message.make(seq, float(seq) if at is None else at, direction, data)  # type: ignore[arg-type]


# -- Window ----------------------------------------------------------------------


def test_window_keeps_the_newest_points() -> None:
    w = Window(1, points=3)
    w.extend([1, 2], [[10, 20]])
    w.extend([3, 4, 5], [[30, 40, 50]])
    assert len(w) == 3
    assert list(w.times()) == [3, 4, 5]
    assert list(w.column(0)) == [30, 40, 50]
    assert w.evicted == 2


def test_window_keeps_the_last_seconds() -> None:
    w = Window(2, points=1000, seconds=10)
    w.extend([0.0, 5.0, 9.0], [[1, 2, 3], [4, 5, 6]])
    assert len(w) == 3
    w.extend([12.0], [[7], [8]])  # 12 - 10 = 2: the point at 0 goes
    assert list(w.times()) == [5.0, 9.0, 12.0]
    assert list(w.column(1)) == [5, 6, 8]
    w.extend([30.0], [[9], [10]])
    assert list(w.times()) == [30.0]


def test_window_applies_both_bounds() -> None:
    w = Window(1, points=2, seconds=100)
    w.extend([1, 2, 3], [[1, 2, 3]])
    assert list(w.times()) == [2, 3]


def test_window_stays_bounded_and_compacts() -> None:
    w = Window(1, points=100)
    for i in range(0, 50_000, 250):
        w.extend([float(t) for t in range(i, i + 250)], [[float(t) for t in range(i, i + 250)]])
        assert len(w) == 100
        assert len(w._times) <= 100 + 4096 * 2 + 250  # evicted rows are dropped in bulk
    assert list(w.times()) == [float(t) for t in range(49_900, 50_000)]
    assert w.evicted == 50_000 - 100


def test_window_bounds_change() -> None:
    w = Window(1, points=10)
    w.extend([1, 2, 3, 4], [[1, 2, 3, 4]])
    w.set_bounds(2, None)
    assert list(w.times()) == [3, 4]
    w.set_bounds(10, 0.5)
    assert list(w.times()) == [4]


def test_window_tail() -> None:
    w = Window(1, points=10)
    w.extend([1, 2, 3], [[4, 5, 6]])
    times, cols = w.tail(2)
    assert list(times) == [2, 3] and list(cols[0]) == [5, 6]


@pytest.mark.parametrize(
    ("series", "points", "seconds", "text"),
    [
        (0, 10, None, "at least 1 series"),
        (1, 0, None, "points must be a positive int"),
        (1, 10, 0.0, "positive number of seconds"),
        (1, 10, math.inf, "positive number of seconds"),
    ],
)
def test_window_rejects_bad_bounds(series: int, points: int, seconds: float, text: str) -> None:
    with pytest.raises(ValueError, match=text):
        Window(series, points, seconds)


def test_window_checks_columns() -> None:
    w = Window(2, points=10)
    with pytest.raises(ValueError, match="expected 2 columns"):
        w.extend([1], [[1]])
    with pytest.raises(ValueError, match="one value per time"):
        w.extend([1], [[1], [1, 2]])


# -- numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1.0),
        (2.5, 2.5),
        ("101.25", 101.25),
        ("1e3", 1000.0),
        (True, None),
        (None, None),
        ("abc", None),
        ("", None),
        ("nan", None),
        (float("inf"), None),
        ([1], None),
        ({"a": 1}, None),
    ],
)
def test_as_number(value: object, expected: float | None) -> None:
    assert as_number(value) == expected


def test_numbers_picks_fields_by_path() -> None:
    messages = [
        msg(1, '{"price": 10.5, "qty": 3}', at=100.0),
        msg(2, '{"data": {"bids": [{"price": "99.5"}]}, "qty": 4}', at=101.0),
        msg(3, '{"price": "n/a"}', at=102.0),  # no number: ignored
        msg(4, "not json", at=103.0),  # ignored
        msg(5, b"\x00\x01", at=104.0),  # binary: ignored
        msg(6, '{"price": 11}', at=105.0, direction="out"),  # sent by us: not charted
        msg(7, "[1, 2]", at=106.0),  # JSON without the fields: ignored
        msg(8, '{"price": true, "qty": 5}', at=107.0),  # a bool is not a number
    ]
    paths = [Path("price"), Path("qty"), Path("data.bids.0.price")]
    times, columns, ignored = numbers(messages, paths)
    assert times == [100.0, 101.0, 107.0]
    price, qty, bid = columns
    assert price[0] == 10.5 and math.isnan(price[1]) and math.isnan(price[2])
    assert qty == [3.0, 4.0, 5.0]
    assert math.isnan(bid[0]) and bid[1] == 99.5
    assert ignored == 4


def test_numbers_of_nothing() -> None:
    assert numbers([], [Path("a")]) == ([], [[]], 0)


def test_to_bytes_is_little_endian_float64() -> None:
    data = to_bytes([1.5, -2.0, math.nan])
    assert len(data) == 24
    a, b, c = struct.unpack("<3d", data)
    assert (a, b) == (1.5, -2.0) and math.isnan(c)


def test_json_too_deep_to_decode_is_ignored_and_counted() -> None:
    from ipywebsockets.message import Message
    from ipywebsockets.paths import Path
    from ipywebsockets.views._window import numbers

    deep = Message.make(1, 0.0, "in", "[" * 3000 + "]" * 3000)
    price = Message.make(2, 1.0, "in", '{"price": 2.5}')
    times, columns, ignored = numbers([deep, price], [Path("price")])
    assert (times, columns, ignored) == ([1.0], [[2.5]], 1)
