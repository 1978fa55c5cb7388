"""Bounded buffers behind the Chart and Values views: no I/O, no threads, no widgets.

* :class:`Window`: the chart's rolling window, columnar (times and one column
  per series, as C doubles), bounded by a number of points and by seconds.
* :func:`numbers`: the numeric fields of a batch of messages, picked by path.
* :class:`Latest`: the latest value of every field path (or of chosen paths),
  bounded by a number of paths, with what changed since the last look.

The owner serialises access (the views hold their ``_sync_lock``). Messages
are parsed through the publisher's shared parse (``_jupyter.rows.parsed_value``).
"""

from __future__ import annotations

import bisect
import json
import math
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._jupyter.rows import parsed_value
from ..message import Message, loads
from ..paths import MISSING, Path, flatten

__all__ = ["Latest", "Window", "as_number", "json_of", "numbers", "to_bytes"]

_COMPACT_AT = 4096  # evicted rows kept before the arrays are compacted (amortised O(1))


class Window:
    """The last points of ``series`` time series sharing one time axis.

    Args:
        series: how many value columns each point has.
        points: most points kept (the oldest go first).
        seconds: points older than this, counted back from the newest point, go too
            (``None``: bounded by ``points`` only).
    """

    def __init__(self, series: int, points: int, seconds: float | None = None) -> None:
        if series < 1:
            raise ValueError(f"a chart window holds at least 1 series, got {series}")
        self.series = series
        self.points = 0
        self.seconds: float | None = None
        self.set_bounds(points, seconds)
        self._times = array("d")
        self._columns = [array("d") for _ in range(series)]
        self._start = 0  # rows before this one are evicted, not yet compacted
        self.evicted = 0

    def set_bounds(self, points: int, seconds: float | None) -> None:
        """Change the bounds (applied now and on every later :meth:`extend`)."""
        if not isinstance(points, int) or points < 1:
            raise ValueError(f"points must be a positive int, got {points!r}")
        if seconds is not None and not (seconds > 0 and math.isfinite(seconds)):
            raise ValueError(
                f"window must be a positive number of seconds or None, got {seconds!r}"
            )
        self.points = points
        self.seconds = None if seconds is None else float(seconds)
        if hasattr(self, "_times"):
            self._trim()

    def __len__(self) -> int:
        return len(self._times) - self._start

    def extend(self, times: Sequence[float], columns: Sequence[Sequence[float]]) -> None:
        """Append points: ``times[i]`` with ``columns[s][i]`` for each series ``s``.

        Times are seconds and should not go backwards (a clock step back only
        makes the seconds bound keep a few points longer).
        """
        if len(columns) != self.series:
            raise ValueError(f"expected {self.series} columns, got {len(columns)}")
        if any(len(c) != len(times) for c in columns):
            raise ValueError("every column needs one value per time")
        self._times.extend(times)
        for column, values in zip(self._columns, columns, strict=True):
            column.extend(values)
        self._trim()

    @property
    def newest(self) -> float | None:
        """The newest point's time (seconds), or None when the window is empty."""
        return self._times[-1] if len(self) else None

    def drop_before(self, oldest: float) -> None:
        """Evict the points older than ``oldest`` (seconds), e.g. another series' bound."""
        end = len(self._times)
        self._evict(max(self._start, bisect.bisect_left(self._times, oldest, self._start, end)))

    def _trim(self) -> None:
        end = len(self._times)
        start = max(self._start, end - self.points)
        if self.seconds is not None and end > start:
            oldest = self._times[end - 1] - self.seconds
            start = max(start, bisect.bisect_left(self._times, oldest, start, end))
        self._evict(start)

    def _evict(self, start: int) -> None:
        end = len(self._times)
        self.evicted += start - self._start
        self._start = start
        if start >= _COMPACT_AT and start * 2 >= end:
            del self._times[:start]
            for column in self._columns:
                del column[:start]
            self._start = 0

    def times(self) -> array[float]:
        """A copy of the kept times (seconds), oldest first."""
        return self._times[self._start :]

    def column(self, index: int) -> array[float]:
        """A copy of one series' kept values (NaN where a point lacks that series)."""
        return self._columns[index][self._start :]

    def tail(self, count: int) -> tuple[array[float], list[array[float]]]:
        """The newest ``count`` points (fewer if the window holds fewer)."""
        start = max(self._start, len(self._times) - count)
        return self._times[start:], [c[start:] for c in self._columns]


def as_number(value: Any) -> float | None:
    """``value`` as a finite float, or None (booleans and non-numeric text are not numbers).

    Numbers sent as JSON strings (``"101.25"``, as many exchange feeds do) count.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and 0 < len(value) <= 64:
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def numbers(
    messages: Iterable[Message], paths: Sequence[Path]
) -> tuple[list[float], list[list[float]], int]:
    """Pick the numeric fields ``paths`` out of the incoming messages.

    Returns ``(times, columns, ignored)``: one point per incoming message that
    carries at least one of the fields as a number (NaN for the others), and
    how many incoming messages carried none (not JSON, missing or non-numeric
    fields). Outgoing messages are not charted and not counted.
    """
    times: list[float] = []
    columns: list[list[float]] = [[] for _ in paths]
    ignored = 0
    nan = math.nan
    for msg in messages:
        if msg.direction != "in":
            continue
        value = json_of(msg)
        if value is MISSING:
            ignored += 1
            continue
        row = [as_number(p.get(value)) for p in paths]
        if all(v is None for v in row):
            ignored += 1
            continue
        times.append(msg.time)
        for column, v in zip(columns, row, strict=True):
            column.append(nan if v is None else v)
    return times, columns, ignored


def json_of(msg: Message) -> Any:
    """The decoded JSON object or array of ``msg`` (NaN and Infinity allowed), or MISSING."""
    data = msg.data
    if not isinstance(data, str) or data[:1] not in ("{", "["):
        return MISSING
    value = parsed_value(msg)
    if isinstance(value, str):  # not strict JSON: NaN or Infinity somewhere, or not JSON
        try:
            return loads(data)  # NaN and Infinity; too deep is a ValueError
        except ValueError:
            return MISSING
    return value


def to_bytes(values: array[float] | Sequence[float]) -> bytes:
    """Little-endian float64 bytes (what a JS ``Float64Array`` reads on every browser)."""
    data = values if isinstance(values, array) else array("d", values)
    if sys.byteorder != "little":
        data = array("d", data)
        data.byteswap()
    return data.tobytes()


_TEXT_LIMIT = 200
_LEAVES = 5000  # fields looked at per message (a huge message costs no more than this)


@dataclass
class _Field:
    value: Any  # the decoded leaf; its text is made only when it is shown
    changed: float  # seconds since the epoch


def _same(a: Any, b: Any) -> bool:
    # 1, 1.0 and true are equal in Python but not the same value on the wire.
    return type(a) is type(b) and a == b


@dataclass
class Latest:
    """The latest value of each field path of a stream, and which ones changed.

    Args:
        paths: show only these paths, in this order (empty: every path seen, in
            the order first seen).
        limit: most paths kept when ``paths`` is empty; later new paths are
            counted in ``overflow``, not shown. To tell new paths from ones
            already counted it remembers at most ``4 * limit`` of them (an order
            book keyed by price has no end of paths); past that it forgets them
            all and starts again, so a path refused long ago may count twice.
    """

    paths: Sequence[Path] = ()
    limit: int = 500
    fields: dict[str, _Field] = field(default_factory=dict)
    overflow: int = 0
    _changed: set[str] = field(default_factory=set)
    _unknown: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not isinstance(self.limit, int) or self.limit < 1:
            raise ValueError(f"limit must be a positive int, got {self.limit!r}")

    def update(self, messages: Iterable[Message]) -> None:
        """Take the incoming messages (oldest first) into the table."""
        for msg in messages:
            if msg.direction != "in":
                continue
            value = parsed_value(msg) if msg.kind == "text" else f"<binary, {msg.size} bytes>"
            if self.paths:
                for path in self.paths:
                    leaf = path.get(value)
                    if leaf is not MISSING:
                        self._set(path.text, leaf, msg.time)
            else:
                for name, leaf in flatten(value, _LEAVES):
                    self._set(name, leaf, msg.time)

    def _set(self, name: str, leaf: Any, when: float) -> None:
        found = self.fields.get(name)
        if found is None:
            if not self.paths and len(self.fields) >= self.limit:
                if name not in self._unknown:
                    if len(self._unknown) >= 4 * self.limit:
                        self._unknown.clear()
                    self._unknown.add(name)
                    self.overflow += 1
                return
            self.fields[name] = _Field(leaf, when)
            self._changed.add(name)
        elif not _same(found.value, leaf):
            found.value = leaf
            found.changed = when
            self._changed.add(name)

    def take_changed(self) -> list[tuple[str, str, float]]:
        """``(path, text, changed)`` of the fields that changed since the last call."""
        changed, self._changed = self._changed, set()
        return [self._row(name) for name in self.fields if name in changed]

    def rows(self) -> list[tuple[str, str, float]]:
        """Every field, in display order (what changed stays to be taken)."""
        return [self._row(name) for name in self.fields]

    def text(self, name: str) -> str:
        """How the field ``name`` is shown."""
        return display(self.fields[name].value)

    def _row(self, name: str) -> tuple[str, str, float]:
        f = self.fields[name]
        return name, display(f.value), f.changed


def display(leaf: Any) -> str:
    """A leaf as one line of text: JSON for JSON values (strings quoted), cut at 200 chars."""
    try:
        text = json.dumps(leaf, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        text = str(leaf)
    if len(text) > _TEXT_LIMIT:
        text = text[:_TEXT_LIMIT] + f"… (+{len(text) - _TEXT_LIMIT} chars)"
    return text
