"""``Values(ws)``: the latest value of every field of a stream, changed ones highlighted.

The kernel flattens each new message into field paths (at most ``max_fps``
times a second, on the publisher thread), keeps the latest value of each
(bounded by ``limit`` paths) and sends the view only the paths whose value
changed since its last flush. The page updates those rows in place.

With ``by="symbol"`` it keeps that per group (:mod:`._groups`), each row
carrying its group's index.
"""

from __future__ import annotations

from typing import Any

import traitlets
from ipywidgets import Layout

from ..message import Message
from ..paths import Path
from ..widget import WebSocket
from ._base import SourceView
from ._groups import GroupCounts, GroupedLatest, Groups, check_max_groups
from ._window import Latest
from .chart import _by_path, _everything

__all__ = ["Values"]


class Values(GroupCounts, SourceView):
    """A table of the latest value of each field of a WebSocket's messages.

    ``Values(ws)`` shows every field path seen (``data.bids.0.price``), in the
    order first seen, at most ``limit`` of them (later ones are counted in
    ``overflow``); ``Values(ws, "price", "qty")`` shows only those. Values are
    shown as JSON text (strings quoted), with the time each last changed; a
    row that changes is highlighted for a moment. A message that is not JSON
    shows as the ``(message)`` row.

    ``Values(ws, by="symbol")`` shows a group of rows per distinct value of
    each message's ``symbol`` field (a path too, e.g. ``"data.sym"``), headed
    by that value, in the order the groups first come, at most ``max_groups``
    of them: each group's rows are what ``Values`` shows, for that group's
    messages only (``limit`` applies to each group). Messages that name no
    group (the field missing, ``null``, an object or a list) are counted in
    ``ungrouped``; groups past ``max_groups`` in ``extra_groups``, their
    messages in ``extra_messages``.

    Args:
        source: the :class:`~ipywebsockets.WebSocket` to follow (kernel or browser mode).
        *paths: the fields to show (none: all).
        limit: most fields shown when no paths are given (per group, with ``by``).
        by: the field whose value names each message's group (None: no groups).
        max_groups: most groups with ``by`` (1 to 1000).

    Raises:
        ValueError: a malformed path (``by`` too), a bad limit or ``max_groups``.
    """

    _view = traitlets.Unicode("values").tag(sync=True)
    paths = traitlets.List(traitlets.Unicode(), read_only=True).tag(sync=True)
    limit = traitlets.Int(500, read_only=True).tag(sync=True)
    by = traitlets.Unicode(None, allow_none=True, read_only=True).tag(sync=True)
    max_groups = traitlets.Int(20, read_only=True).tag(sync=True)

    def __init__(
        self,
        source: WebSocket,
        *paths: str,
        limit: int = 500,
        by: str | None = None,
        max_groups: int = 20,
        **kwargs: Any,
    ) -> None:
        parsed = [Path(p) for p in paths]
        if len(set(parsed)) != len(parsed):
            raise ValueError(f"a field path is given twice in {list(paths)}")
        self._latest = Latest(parsed, limit)  # checks limit
        check_max_groups(max_groups)
        self._groups = None if by is None else Groups(_by_path(by), max_groups)
        self._grouped = None if self._groups is None else GroupedLatest(self._groups, parsed, limit)
        self._sent_groups = 0  # group labels the page was told of
        kwargs.setdefault("layout", Layout(flex="1 1 280px", min_width="0"))
        super().__init__(source, backlog=_everything(source), **kwargs)
        self._mark_dirty()  # the backlog already in the history

    def __repr__(self) -> str:
        if self._grouped is not None:
            fields = sum(len(t.fields) for t in self._grouped.tables)
            return f"<Values of {self.source.url} by {self.by}, {fields} fields>"
        return f"<Values of {self.source.url}, {len(self._latest.fields)} fields>"

    @traitlets.default("paths")
    def _default_paths(self) -> list[str]:
        return [p.text for p in self._latest.paths]

    @traitlets.default("limit")
    def _default_limit(self) -> int:
        return self._latest.limit

    @traitlets.default("by")
    def _default_by(self) -> str | None:
        return None if self._groups is None else self._groups.by.text

    @traitlets.default("max_groups")
    def _default_max_groups(self) -> int:
        return 20 if self._groups is None else self._groups.max_groups

    @property
    def overflow(self) -> int:
        """New field paths not shown because ``limit`` paths were shown already (all groups)."""
        return self._latest.overflow if self._grouped is None else self._grouped.overflow

    @property
    def values(self) -> dict[str, Any]:
        """``{path: value as shown}``, in display order; with ``by``: ``{group: {path: ...}}``."""
        with self._sync_lock:
            if self._grouped is None:
                return _texts(self._latest)
            labels = self._grouped.groups.labels
            return {labels[i]: _texts(t) for i, t in enumerate(self._grouped.tables)}

    def _publish(self, messages: list[Message], skipped: int) -> None:
        if self._grouped is not None:
            before = self._grouped.groups.counts()
            self._grouped.update(messages)
            rows: list[Any] = self._grouped.take_changed()
            changed = self._grouped.groups.counts() != before
        else:
            self._latest.update(messages)
            rows, changed = self._latest.take_changed(), False
        if rows or skipped or changed:
            self._send_rows("values", rows)

    def _handle(self, content: dict[str, Any], buffers: Any) -> dict[str, Any] | None:
        if content.get("type") != "hello":
            return None
        with self._sync_lock:  # against a flush on the publisher thread
            rows: list[Any] = self._latest.rows() if self._grouped is None else self._grouped.rows()
            self._send_rows("table", rows, content.get("id"))
        return None

    def _send_rows(self, kind: str, rows: list[tuple[Any, ...]], view_id: Any = None) -> None:
        content: dict[str, Any] = {
            "type": kind,
            # [path, value as text, when it last changed (ms since the epoch)(, group index)]
            "rows": [[row[0], row[1], round(row[2] * 1000.0, 3), *row[3:]] for row in rows],
            "overflow": self.overflow,
            "skipped": self.skipped,
        }
        if self._groups is not None:
            content.update(self._groups.counts())
            labels = self._groups.labels
            if kind == "table" or len(labels) != self._sent_groups:
                content["groups"] = list(labels)  # the whole list: it only grows
                self._sent_groups = len(labels)
        if view_id is not None:
            content["id"] = view_id
        self._send_view(content)


def _texts(latest: Latest) -> dict[str, str]:
    return {name: latest.text(name) for name in latest.fields}
