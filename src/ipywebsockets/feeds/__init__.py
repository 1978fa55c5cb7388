"""Sockets that speak a protocol over WebSocket: GraphQL, Socket.IO, MQTT, STOMP.

Each is a :class:`~ipywebsockets.WebSocket` whose messages are the
application's (docs/protocols.md); the codecs are in :mod:`ipywebsockets.protocols`.
"""
