"""Sans-I/O codecs for the protocols people stream over WebSockets (docs/protocols.md).

Each codec turns frames into application messages and back, and does its
protocol's handshake, keepalive and resubscriptions; none has I/O or threads
of its own (:mod:`.base`).
"""
