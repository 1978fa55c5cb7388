"""Sockets that speak a protocol over WebSocket: GraphQL (more to come in this package).

Each is a :class:`~ipywebsockets.WebSocket` whose messages are the
application's (docs/app-protocols.md); the codecs are in :mod:`ipywebsockets.protocols`.
"""

from ._base import ProtocolSocket
from .graphql import GraphQL, graphql

__all__ = ["GraphQL", "ProtocolSocket", "graphql"]
