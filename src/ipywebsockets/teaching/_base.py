"""What every teaching view shares: the front end bundle, safe headers, coalesced updates."""

from __future__ import annotations

import pathlib
import threading
from typing import Any

import anywidget
import traitlets

from .._jupyter.publisher import get_publisher
from .._reasons import redact_url

__all__ = ["REDACTED", "TeachingWidget", "redact_head"]

_STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"
REDACTED = "*** (redacted: kept in the kernel, never saved in the notebook)"
# Headers whose values are secrets however they are spelled.
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}
)


def _load(name: str, fallback: str) -> str | pathlib.Path:
    path = _STATIC / name
    return path if path.exists() else fallback


_MISSING_JS = (
    "export default { render({ el }) { el.textContent = "
    '"ipywebsockets: the teaching views are not built; run `make` or `pip install .` '
    '(needs node and npm)"; } };'
)


class TeachingWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """Base of the teaching views: one bundle, ``_view`` names which view renders.

    Subclasses that stream set ``self._dirty`` through :meth:`_mark_dirty` from
    any thread; the process's publisher thread then calls :meth:`_flush` at
    most ``max_fps`` times a second (FACTS.md: IOPub is limited).
    """

    _esm = _load("teaching.js", _MISSING_JS)
    _css = _load("teaching.css", "")
    _view = traitlets.Unicode("").tag(sync=True)
    max_fps = 10

    def __init__(self, **kwargs: Any) -> None:
        self._sync_lock = threading.RLock()
        self._dirty = False
        self._last_flush = 0.0
        super().__init__(**kwargs)
        self.on_msg(self._on_custom)
        get_publisher().add(self)  # held weakly: a deleted view stops publishing

    def _mark_dirty(self) -> None:
        if not self._dirty:
            self._dirty = True
            get_publisher().wake()

    def _publish_due(self, now: float) -> float | None:
        if not self._dirty:
            return None
        interval = 1.0 / self.max_fps
        if now - self._last_flush < interval:
            return interval - (now - self._last_flush)
        with self._sync_lock:
            self._dirty = False
            self._last_flush = now
            self._flush()
        return None

    def _flush(self) -> None:
        """Publish what changed (called on the publisher thread, under ``_sync_lock``)."""

    def _on_custom(self, widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict):
            try:
                reply = self._handle(content)
            except Exception as exc:  # said in the view, not lost on a thread's stderr
                reply = {"error": f"{type(exc).__name__}: {exc}"}
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
    of ``Authorization``, cookies, API-key headers and any name in
    ``secret_headers`` (lowercase) become :data:`REDACTED`; a token in the
    request target's query string becomes ``***``.
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
        if name.lower() in _SECRET_HEADERS or name.lower() in secret_headers:
            value = REDACTED
            redacted.append(name)
        headers.append([name, value])
    return first, headers, body, redacted
