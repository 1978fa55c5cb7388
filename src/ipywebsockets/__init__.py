"""ipywebsockets: live WebSocket data as a first-class citizen of Jupyter notebooks.

>>> import ipywebsockets as iws
>>> srv = iws.TickerServer(rate=10).start()
>>> ws = iws.WebSocket(srv.url)
>>> ws.recv(timeout=5).json()["symbol"]
'ABC'
"""

from __future__ import annotations

from ._jupyter.bindings import Binding
from ._jupyter.lifecycle import close_all
from ._jupyter.output import OutputBinding
from .client import Backoff
from .dataframes import read_recording
from .exceptions import (
    ConnectionClosed,
    ConnectionFailed,
    FrontendUnavailable,
    InvalidURL,
    IPyWebSocketsWarning,
    RemoteError,
    SendQueueFull,
    WebSocketError,
)
from .feeds import MQTT, STOMP, GraphQL, ProtocolSocket, SocketIO, graphql, mqtt, socketio, stomp
from .market import MarketServer
from .message import Message
from .playback import replay
from .record import Recorder
from .redact import add_secret_names
from .servers import BroadcastServer, EchoServer, TickerServer
from .teaching import CloseCodes, FrameAnatomy, Handshake, Inspector, PollingVsPush
from .views import Chart, Composer, Log, Metrics, Values
from .widget import WebSocket

__version__ = "0.1.0"

__all__ = [
    "MQTT",
    "STOMP",
    "Backoff",
    "Binding",
    "BroadcastServer",
    "Chart",
    "CloseCodes",
    "Composer",
    "ConnectionClosed",
    "ConnectionFailed",
    "EchoServer",
    "FrameAnatomy",
    "FrontendUnavailable",
    "GraphQL",
    "Handshake",
    "IPyWebSocketsWarning",
    "Inspector",
    "InvalidURL",
    "Log",
    "MarketServer",
    "Message",
    "Metrics",
    "OutputBinding",
    "PollingVsPush",
    "ProtocolSocket",
    "Recorder",
    "RemoteError",
    "SendQueueFull",
    "SocketIO",
    "TickerServer",
    "Values",
    "WebSocket",
    "WebSocketError",
    "__version__",
    "add_secret_names",
    "close_all",
    "graphql",
    "mqtt",
    "read_recording",
    "replay",
    "socketio",
    "stomp",
]
