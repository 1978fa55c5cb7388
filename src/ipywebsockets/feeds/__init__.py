"""Sockets that speak a protocol over WebSocket: GraphQL, Socket.IO, MQTT, STOMP.

Each is a :class:`~ipywebsockets.WebSocket` whose messages are the
application's (docs/app-protocols.md); the codecs are in :mod:`ipywebsockets.protocols`.
"""

from ._base import ProtocolSocket
from .graphql import GraphQL, graphql
from .mqtt import MQTT, mqtt
from .socketio import SocketIO, socketio
from .stomp import STOMP, stomp

__all__ = [
    "MQTT",
    "STOMP",
    "GraphQL",
    "ProtocolSocket",
    "SocketIO",
    "graphql",
    "mqtt",
    "socketio",
    "stomp",
]
