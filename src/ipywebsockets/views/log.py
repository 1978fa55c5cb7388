"""``iws.Log(ws)``: the message log of a WebSocket as a widget of its own."""

from __future__ import annotations

from typing import Any

import traitlets

from .._jupyter.rows import wire_rows
from .._jupyter.view_requests import full_message
from ..message import Message
from ..widget import WebSocket
from ._base import SourceView

__all__ = ["Log"]

# Rows one update carries at most when the kernel feeds a page (the older ones are
# counted as skipped): at max_fps=30 that is 30,000 rows a second.
_BATCH_ROWS = 1000
_TAIL_ROWS = 10_000  # rows a newly shown log gets from the history at most


class Log(SourceView):
    """The message log: direction, time, size and a preview of every message.

    The page keeps the last ``rows`` rows and draws only those in view, so it
    scrolls through 100,000 rows and keeps up with a fast stream. Filter by
    text or regex, direction and kind; pause (messages keep being counted);
    click a row to see the whole message (JSON pretty-printed, binary as a hex
    + ASCII dump, fetched from the source's history) and copy it.

    New rows come from those the page already receives for the source (its
    ``frames`` messages, or in browser mode the page's own socket): a log costs
    the kernel and the page no second copy of the stream. The kernel answers
    only the log's first request (the history since the log started) and
    requests for whole messages. The log's header counts what it does not show.
    A page that cannot reach the socket's rows (a front end without a widget
    manager to look the socket up) asks the kernel to send them (``follow``).

    Args:
        source: the :class:`~ipywebsockets.WebSocket` to show (kernel or browser mode).
        rows: rows the page keeps (the oldest are dropped and counted).
        backlog: messages already in the source's history the log starts with.

    Attributes:
        skipped: messages the kernel did not send a page it feeds (``follow``)
            because the history evicted them first; 0 otherwise (the page counts
            what it does not hold).
    """

    _view = traitlets.Unicode("log").tag(sync=True)
    rows = traitlets.Int(100_000).tag(sync=True)
    # seq of the first message the log shows (backlog included); the page skips older rows.
    _first = traitlets.Int(1, read_only=True).tag(sync=True)

    def __init__(
        self, source: WebSocket, *, rows: int = 100_000, backlog: int = 1000, **kwargs: Any
    ) -> None:
        self._kernel_feed = False  # a page asked the kernel for the rows (follow)
        super().__init__(source, backlog=backlog, batch_limit=_BATCH_ROWS, rows=rows, **kwargs)

    @traitlets.default("_first")
    def _default_first(self) -> int:
        return self._cursor.seq  # set by SourceView from backlog before the comm opens

    @traitlets.validate("rows")
    def _check_rows(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if not 1 <= value <= 1_000_000:
            raise traitlets.TraitError(f"rows must be between 1 and 1000000, got {value}")
        return value

    def _publish_due(self, now: float) -> float | None:
        if not self._kernel_feed:
            return None  # new rows reach the page with the source's own (see the class docstring)
        return super()._publish_due(now)

    def _publish(self, messages: list[Message], skipped: int) -> None:
        if messages or skipped:
            self._send_view({"type": "rows", "reset": False, "rows": wire_rows(messages)})

    def _handle(self, content: dict[str, Any], buffers: Any) -> dict[str, Any] | None:
        kind = content.get("type")
        stream = self.source._stream
        if kind == "get":
            reply, data = full_message(stream, content)
            self._send_view(reply, data)
        elif kind == "hello":  # a page shows the log: the newest rows of the history
            with stream.lock:
                rows = stream.history.tail(min(self.rows, _TAIL_ROWS))
            rows = [m for m in rows if m.seq >= self._first]
            self._send_view({"type": "rows", "reset": True, "rows": wire_rows(rows)})
        elif kind == "follow" and not self._kernel_feed:
            self._kernel_feed = True  # from _first on; the page keeps each seq once
            self._mark_dirty()
        return None
