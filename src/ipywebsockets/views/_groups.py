"""``by=`` for the Chart and Values views: messages split by a field's value. No I/O, no widgets.

* :func:`group_label`: a field's value as a group's label (scalars only).
* :class:`Groups`: the groups seen, in first-seen order, at most ``max_groups``;
  what could not be placed is counted (messages without the field, groups past
  the cap and their messages).
* :class:`GroupedWindow`: one chart :class:`~._window.Window` per group, the
  ``points`` bound per group, the ``seconds`` bound counted back from the newest
  point of any group (a group that goes quiet scrolls off the chart).
* :class:`GroupedLatest`: one :class:`~._window.Latest` table per group.
* :class:`GroupCounts`: what the Chart and Values views say of their groups.

The owner serialises access (the views hold their ``_sync_lock``).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from ..message import Message
from ..paths import Path
from ._window import Latest, Window, as_number, json_of

__all__ = [
    "GroupCounts",
    "GroupedLatest",
    "GroupedWindow",
    "Groups",
    "check_max_groups",
    "group_label",
]

LABEL_LIMIT = 100
"""Most characters of a group value kept as its label (longer ones are cut, marked with …)."""
_REMEMBERED = 10_000  # refused group labels remembered, to count each refused group once


def group_label(value: Any) -> str | None:
    """The group a ``by`` field's value names, as text; None when it names none.

    Strings stand for themselves (``"ABC"``); numbers and booleans are written as
    JSON (``7``, ``2.5``, ``true``), so ``7`` and ``"7"`` are the same group.
    A missing field, ``null``, an object or a list name no group.
    """
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = json.dumps(value) if math.isfinite(value) else str(value)
    else:
        return None
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def check_max_groups(max_groups: Any) -> int:
    """``max_groups`` if it is an int from 1 to 1000.

    Raises:
        ValueError: anything else.
    """
    if isinstance(max_groups, bool) or not isinstance(max_groups, int):
        raise ValueError(f"max_groups must be an int from 1 to 1000, got {max_groups!r}")
    if not 1 <= max_groups <= 1000:
        raise ValueError(f"max_groups must be from 1 to 1000, got {max_groups}")
    return max_groups


class Groups:
    """The groups of a stream by the field ``by``, in first-seen order, at most ``max_groups``.

    Args:
        by: the field naming each message's group (a path, e.g. ``"data.sym"``).
        max_groups: most groups kept; messages of later groups are counted in
            :attr:`extra_messages` and those groups in :attr:`extra_groups` (each
            once, as long as at most 10,000 refused groups are remembered: past
            that they are forgotten, and a group refused long ago may count twice).
    """

    def __init__(self, by: Path, max_groups: int = 20) -> None:
        self.by = by
        self.max_groups = check_max_groups(max_groups)
        self.labels: list[str] = []
        self._index: dict[str, int] = {}
        self._refused: set[str] = set()
        self.ungrouped = 0  # messages without the field, or with a non-scalar one
        self.extra_groups = 0
        self.extra_messages = 0

    def place(self, value: Any) -> int | None:
        """The group index of a decoded message, adding its group if new; None: counted."""
        label = group_label(self.by.get(value))
        if label is None:
            self.ungrouped += 1
            return None
        index = self._index.get(label)
        if index is not None:
            return index
        if len(self.labels) < self.max_groups:
            self._index[label] = len(self.labels)
            self.labels.append(label)
            return len(self.labels) - 1
        self.extra_messages += 1
        if label not in self._refused:
            if len(self._refused) >= _REMEMBERED:
                self._refused.clear()
            self._refused.add(label)
            self.extra_groups += 1
        return None

    def counts(self) -> dict[str, int]:
        """What was not placed, as the views send it: ungrouped, extra_groups, extra_messages."""
        return {
            "ungrouped": self.ungrouped,
            "extra_groups": self.extra_groups,
            "extra_messages": self.extra_messages,
        }


Points = dict[int, tuple[list[float], list[list[float]]]]
"""Group index -> (times, one column per path), the new points of each group."""


def grouped_numbers(
    messages: Iterable[Message], paths: Sequence[Path], groups: Groups
) -> tuple[Points, int]:
    """The numeric fields ``paths`` of the incoming messages, split by group.

    Returns ``(points, ignored)``. A message that carries none of the fields as
    a number is ``ignored`` (as without ``by``); one that does but names no
    group, or a group past the cap, is counted by ``groups``.
    """
    points: Points = {}
    ignored = 0
    nan = math.nan
    for msg in messages:
        if msg.direction != "in":
            continue
        value = json_of(msg)
        row = [as_number(p.get(value)) for p in paths] if isinstance(value, (dict, list)) else []
        if all(v is None for v in row):
            ignored += 1
            continue
        index = groups.place(value)
        if index is None:
            continue
        found = points.get(index)
        if found is None:
            found = points[index] = ([], [[] for _ in paths])
        found[0].append(msg.time)
        for column, v in zip(found[1], row, strict=True):
            column.append(nan if v is None else v)
    return points, ignored


class GroupedWindow:
    """One chart window per group, created as groups come (group ``i`` is ``windows[i]``).

    Args:
        series: value columns per group (the field paths).
        points: most points kept per group.
        seconds: points older than this, counted back from the newest point of
            any group, go (``None``: bounded by ``points`` only).
    """

    def __init__(self, series: int, points: int, seconds: float | None = None) -> None:
        Window(series, points, seconds)  # checks the arguments before any group comes
        self.series = series
        self.points = points
        self.seconds = seconds
        self.windows: list[Window] = []

    def __len__(self) -> int:
        return sum(len(w) for w in self.windows)

    def set_bounds(self, points: int, seconds: float | None) -> None:
        """Change the bounds (applied now and on every later :meth:`extend`)."""
        Window(self.series, points, seconds)  # checks them, changing nothing if bad
        self.points, self.seconds = points, seconds
        for window in self.windows:
            window.set_bounds(points, seconds)
        self._trim()

    def extend(self, points: Points) -> None:
        """Append each group's new points (groups not seen before get a window)."""
        for index in sorted(points):
            while len(self.windows) <= index:
                self.windows.append(Window(self.series, self.points, self.seconds))
            times, columns = points[index]
            self.windows[index].extend(times, columns)
        self._trim()

    def _trim(self) -> None:
        if self.seconds is None:
            return
        newest = [t for t in (w.newest for w in self.windows) if t is not None]
        if newest:
            oldest = max(newest) - self.seconds
            for window in self.windows:
                window.drop_before(oldest)


class GroupedLatest:
    """The latest value of each field, per group: :class:`~._window.Latest` per group.

    Args:
        groups: which group each message goes to (and the counts of the rest).
        paths: show only these paths in each group (empty: every path seen).
        limit: most paths per group when ``paths`` is empty.
    """

    def __init__(self, groups: Groups, paths: Sequence[Path] = (), limit: int = 500) -> None:
        Latest(paths, limit)  # checks limit before any group comes
        self.groups = groups
        self.paths = paths
        self.limit = limit
        self.tables: list[Latest] = []

    @property
    def overflow(self) -> int:
        """New field paths not shown, over all groups (each group has its own ``limit``)."""
        return sum(t.overflow for t in self.tables)

    def update(self, messages: Iterable[Message]) -> None:
        """Take the incoming messages (oldest first) into their groups' tables."""
        batches: dict[int, list[Message]] = {}
        for msg in messages:
            if msg.direction != "in":
                continue
            index = self.groups.place(json_of(msg))
            if index is not None:
                batches.setdefault(index, []).append(msg)
        for index in sorted(batches):  # each group's messages, oldest first
            while len(self.tables) <= index:
                self.tables.append(Latest(self.paths, self.limit))
            self.tables[index].update(batches[index])

    def take_changed(self) -> list[tuple[str, str, float, int]]:
        """``(path, text, changed, group)`` of the fields that changed since the last call."""
        return [(*row, i) for i, t in enumerate(self.tables) for row in t.take_changed()]

    def rows(self) -> list[tuple[str, str, float, int]]:
        """Every field of every group, in display order."""
        return [(*row, i) for i, t in enumerate(self.tables) for row in t.rows()]


class GroupCounts:
    """The read-only group counts of a view made with ``by=`` (Chart, Values).

    The view sets ``_groups`` (None without ``by``) and ``_sync_lock``.
    """

    _groups: Groups | None
    _sync_lock: threading.RLock

    @property
    def groups(self) -> list[str]:
        """With ``by``: the groups' labels, in first-seen order."""
        with self._sync_lock:
            return [] if self._groups is None else list(self._groups.labels)

    @property
    def ungrouped(self) -> int:
        """With ``by``: messages that named no group (``by`` missing or not a scalar)."""
        return 0 if self._groups is None else self._groups.ungrouped

    @property
    def extra_groups(self) -> int:
        """With ``by``: groups not shown, past ``max_groups``."""
        return 0 if self._groups is None else self._groups.extra_groups

    @property
    def extra_messages(self) -> int:
        """With ``by``: messages of the groups not shown."""
        return 0 if self._groups is None else self._groups.extra_messages
