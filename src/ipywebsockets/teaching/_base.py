"""What every teaching view shares: the front end bundle, safe headers, coalesced updates."""

from __future__ import annotations

import threading
from typing import Any

import anywidget
import traitlets

from .._jupyter import assets
from .._jupyter.lifecycle import close_own_layout, own_layout
from .._jupyter.publisher import Throttle, get_publisher
from ..redact import PUBLIC_HEADERS, redact_text, redact_url, secret_header

__all__ = ["REDACTED", "TeachingWidget", "redact_head"]

REDACTED = "*** (redacted: kept in the kernel, never saved in the notebook)"


class TeachingWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """Base of the teaching views: one bundle, ``_view`` names which view renders.

    Subclasses that stream call :meth:`_mark_dirty` from any thread; the
    process's publisher thread then calls :meth:`_flush` at most ``max_fps``
    times a second (docs/jupyter-internals.md#iopub-rate-limit).
    """

    _esm = assets.esm("teaching")
    _css = assets.css("teaching")
    _view = traitlets.Unicode("").tag(sync=True)
    max_fps = 10

    def __init__(self, **kwargs: Any) -> None:
        self._sync_lock = threading.RLock()
        self._throttle = Throttle()
        super().__init__(**kwargs)
        own_layout(self, kwargs)
        self.on_msg(self._on_custom)
        get_publisher().add(self)  # held weakly: a deleted view stops publishing

    def _mark_dirty(self) -> None:
        self._throttle.mark()

    def close(self) -> None:
        """Close the view (and the layout ipywidgets would leave registered)."""
        get_publisher().remove(self)
        close_own_layout(self)
        super().close()

    def _publish_due(self, now: float) -> float | None:
        if not self._throttle.dirty:
            return None
        wait = self._throttle.wait(now, self.max_fps)
        if wait > 0:
            return wait
        with self._sync_lock:
            self._throttle.flushed(now)
            self._flush()
        return None

    def _flush(self) -> None:
        """Publish what changed (called on the publisher thread, under ``_sync_lock``)."""

    def _on_custom(self, widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict):
            try:
                reply = self._handle(content)
            except Exception as exc:  # said in the view, not lost on a thread's stderr
                reply = {"error": redact_text(f"{type(exc).__name__}: {exc}")}
            if reply is not None:
                reply.setdefault("type", content.get("type"))
                if "id" in content:
                    reply["id"] = content["id"]
                with self._sync_lock:
                    self.send(reply)

    def _handle(self, content: dict[str, Any]) -> dict[str, Any] | None:
        """Answer one custom message from the view (None: no reply)."""
        return None


def redact_head(
    head: bytes, secret_headers: frozenset[str] = frozenset()
) -> tuple[str, list[list[str]], str, list[str]]:
    """Split an HTTP head into its first line, headers and body, with secrets redacted.

    Returns ``(first_line, [[name, value], ...], body, redacted_names)``. Values
    of secret headers (:func:`~..redact.secret_header`: ``Authorization``,
    cookies, ``Sec-WebSocket-Protocol``, names with a secret word such as
    ``X-Api-Key``) and of any name in ``secret_headers`` (lowercase) become
    :data:`REDACTED`; the request target goes through
    :func:`~..redact.redact_url`, other values (but ``Sec-WebSocket-Key`` and
    ``-Accept``) and the body through :func:`~..redact.redact_text`.
    """
    text = head.decode("latin-1")
    top, _, body = text.partition("\r\n\r\n")
    lines = top.split("\r\n")
    first = lines[0]
    parts = first.split(" ")
    if len(parts) == 3 and parts[1].startswith("/"):  # a request: METHOD TARGET VERSION
        shown = redact_url("ws://host" + parts[1])
        target = shown[len("ws://host") :]
        first = f"{parts[0]} {target} {parts[2]}"
    headers: list[list[str]] = []
    redacted: list[str] = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        value = value.strip()
        if secret_header(name) or name.lower() in secret_headers:
            value = REDACTED
            redacted.append(name)
        elif name.lower() not in PUBLIC_HEADERS:  # the Accept check shows the nonces
            value = redact_text(value)  # e.g. a Location with a token
        headers.append([name, value])
    return first, headers, redact_text(body), redacted
