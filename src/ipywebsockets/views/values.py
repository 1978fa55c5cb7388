"""``Values(ws)``: the latest value of every field of a stream, changed ones highlighted.

The kernel flattens each new message into field paths (at most ``max_fps``
times a second, on the publisher thread), keeps the latest value of each
(bounded by ``limit`` paths) and sends the view only the paths whose value
changed since its last flush. The page updates those rows in place.
"""

from __future__ import annotations

from typing import Any

import traitlets
from ipywidgets import Layout

from ..message import Message
from ..paths import Path
from ..widget import WebSocket
from ._base import SourceView
from ._window import Latest
from .chart import _everything

__all__ = ["Values"]


class Values(SourceView):
    """A table of the latest value of each field of a WebSocket's messages.

    ``Values(ws)`` shows every field path seen (``data.bids.0.price``), in the
    order first seen, at most ``limit`` of them (later ones are counted in
    ``overflow``); ``Values(ws, "price", "qty")`` shows only those. Values are
    shown as JSON text (strings quoted), with the time each last changed; a
    row that changes is highlighted for a moment. A message that is not JSON
    shows as the ``(message)`` row.

    Args:
        source: the :class:`~ipywebsockets.WebSocket` to follow (kernel or browser mode).
        *paths: the fields to show (none: all).
        limit: most fields shown when no paths are given.

    Raises:
        ValueError: a malformed path, or a bad limit.
    """

    _view = traitlets.Unicode("values").tag(sync=True)
    paths = traitlets.List(traitlets.Unicode(), read_only=True).tag(sync=True)
    limit = traitlets.Int(500, read_only=True).tag(sync=True)

    def __init__(self, source: WebSocket, *paths: str, limit: int = 500, **kwargs: Any) -> None:
        parsed = [Path(p) for p in paths]
        if len(set(parsed)) != len(parsed):
            raise ValueError(f"a field path is given twice in {list(paths)}")
        self._latest = Latest(parsed, limit)  # checks limit
        kwargs.setdefault("layout", Layout(flex="1 1 280px", min_width="0"))
        super().__init__(source, backlog=_everything(source), **kwargs)
        self._mark_dirty()  # the backlog already in the history

    def __repr__(self) -> str:
        return f"<Values of {self.source.url}, {len(self._latest.fields)} fields>"

    @traitlets.default("paths")
    def _default_paths(self) -> list[str]:
        return [p.text for p in self._latest.paths]

    @traitlets.default("limit")
    def _default_limit(self) -> int:
        return self._latest.limit

    @property
    def overflow(self) -> int:
        """New field paths not shown because ``limit`` paths were shown already."""
        return self._latest.overflow

    @property
    def values(self) -> dict[str, str]:
        """``{path: value as shown}``, in display order."""
        with self._sync_lock:
            return {name: self._latest.text(name) for name in self._latest.fields}

    def _publish(self, messages: list[Message], skipped: int) -> None:
        self._latest.update(messages)
        rows = self._latest.take_changed()
        if rows or skipped:
            self._send_rows("values", rows)

    def _handle(self, content: dict[str, Any], buffers: Any) -> dict[str, Any] | None:
        if content.get("type") != "hello":
            return None
        with self._sync_lock:  # against a flush on the publisher thread
            self._send_rows("table", self._latest.rows(), content.get("id"))
        return None

    def _send_rows(
        self, kind: str, rows: list[tuple[str, str, float]], view_id: Any = None
    ) -> None:
        content: dict[str, Any] = {
            "type": kind,
            # [path, value as text, when it last changed (ms since the epoch)]
            "rows": [[name, text, round(changed * 1000.0, 3)] for name, text, changed in rows],
            "overflow": self._latest.overflow,
            "skipped": self.skipped,
        }
        if view_id is not None:
            content["id"] = view_id
        self._send_view(content)
