"""Socket.IO 5 packets over Engine.IO 4 frames: parse, build, and describe them (pure).

The wire format the Socket.IO codec (:mod:`.socketio`) speaks, kept apart so it
can be tested (and round-tripped) on its own. Over a WebSocket every text frame
is one Engine.IO packet, a digit and its data::

    0{"sid":...,"pingInterval":25000,...}   open (the server speaks first)
    1                                       close
    2 / 3                                   ping / pong
    4<socket.io packet>                     message

and a Socket.IO packet is ``<type>[<attachments>-][/<namespace>,][<id>][<JSON>]``
with the types CONNECT 0, DISCONNECT 1, EVENT 2, ACK 3, CONNECT_ERROR 4,
BINARY_EVENT 5 and BINARY_ACK 6. A binary packet's JSON holds placeholders
``{"_placeholder": true, "num": i}``; its attachments follow as binary frames.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .base import ProtocolError, dumps, loads

__all__ = [
    "ACK",
    "BINARY_ACK",
    "BINARY_EVENT",
    "CONNECT",
    "CONNECT_ERROR",
    "DISCONNECT",
    "ENGINE_TYPES",
    "EVENT",
    "NO_DATA",
    "SOCKET_TYPES",
    "Packet",
    "attach",
    "decode_packet",
    "encode_packet",
    "engine_url",
    "message_of",
    "read_sent",
    "reattach",
]

ENGINE_TYPES = ("open", "close", "ping", "pong", "message", "upgrade", "noop")
SOCKET_TYPES = (
    "CONNECT",
    "DISCONNECT",
    "EVENT",
    "ACK",
    "CONNECT_ERROR",
    "BINARY_EVENT",
    "BINARY_ACK",
)
CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK = range(7)
SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
SENT_KEYS = frozenset({"event", "args", "ack"})
NO_DATA: Any = None  # a packet without data (CONNECT without auth, DISCONNECT) has data None


@dataclass(frozen=True)
class Packet:
    """One Socket.IO packet (without its Engine.IO ``4``).

    ``data`` is the decoded JSON (None: none); ``attachments`` how many binary
    frames follow (BINARY_EVENT, BINARY_ACK only); ``id`` the ack id or None.
    """

    type: int
    namespace: str = "/"
    data: Any = NO_DATA
    id: int | None = None
    attachments: int = 0

    @property
    def type_name(self) -> str:
        return SOCKET_TYPES[self.type]


def encode_packet(packet: Packet) -> str:
    """The Socket.IO packet's text (without the Engine.IO ``4``): the inverse of decode."""
    out = [str(packet.type)]
    if packet.type in (BINARY_EVENT, BINARY_ACK):
        out.append(f"{packet.attachments}-")
    if packet.namespace != "/":
        out.append(packet.namespace + ",")
    if packet.id is not None:
        out.append(str(packet.id))
    if packet.data is not None:
        out.append(dumps(packet.data))
    return "".join(out)


def _digits(text: str, start: int) -> int:
    end = start
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return end


def decode_packet(text: str) -> Packet:
    """Parse a Socket.IO packet (the text after Engine.IO's ``4``).

    Raises:
        ProtocolError: not a Socket.IO 5 packet (the message says which part is wrong).
    """
    if not text or not "0" <= text[0] <= "6":
        raise ProtocolError(f"unknown Socket.IO packet type {text[:1]!r} (0-6 are defined)")
    kind, at, attachments = int(text[0]), 1, 0
    if kind in (BINARY_EVENT, BINARY_ACK):
        end = _digits(text, at)
        if end == at or end >= len(text) or text[end] != "-" or end - at > 6:
            raise ProtocolError("a binary packet must give its attachment count, as in 451-[...]")
        attachments, at = int(text[at:end]), end + 1
    namespace = "/"
    if at < len(text) and text[at] == "/":
        comma = text.find(",", at)
        namespace, at = (text[at:], len(text)) if comma < 0 else (text[at:comma], comma + 1)
    end = _digits(text, at)
    packet_id = int(text[at:end]) if end > at and end - at <= 15 else None
    if end - at > 15:
        raise ProtocolError(f"ack id {text[at:end][:20]}... is too long")
    data: Any = NO_DATA
    if end < len(text):
        try:
            data = loads(text[end:])
        except (ValueError, RecursionError):
            raise ProtocolError(
                f"its data is not JSON (or nested too deep): {text[end:][:60]!r}"
            ) from None
    _check(kind, data, packet_id)
    return Packet(kind, namespace, data, packet_id, attachments)


def _check(kind: int, data: Any, packet_id: int | None) -> None:
    if kind in (EVENT, BINARY_EVENT):
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            raise ProtocolError('an EVENT carries a list ["name", ...args]')
    elif kind in (ACK, BINARY_ACK):
        if packet_id is None or not isinstance(data, list):
            raise ProtocolError("an ACK carries an id and a list of args, as in 431[...]")
    elif kind == CONNECT and data is not None and not isinstance(data, dict):
        raise ProtocolError("a CONNECT carries an object (auth, or the sid) or nothing")
    elif kind == DISCONNECT and data is not None:
        raise ProtocolError("a DISCONNECT carries no data")


def _base64_of(value: Any) -> bytes | None:
    """The bytes a ``{"base64": "..."}`` object stands for, or None if ``value`` is not one."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("base64"), str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(
                f"{{'base64': ...}} must hold base64 text, not {value['base64'][:40]!r}"
            ) from None
    return None


def attach(value: Any, attachments: list[bytes]) -> Any:
    """``value`` with every bytes (or ``{"base64": "..."}``) replaced by a placeholder.

    The bytes are appended to ``attachments`` in placeholder order.

    Raises:
        ValueError: a ``{"base64": ...}`` value that is not base64.
        TypeError: a value JSON cannot hold.
    """
    raw = value if isinstance(value, (bytes, bytearray)) else _base64_of(value)
    if raw is not None:
        attachments.append(bytes(raw))
        return {"_placeholder": True, "num": len(attachments) - 1}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("the keys of an object sent over Socket.IO must be str")
        return {k: attach(v, attachments) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [attach(v, attachments) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} over Socket.IO: use JSON values")


def reattach(value: Any, attachments: list[bytes]) -> Any:
    """``value`` with every placeholder replaced by ``{"base64": "..."}`` of its attachment.

    Raises:
        ProtocolError: a placeholder names an attachment that did not come.
    """
    if isinstance(value, dict):
        if value.get("_placeholder") is True and "num" in value:
            num = value["num"]
            if not isinstance(num, int) or isinstance(num, bool) or not 0 <= num < len(attachments):
                raise ProtocolError(
                    f"placeholder {num!r} names no attachment ({len(attachments)} came)"
                )
            return {"base64": base64.b64encode(attachments[num]).decode("ascii")}
        return {k: reattach(v, attachments) for k, v in value.items()}
    if isinstance(value, list):
        return [reattach(v, attachments) for v in value]
    return value


def engine_url(url: str, path: str) -> str:
    """``ws(s)://host:port/<path>/?EIO=4&transport=websocket`` for ``url`` (query kept).

    Raises:
        ValueError: not an http(s)/ws(s) URL, or a path that is not ``path``.
    """
    parts = urlsplit(url)
    scheme = SCHEMES.get(parts.scheme.lower())
    if scheme is None or not parts.netloc:
        raise ValueError(
            f"a Socket.IO server's URL starts with http://, https://, ws:// or wss:// "
            f"and names a host, as in http://localhost:8000; got {url!r}"
        )
    if parts.path.strip("/") not in ("", path):
        raise ValueError(
            f"the URL's path {parts.path!r} is not the Socket.IO path '/{path}/': "
            f"give the server's address alone (http://host:port) and its path as "
            f"path={parts.path.strip('/')!r} (a namespace goes in namespace=)"
        )
    query = [p for p in parts.query.split("&") if p]
    for param in query:
        key, _, value = param.partition("=")
        if key == "EIO" and value != "4":
            raise ValueError(f"this codec speaks Engine.IO 4 (EIO=4), not EIO={value}")
    kept = [p for p in query if p.partition("=")[0] not in ("EIO", "transport")]
    query_text = "&".join(["EIO=4", "transport=websocket", *kept])
    return urlunsplit((scheme, parts.netloc, f"/{path}/", query_text, ""))


def message_of(packet: Packet, data: list[Any]) -> dict[str, Any]:
    """The application message of an EVENT or ACK packet whose JSON (bytes as base64) is data."""
    if packet.type in (ACK, BINARY_ACK):
        return {"ack": packet.id, "args": data}
    message: dict[str, Any] = {"event": data[0], "args": data[1:]}
    if packet.id is not None:
        message["ack"] = packet.id
    return message


def read_sent(payload: str | bytes) -> tuple[str | int, list[Any], bool]:
    """What ``ws.send()`` was given, as (event name or ack id to answer, args, ack wanted).

    ``{"event": str, "args"?: [...], "ack"?: bool}`` emits; ``{"ack": id, "args":
    [...]}`` answers the server's ack ``id``; any other JSON value, text that is
    not JSON, or bytes is the event ``"message"`` with it as its argument.

    Raises:
        ValueError: an object with ``"event"`` (or an ack answer) of the wrong shape.
    """
    if isinstance(payload, bytes):
        return "message", [payload], False
    try:
        value = json.loads(payload)
    except RecursionError:
        raise ValueError("this JSON is nested too deep to send") from None
    except ValueError:
        return "message", [payload], False
    if isinstance(value, dict) and "event" in value:
        args, ack = value.get("args", []), value.get("ack", False)
        if set(value) - SENT_KEYS or not isinstance(args, list) or not isinstance(ack, bool):
            raise ValueError(
                'an event to emit is {"event": str, "args": [...], "ack": bool} '
                f"(args and ack optional), not {payload[:120]}"
            )
        if not isinstance(value["event"], str) or not value["event"]:
            raise ValueError(f"a Socket.IO event name is a non-empty str, not {value['event']!r}")
        return value["event"], args, ack
    if isinstance(value, dict) and set(value) == {"ack", "args"}:
        ack_id, args = value["ack"], value["args"]
        if not isinstance(ack_id, int) or isinstance(ack_id, bool) or not isinstance(args, list):
            raise ValueError(f'an ack answer is {{"ack": int, "args": [...]}}, not {payload[:120]}')
        return ack_id, args, False
    return "message", [value], False
