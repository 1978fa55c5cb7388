"""``by=`` for Chart and Values, the pure part: groups, per-group windows and tables."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from ipywebsockets.message import Message
from ipywebsockets.paths import Path
from ipywebsockets.views._groups import (
    GroupedLatest,
    GroupedWindow,
    Groups,
    check_max_groups,
    group_label,
    grouped_numbers,
)


def msg(seq: int, data: Any, direction: str = "in", time: float | None = None) -> Message:
    text = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return Message.make(seq, 1000.0 + seq if time is None else time, direction, text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("ABC", "ABC"),
        ("", ""),
        (7, "7"),
        (2.5, "2.5"),
        (True, "true"),
        (False, "false"),
        (None, None),
        ({"a": 1}, None),
        ([1], None),
        ("x" * 150, "x" * 99 + "…"),
    ],
)
def test_group_label(value: Any, label: str | None) -> None:
    assert group_label(value) == label


def test_groups_first_seen_order_capped_and_counted() -> None:
    groups = Groups(Path("data.sym"), max_groups=2)
    places = [
        groups.place({"data": {"sym": s}}) for s in ["B", "A", "B", "C", "C", "D", "A", 7, "7"]
    ]
    assert places == [0, 1, 0, None, None, None, 1, None, None]
    assert groups.labels == ["B", "A"]
    # C, D and 7 ("7" is the same group as 7) were refused: 3 groups, 5 messages.
    assert groups.counts() == {"ungrouped": 0, "extra_groups": 3, "extra_messages": 5}
    for value in [{"data": {}}, {"data": {"sym": None}}, {"data": {"sym": [1]}}, "text", 5]:
        assert groups.place(value) is None
    assert groups.ungrouped == 5


@pytest.mark.parametrize("bad", [0, 1001, 2.0, True, "20", None])
def test_max_groups_is_checked(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_groups must be"):
        check_max_groups(bad)


def test_grouped_numbers_split_by_group_and_count_the_rest() -> None:
    groups = Groups(Path("sym"), max_groups=2)
    messages = [
        msg(1, {"sym": "A", "p": 1, "q": "2.5"}),
        msg(2, {"sym": "B", "p": 10}),
        msg(3, {"sym": "A", "p": 2}),
        msg(4, {"p": 5}),  # a number, no group: ungrouped
        msg(5, {"sym": "A"}),  # a group, no number: ignored (as without by)
        msg(6, "not json"),  # ignored
        msg(7, {"sym": "C", "p": 3}),  # past the cap
        msg(8, {"sym": "A", "p": 4}, direction="out"),  # outgoing: not charted, not counted
        msg(9, '{"sym": "B", "p": NaN, "q": 1}'),  # NaN is no number; q is
    ]
    points, ignored = grouped_numbers(messages, [Path("p"), Path("q")], groups)
    assert ignored == 2
    assert groups.labels == ["A", "B"]
    assert groups.counts() == {"ungrouped": 1, "extra_groups": 1, "extra_messages": 1}
    times_a, (p_a, q_a) = points[0]
    assert times_a == [1001.0, 1003.0] and p_a == [1.0, 2.0]
    assert q_a[0] == 2.5 and math.isnan(q_a[1])
    times_b, (p_b, q_b) = points[1]
    assert times_b == [1002.0, 1009.0] and p_b[0] == 10.0 and math.isnan(p_b[1])
    assert q_b[1] == 1.0


def test_grouped_window_bounds_points_per_group() -> None:
    win = GroupedWindow(1, points=3)
    # A fast group does not push the slow one's points out.
    win.extend({0: ([float(t) for t in range(10)], [[float(t) for t in range(10)]])})
    win.extend({1: ([4.5], [[100.0]])})
    assert [list(w.times()) for w in win.windows] == [[7.0, 8.0, 9.0], [4.5]]
    assert len(win) == 4


def test_grouped_window_seconds_count_back_from_the_newest_point_of_any_group() -> None:
    win = GroupedWindow(1, points=100, seconds=5.0)
    win.extend({0: ([1.0, 2.0, 3.0], [[1.0, 2.0, 3.0]]), 1: ([2.5], [[9.0]])})
    win.extend({0: ([7.6], [[4.0]])})  # group 1 went quiet: its point is now too old
    assert [list(w.times()) for w in win.windows] == [[3.0, 7.6], []]
    win.set_bounds(1, None)
    assert [list(w.times()) for w in win.windows] == [[7.6], []]
    with pytest.raises(ValueError, match="points must be a positive int"):
        win.set_bounds(0, None)
    assert win.points == 1


def test_grouped_latest_keeps_a_table_per_group() -> None:
    groups = Groups(Path("sym"), max_groups=2)
    latest = GroupedLatest(groups, limit=3)
    latest.update(
        [
            msg(1, {"sym": "A", "p": 1}),
            msg(2, {"sym": "B", "p": 10, "x": 1, "y": 2}),
            msg(3, {"sym": "A", "p": 2}),
            msg(4, {"p": 3}),  # no group
            msg(5, {"sym": "C", "p": 4}),  # past the cap
            msg(6, b"\x00"),  # binary: no group
        ]
    )
    assert latest.take_changed() == [
        ("sym", '"A"', 1001.0, 0),
        ("p", "2", 1003.0, 0),
        ("sym", '"B"', 1002.0, 1),
        ("p", "10", 1002.0, 1),
        ("x", "1", 1002.0, 1),
    ]
    assert latest.overflow == 1  # B's y: limit applies per group
    assert groups.counts() == {"ungrouped": 2, "extra_groups": 1, "extra_messages": 1}
    latest.update([msg(7, {"sym": "B", "p": 11})])
    assert latest.take_changed() == [("p", "11", 1007.0, 1)]
    assert [r[:2] for r in latest.rows()] == [
        ("sym", '"A"'),
        ("p", "2"),
        ("sym", '"B"'),
        ("p", "11"),
        ("x", "1"),
    ]


def test_grouped_latest_chosen_paths() -> None:
    latest = GroupedLatest(Groups(Path("s")), [Path("p")])
    latest.update([msg(1, {"s": 1, "p": 1, "q": 2}), msg(2, {"s": 2, "q": 3})])
    assert latest.rows() == [("p", "1", 1001.0, 0)]
    assert latest.groups.labels == ["1", "2"]
