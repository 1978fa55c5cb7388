"""Teaching views: WebSockets shown on real traffic (handshake, frames, close codes, push vs poll).

Each is an anywidget of its own, built on :mod:`ipywebsockets.frames` (pure)
and :mod:`ipywebsockets.wiretap` (the real bytes of kernel-mode sockets).
"""

from __future__ import annotations

from .anatomy import FrameAnatomy
from .closecodes import CloseCodes
from .handshake import Handshake
from .inspector import Inspector
from .polling import PollingVsPush

__all__ = ["CloseCodes", "FrameAnatomy", "Handshake", "Inspector", "PollingVsPush"]
