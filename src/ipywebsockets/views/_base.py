"""What every live view shares: a WebSocket source, a cursor over its history, coalesced sends.

A :class:`SourceView` is a widget of its own (so it can sit in any ipywidgets
layout, and several can share one source). It never touches the source's
reception path: at most ``max_fps`` times a second the process's publisher
thread asks it to publish, and it reads the messages that arrived since its
last read from the source's history (:meth:`Stream.read_since`). What the
history evicted before the view read it is counted (``skipped``), not lost
silently.
"""

from __future__ import annotations

import threading
from typing import Any

import anywidget
import traitlets
from ipywidgets import widget_serialization

from .._jupyter import assets
from .._jupyter.lifecycle import close_own_layout, own_layout, refuse_unknown
from .._jupyter.publisher import Cursor, Throttle, get_publisher
from ..message import Message
from ..widget import WebSocket

__all__ = ["SourceView"]


class SourceView(anywidget.AnyWidget):  # type: ignore[misc]
    """Base of the live views: ``_view`` names the view the front end renders.

    Subclasses implement :meth:`_publish` (new messages, on the publisher
    thread) and may answer the view's custom messages in :meth:`_handle`.

    Args:
        source: the :class:`~ipywebsockets.WebSocket` (kernel or browser mode) to show.
        backlog: how many messages already in the source's history the view starts with.
        batch_limit: most messages handed to one :meth:`_publish` (the older are counted
            as skipped).
    """

    _esm = assets.esm("widget")
    _css = assets.css("widget")
    _view = traitlets.Unicode("").tag(sync=True)
    source = traitlets.Instance(WebSocket, read_only=True).tag(sync=True, **widget_serialization)
    skipped = traitlets.Int(0, read_only=True).tag(sync=True)

    def __init__(
        self, source: WebSocket, *, backlog: int = 0, batch_limit: int = 10_000, **kwargs: Any
    ) -> None:
        refuse_unknown(type(self), kwargs)
        if not isinstance(source, WebSocket):
            raise TypeError(
                f"{type(self).__name__} shows a WebSocket: pass iws.WebSocket(url) as its "
                f"source, not {type(source).__name__}"
            )
        self._sync_lock = threading.RLock()
        self._throttle = Throttle()
        self._batch_limit = batch_limit
        self._cursor = Cursor(source._stream, backlog)
        self._source = source  # the comm_open state already carries it (see _default_source)
        super().__init__(**kwargs)
        own_layout(self, kwargs)
        self.on_msg(self._on_custom)
        get_publisher().add(self)  # held weakly: a deleted view stops publishing

    @traitlets.default("source")
    def _default_source(self) -> WebSocket:
        return self._source

    @property
    def max_fps(self) -> int:
        """The source's ``max_fps``: views publish no faster than their source."""
        return int(self.source.max_fps)

    def _mark_dirty(self) -> None:
        """Publish soon even without new messages (e.g. a setting changed)."""
        self._throttle.mark()

    def _publish_due(self, now: float) -> float | None:
        """Called by the publisher thread: read and publish what is new, at most max_fps."""
        if not (self._cursor.pending or self._throttle.dirty):
            return None
        wait = self._throttle.wait(now, self.max_fps)
        if wait > 0:
            return wait
        with self._sync_lock:
            self._throttle.flushed(now)
            messages, skipped = self._cursor.read(self._batch_limit)
            if skipped:
                self.set_trait("skipped", self.skipped + skipped)
            self._publish(messages, skipped)
        return None

    def _publish(self, messages: list[Message], skipped: int) -> None:
        """Send the view what is new (publisher thread, under ``_sync_lock``)."""

    def _send_view(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        """A custom message to the view (any thread)."""
        with self._sync_lock:
            if self.comm is not None:
                anywidget.AnyWidget.send(self, content, buffers)

    def _on_custom(self, widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        try:
            reply = self._handle(content, buffers)
        except Exception as exc:  # said in the view, not lost on a thread's stderr
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        if reply is not None:
            reply.setdefault("type", f"{content.get('type')}_result")
            if "id" in content:
                reply["id"] = content["id"]
            self._send_view(reply)

    def _handle(self, content: dict[str, Any], buffers: Any) -> dict[str, Any] | None:
        """Answer one custom message from the view (None: no reply)."""
        return None

    def close(self) -> None:
        get_publisher().remove(self)
        close_own_layout(self)
        super().close()
