"""What MQTT packets say, in words: the Inspector's one-line descriptions, CONNACK's codes.

Pure: used by :mod:`.mqtt`. Credentials never appear (``***``).
"""

from __future__ import annotations

from .base import ProtocolError, dumps
from .mqtt_packets import (
    NAMES,
    REFUSED,
    Ack,
    Connack,
    Connect,
    Packet,
    PacketReader,
    Publish,
    Suback,
    Subscribe,
    Unsubscribe,
)
from .mqtt_topics import payload_value

__all__ = ["CONNACK_ADVICE", "CONNACK_MEANINGS", "describe_frame", "describe_packet"]

CONNACK_MEANINGS = (
    "accepted",
    "unacceptable protocol version",
    "identifier rejected",
    "server unavailable",
    "bad user name or password",
    "not authorized",
)
CONNACK_ADVICE = (
    "",
    "the broker does not speak MQTT 3.1.1 (protocol level 4): use a broker that does",
    "the broker rejected the client id {client_id!r}: pass another client_id= "
    "(up to 23 letters and digits is always allowed)",
    "the broker cannot serve clients now; the connection will be retried",
    "the broker refused the user name or password: check username= and password=",
    "the broker does not authorize this client: check username=/password= and the "
    "broker's access rules",
)


def describe_packet(packet: Packet) -> str:
    """One line for the Inspector, e.g. ``PUBLISH sensors/t1 qos=1 id=3 retain {"t": 21.5}``.

    Credentials are shown as ``***``.
    """
    if isinstance(packet, Connect):
        parts = [f"CONNECT client_id={packet.client_id} keepalive={packet.keepalive}"]
        parts.append("clean" if packet.clean_session else "persistent-session")
        parts += [f"level={packet.level}"] * (packet.level != 4)
        parts += ["username=***"] * (packet.username is not None)
        parts += ["password=***"] * (packet.password is not None)
        return " ".join(parts)
    if isinstance(packet, Connack):
        meaning = CONNACK_MEANINGS[packet.rc] if packet.rc < 6 else "unknown code"
        present = " session-present" if packet.session_present else ""
        return f"CONNACK rc={packet.rc} ({meaning}){present}"
    if isinstance(packet, Publish):
        parts = [f"PUBLISH {packet.topic} qos={packet.qos}"]
        parts += [f"id={packet.packet_id}"] * (packet.packet_id is not None)
        parts += ["retain"] * packet.retain + ["dup"] * packet.dup
        return " ".join([*parts, _preview(packet.payload)])
    if isinstance(packet, Ack):
        return f"{NAMES[packet.kind]} id={packet.packet_id}"
    if isinstance(packet, Subscribe):
        filters = ", ".join(f"{f} (qos {q})" for f, q in packet.filters)
        return f"SUBSCRIBE id={packet.packet_id} {filters}"
    if isinstance(packet, Suback):
        codes = ", ".join("refused" if c == REFUSED else f"qos {c}" for c in packet.codes)
        return f"SUBACK id={packet.packet_id} {codes}"
    if isinstance(packet, Unsubscribe):
        return f"UNSUBSCRIBE id={packet.packet_id} {', '.join(packet.filters)}"
    return NAMES[packet.kind]


def _preview(payload: bytes, limit: int = 80) -> str:
    value = payload_value(payload)
    if isinstance(value, dict) and list(value) == ["base64"] and not payload.startswith(b"{"):
        return f"<{len(payload)} bytes, binary>"
    text = dumps(value).replace('":', '": ').replace(',"', ', "')
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_frame(data: str | bytes) -> str:
    """The packet(s) a frame carries, joined with "; "; a partial packet says so. Never raises."""
    if isinstance(data, str):
        return f"text frame ({len(data)} chars): MQTT packets travel in binary frames"
    reader, parts = PacketReader(), []
    try:
        parts = [describe_packet(p) for p in reader.feed(data)]
        if reader.pending:
            wanted = reader.wanted()
            if wanted is None:
                parts.append(f"partial packet ({reader.pending} bytes, its length not yet known)")
            else:
                parts.append(f"partial packet ({reader.pending} of {wanted} bytes)")
    except ProtocolError as exc:
        parts.append(f"malformed MQTT packet: {exc}")
    except Exception as exc:  # never raise in the Inspector
        parts.append(f"undecodable frame: {exc!r}")
    return "; ".join(parts) or "empty frame"
