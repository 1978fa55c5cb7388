"""``iws.Log(ws)``: the message log of a WebSocket as a widget of its own."""

from __future__ import annotations

from typing import Any

import traitlets

from .._frontend import _row, full_message
from ..message import Message
from ..widget import WebSocket
from ._base import SourceView

__all__ = ["Log"]

# Rows one update carries at most (the older ones are counted as skipped): at
# max_fps=30 that is 30,000 rows a second, above what a page renders.
_BATCH_ROWS = 1000
_TAIL_ROWS = 10_000  # rows a newly shown log gets from the history at most


class Log(SourceView):
    """The message log: direction, time, size and a preview of every message.

    The page keeps the last ``rows`` rows and draws only those in view, so it
    scrolls through 100,000 rows and keeps up with a fast stream. Filter by
    text or regex, direction and kind; pause (messages keep being counted);
    click a row to see the whole message (JSON pretty-printed, binary as a hex
    + ASCII dump, fetched from the source's history) and copy it.

    Args:
        source: the :class:`~ipywebsockets.WebSocket` to show (kernel or browser mode).
        rows: rows the page keeps (the oldest are dropped and counted).
        backlog: messages already in the source's history the log starts with.
    """

    _view = traitlets.Unicode("log").tag(sync=True)
    rows = traitlets.Int(100_000).tag(sync=True)

    def __init__(
        self, source: WebSocket, *, rows: int = 100_000, backlog: int = 1000, **kwargs: Any
    ) -> None:
        super().__init__(source, backlog=backlog, batch_limit=_BATCH_ROWS, rows=rows, **kwargs)

    @traitlets.validate("rows")
    def _check_rows(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if not 1 <= value <= 1_000_000:
            raise traitlets.TraitError(f"rows must be between 1 and 1000000, got {value}")
        return value

    def _publish(self, messages: list[Message], skipped: int) -> None:
        if messages or skipped:
            rows = [_row(m) for m in messages]
            self._send_view({"type": "rows", "reset": False, "rows": rows, "skipped": skipped})

    def _handle(self, content: dict[str, Any], buffers: Any) -> dict[str, Any] | None:
        kind = content.get("type")
        stream = self.source._stream
        if kind == "get":
            reply, data = full_message(stream, content)
            self._send_view(reply, data)
        elif kind == "hello":  # a page shows the log: the newest rows of the history
            with stream.lock:
                rows = stream.history.tail(min(self.rows, _TAIL_ROWS))
                earlier = stream.history.next_seq - 1 - len(rows)
            self._send_view(
                {"type": "rows", "reset": True, "rows": [_row(m) for m in rows], "skipped": earlier}
            )
        return None
