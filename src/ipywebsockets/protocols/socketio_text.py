"""Socket.IO frames as one line of text for the Inspector, credentials masked (pure).

``describe_frame('42["tick",{"n":0}]', ())`` is ``EVENT "tick" [{"n": 0}]``: the
Engine.IO packet's name (``open``, ``ping``, ``pong``, ``close``...) and, in a
``message``, the Socket.IO packet's (``CONNECT /``, ``EVENT``, ``ACK 3 [3]``,
``BINARY_EVENT ... (1 attachment)``); a binary frame is ``attachment (12 bytes)``.
"""

from __future__ import annotations

import json
from typing import Any

from .base import ProtocolError, mask_text, masked
from .socketio_wire import (
    ACK,
    BINARY_ACK,
    BINARY_EVENT,
    CONNECT,
    CONNECT_ERROR,
    ENGINE_TYPES,
    EVENT,
    Packet,
    decode_packet,
)

__all__ = ["describe_frame"]

LONGEST = 200  # characters of JSON shown before "..."


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= LONGEST else text[:LONGEST] + "..."


def _where(packet: Packet) -> str:
    return "" if packet.namespace == "/" else packet.namespace + " "


def describe_packet(packet: Packet) -> str:
    """One Socket.IO packet, e.g. ``EVENT /chat "said" [{"text": "hi"}]``."""
    data, name = packet.data, packet.type_name
    if packet.type == CONNECT:
        if isinstance(data, dict) and "sid" in data:  # the server's answer
            return f"{name} {packet.namespace} sid={data['sid']}"
        return f"{name} {packet.namespace}" + (
            "" if data is None else f" auth={_json(masked(data))}"
        )
    if packet.type in (EVENT, BINARY_EVENT):
        text = f"{name} {_where(packet)}{_json(data[0])} {_json(data[1:])}"
        text += "" if packet.id is None else f" ack={packet.id}"
    elif packet.type in (ACK, BINARY_ACK):
        text = f"{name} {_where(packet)}{packet.id} {_json(data)}"
    elif packet.type == CONNECT_ERROR:
        said = data.get("message", data) if isinstance(data, dict) else data
        text = f"{name} {packet.namespace} {_json(said)}"
    else:
        text = f"{name} {packet.namespace}"
    if packet.attachments:
        plural = "" if packet.attachments == 1 else "s"
        text += f" ({packet.attachments} attachment{plural})"
    return text


def _describe_text(text: str) -> str:
    kind, rest = text[:1], text[1:]
    if not kind.isdigit() or int(kind) >= len(ENGINE_TYPES):
        return f"not an Engine.IO packet: {text[:60]!r}"
    engine = ENGINE_TYPES[int(kind)]
    if engine == "open":
        try:
            info = json.loads(rest)
            fields = ("sid", "pingInterval", "pingTimeout", "maxPayload")
            return " ".join(["open", *(f"{f}={info[f]}" for f in fields if f in info)])
        except (ValueError, TypeError):
            return f"open (not JSON: {rest[:60]!r})"
    if engine == "message":
        try:
            return describe_packet(decode_packet(rest))
        except ProtocolError as exc:
            return f"message: not a Socket.IO packet ({exc})"
    return engine + (f" {rest[:60]}" if rest else "")


def describe_frame(data: str | bytes, secrets: tuple[bytes, ...]) -> str:
    """One frame, decoded, in one line; every secret in it shown as ``***``. Never raises."""
    if isinstance(data, (bytes, bytearray)):
        return f"attachment ({len(data)} bytes)"
    try:
        text = _describe_text(data) if data else "empty frame (not an Engine.IO packet)"
    except Exception as exc:  # never raise out of the Inspector
        text = f"undecodable frame ({type(exc).__name__})"
    return mask_text(text, secrets)
