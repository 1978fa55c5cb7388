"""Live views of a WebSocket's stream, each a widget taking the WebSocket as its source."""

from __future__ import annotations

from ._base import SourceView

__all__ = ["SourceView"]
