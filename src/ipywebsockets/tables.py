"""Messages as table columns, for DataFrames (docs/dataframes.md). Pure: no I/O, no pandas.

:class:`Tabulator` turns messages into columns, a chunk of rows at a time:
``seq``, ``time`` (seconds since the epoch, made a UTC datetime by the engine),
``direction``, ``kind``, ``size``; then one column per JSON field, named by
its dot path (``"bids.0.price"``), or only the ``paths`` asked for; then
``text`` (text that is not strict JSON) and ``bytes`` (binary payloads).

A field whose first part is one of those column names (``seq``, ``time``,
``direction``, ``kind``, ``size``, ``text``, ``bytes``) or ``json`` is named
``"json." + path`` (a ticker's own ``"seq"`` becomes ``"json.seq"``); a
message that is a JSON scalar (``42``, ``"up"``) puts it in the ``json`` column.

Bounds, so one odd message cannot make a frame explode: at most
:data:`LEAVES` fields of one message and :data:`COLUMNS` field columns in
all. What falls outside is counted (:attr:`Tabulator.cut_messages`,
:attr:`Tabulator.cut_fields`) and said by :meth:`Tabulator.cut`.

Each column is classified for its dtype (:func:`kind_of`): ``"bool"``,
``"int"`` (64-bit), ``"float"`` (ints and floats mixed), ``"str"``,
``"bytes"``, ``"null"`` (no value at all) or ``"mixed"`` (anything else,
including ``{}`` and ``[]`` leaves and integers beyond 64 bits).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .message import Message
from .paths import MISSING, Path, flatten

__all__ = ["COLUMNS", "LEAVES", "META", "Chunk", "Tabulator", "check_direction", "kind_of"]

LEAVES = 1000
"""Most fields taken from one message (the rest are counted as cut)."""
COLUMNS = 2000
"""Most field columns in one table (fields past them are counted as cut)."""
META = ("seq", "time", "direction", "kind", "size")
"""The columns every table has, first, in this order."""
_RESERVED = frozenset((*META, "text", "bytes", "json"))
_INT64 = (-(2**63), 2**63 - 1)

Chunk = dict[str, list[Any]]
"""Column name -> values (None where a row has no value), every list as long."""


def check_direction(direction: str | None) -> str | None:
    """``direction`` if it is ``"in"``, ``"out"`` or None.

    Raises:
        ValueError: anything else.
    """
    if direction not in (None, "in", "out"):
        raise ValueError(f"direction must be 'in', 'out' or None (both), got {direction!r}")
    return direction


def column_name(path: str) -> str:
    """The column of the field at ``path`` (see the module docs on ``json.``)."""
    if not path:
        return "json"
    return f"json.{path}" if path.split(".", 1)[0] in _RESERVED else path


class Tabulator:
    """Builds columns from messages, ``chunk`` rows at a time; keeps the column order.

    Args:
        paths: the field paths to take (all fields when empty).
        direction: ``"in"``, ``"out"`` or None (both).
        chunk: rows per :class:`Chunk`.

    Raises:
        ValueError: a malformed path or direction; ``chunk`` below 1.
    """

    def __init__(
        self, paths: Sequence[str] = (), direction: str | None = None, chunk: int = 50_000
    ) -> None:
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1, got {chunk}")
        self.direction = check_direction(direction)
        self.chunk = chunk
        self.paths = [Path(p) for p in paths]
        self.fields: dict[str, str] = {column_name(p.text): p.text for p in self.paths}
        self._names: dict[str, str] = {}  # dot path -> its column, for every field column
        self.tail: list[str] = []  # "text", "bytes": as first seen
        self.cut_messages = 0
        self.cut_fields = 0
        self.rows = 0

    def columns(self) -> list[str]:
        """Every column seen so far, in table order."""
        return [*META, *self.fields, *self.tail]

    def chunks(self, messages: Iterable[Message]) -> Iterator[Chunk]:
        """The messages' rows, in chunks of at most ``chunk`` rows (at least one chunk).

        A chunk holds the columns seen so far, every one of them (None where
        a row has none): the chunks of one table concatenate column by column.
        """
        sparse: dict[str, tuple[list[int], list[Any]]] = {}
        meta: list[list[Any]] = [[] for _ in META]
        n = 0
        emitted = False
        for msg in messages:
            if self.direction is not None and msg.direction != self.direction:
                continue
            for values, item in zip(
                meta, (msg.seq, msg.time, msg.direction, msg.kind, msg.size), strict=True
            ):
                values.append(item)
            for name, item in self._cells(msg):
                column = sparse.get(name)
                if column is None:
                    column = sparse[name] = ([], [])
                column[0].append(n)
                column[1].append(item)
            n += 1
            if n == self.chunk:
                yield self._dense(meta, sparse, n)
                emitted = True
                sparse, meta, n = {}, [[] for _ in META], 0
        if n or not emitted:
            yield self._dense(meta, sparse, n)

    def _dense(
        self, meta: list[list[Any]], sparse: dict[str, tuple[list[int], list[Any]]], n: int
    ) -> Chunk:
        self.rows += n
        out: Chunk = dict(zip(META, meta, strict=True))
        for name in [*self.fields, *self.tail]:
            full: list[Any] = [None] * n
            rows, values = sparse.get(name, ((), ()))
            for i, value in zip(rows, values, strict=True):
                full[i] = value
            out[name] = full
        return out

    def _cells(self, msg: Message) -> Iterator[tuple[str, Any]]:
        if isinstance(msg.data, bytes):
            yield self._tail("bytes"), msg.data
            return
        value = msg.value()
        if value is msg.data:  # not strict JSON (a JSON string decodes without its quotes)
            yield self._tail("text"), msg.data  # not strict JSON
            return
        if self.paths:
            for name, path in zip(self.fields, self.paths, strict=True):
                found = path.get(value)
                if found is not MISSING:
                    yield name, found
            return
        leaves = list(flatten(value, LEAVES + 1))
        if len(leaves) > LEAVES:
            self.cut_messages += 1
            self.cut_fields += len(leaves) - LEAVES  # at least: flatten stopped there
            del leaves[LEAVES:]
        names = self._names
        for dotted, leaf in leaves:
            column = names.get(dotted)
            if column is None:
                if len(names) >= COLUMNS:
                    self.cut_fields += 1
                    continue
                column = names[dotted] = column_name(dotted)
                self.fields[column] = dotted
            yield column, leaf

    def _tail(self, name: str) -> str:
        if name not in self.tail:
            self.tail.append(name)
            self.tail.sort(key=("text", "bytes").index)
        return name

    def cut(self) -> str:
        """What the bounds left out, as a sentence ("" when nothing was)."""
        if not (self.cut_messages or self.cut_fields):
            return ""
        return (
            f"{self.cut_fields:,}+ field values were left out: {self.cut_messages:,} messages had "
            f"more than {LEAVES:,} fields (their first {LEAVES:,} are columns), and at most "
            f"{COLUMNS:,} field columns are made; pass the paths you need, e.g. "
            "to_pandas('price', 'symbol')"
        )


def kind_of(values: Iterable[Any]) -> str:
    """A column's kind for its dtype (see the module docs)."""
    kinds: set[type] = set()
    big = False
    for value in values:
        if value is None:
            continue
        kinds.add(type(value))
        if type(value) is int and not _INT64[0] <= value <= _INT64[1]:
            big = True
    if not kinds:
        return "null"
    if kinds == {bool}:
        return "bool"
    if kinds == {int}:
        return "mixed" if big else "int"
    if kinds <= {int, float}:
        return "float"
    if kinds == {str}:
        return "str"
    if kinds == {bytes}:
        return "bytes"
    return "mixed"
