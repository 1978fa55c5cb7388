"""``iws.Composer(ws)``: write and send messages, keep a list of them, repeat one."""

from __future__ import annotations

from typing import Any

import traitlets

from .._jupyter.view_requests import outgoing_from_view
from ..widget import WebSocket
from ._base import SourceView

__all__ = ["Composer"]


class Composer(SourceView):
    """Compose and send text, JSON (checked before sending) or binary (written as hex).

    Messages can be saved in a list (the ``saved`` trait: a list of
    ``{"name", "format", "data"}``, kept in the notebook's widget state) and
    repeated every N milliseconds (at least 10); a repeat stops when the
    connection closes. Sends go through the kernel (``ws.send``), in both modes.

    Args:
        source: the :class:`~ipywebsockets.WebSocket` to send with.
        saved: messages to start the list with.
    """

    _view = traitlets.Unicode("composer").tag(sync=True)
    saved = traitlets.List(traitlets.Dict()).tag(sync=True)
    # The source's status, for the page (a repeat stops when it reads "closed").
    status = traitlets.Unicode("", read_only=True).tag(sync=True)

    def __init__(
        self, source: WebSocket, *, saved: list[dict[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(source, saved=list(saved or []), **kwargs)
        self.set_trait("status", source.status)
        source.observe(self._on_status, names=["status"])

    def _on_status(self, change: dict[str, Any]) -> None:
        self.set_trait("status", change["new"])

    def _publish_due(self, now: float) -> float | None:
        return None  # a composer shows no messages: nothing to read from the stream

    def _handle(self, content: dict[str, Any], buffers: Any) -> dict[str, Any] | None:
        if content.get("type") != "send":
            return None
        try:
            self.source.send(outgoing_from_view(content, buffers))
        except Exception as exc:  # said in the view
            return {"error": str(exc)}
        return {"error": None}

    def close(self) -> None:
        source = getattr(self, "source", None)
        if source is not None:
            source.unobserve(self._on_status, names=["status"])
        super().close()
