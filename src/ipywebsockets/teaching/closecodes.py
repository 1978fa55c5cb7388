"""Close codes explained, the one this connection ended with highlighted, and a close control."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets

from ..frames import CLOSE_CODES
from ._base import TeachingWidget

if TYPE_CHECKING:
    from ..widget import WebSocket

__all__ = ["CloseCodes"]

# Codes an application may put in a close frame (RFC 6455 §7.4): others are reserved.
SENDABLE = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]


class CloseCodes(TeachingWidget):
    """A table of close codes; with a ``ws``, highlights how it ended and can close it.

    The view's close control sends a close frame with the chosen code and
    reason (``ws.close(code, reason)``); ``close_code`` follows the socket's.
    """

    codes: traitlets.List[list[Any]] = traitlets.List().tag(sync=True)
    sendable: traitlets.List[int] = traitlets.List().tag(sync=True)
    close_code = traitlets.Int(None, allow_none=True).tag(sync=True)
    close_reason = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, ws: WebSocket | None = None, **kwargs: Any) -> None:
        self._ws = ws
        rows = [[code, name, meaning] for code, (name, meaning) in CLOSE_CODES.items()]
        rows.append([3000, "3000-3999", "registered with IANA by libraries and frameworks"])
        rows.append([4000, "4000-4999", "private: the application chooses their meaning"])
        super().__init__(_view="closecodes", codes=rows, sendable=SENDABLE, **kwargs)
        if ws is not None:
            ws.observe(lambda change: self._mark_dirty(), names=["close_code", "status"])
            with self._sync_lock:
                self._flush()

    def _flush(self) -> None:
        ws = self._ws
        if ws is None:
            return
        values = {"close_code": ws.close_code, "close_reason": ws.close_reason, "status": ws.status}
        for name, value in values.items():
            if getattr(self, name) != value:
                self.set_trait(name, value)

    def _handle(self, content: dict[str, Any]) -> dict[str, Any] | None:
        if content.get("type") == "close" and self._ws is not None:
            code = int(content.get("code", 1000))
            reason = str(content.get("reason", ""))
            if len(reason.encode()) > 123:
                raise ValueError("a close reason holds at most 123 bytes of UTF-8 (RFC 6455 §5.5)")
            self._ws.close(code, reason, timeout=5.0)
            return {"closed": code}
        return None
