"""Live views of a WebSocket's stream, each a widget taking the WebSocket as its source."""

from __future__ import annotations

from ._base import SourceView
from .chart import Chart
from .composer import Composer
from .log import Log
from .metrics import Metrics
from .values import Values

__all__ = ["Chart", "Composer", "Log", "Metrics", "SourceView", "Values"]
