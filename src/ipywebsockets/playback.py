"""``iws.replay(path)``: a recording played back as a WebSocket, offline."""

from __future__ import annotations

import pathlib
from typing import Any

from .replay import ReplayConnection
from .widget import WebSocket

__all__ = ["replay"]


def replay(
    path: str | pathlib.Path, speed: float = 1.0, *, loop: bool = False, **kwargs: Any
) -> WebSocket:
    """A WebSocket that plays back a recording made by ``ws.record(path)``.

    Same API and views as a live socket: messages arrive with their recorded
    timing divided by ``speed`` (``0`` or ``float("inf")``: as fast as they can
    be taken); ``loop=True`` starts over at the end; otherwise the socket closes
    with 1000 when the recording ends. ``send()`` goes nowhere: what is sent is
    shown as sent (the log keeps the conversation) and counted, never delivered.
    ``kwargs`` are ``WebSocket`` options (``history``, ``max_fps``, ``persist``,
    ``connect``...).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a line is not a recorded message (the error names its number).
    """
    transport = ReplayConnection(path, speed=speed, loop=loop)
    return WebSocket(f"replay://{pathlib.Path(path).name}", _given=transport, **kwargs)
