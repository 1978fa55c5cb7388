"""MQTT 3.1.1 control packets: encoding, decoding, splitting a byte stream into packets.

Pure and Sans-I/O (used by :mod:`.mqtt`). Every packet is a frozen dataclass;
:func:`encode` gives its bytes and :class:`PacketReader` turns bytes (in any
chunking: a WebSocket frame may carry several packets or part of one) back
into packets. A malformed packet raises :class:`~.base.ProtocolError` with a
text that says what is wrong (OASIS MQTT 3.1.1, section 2 and 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import ProtocolError
from .mqtt_topics import check_filter, check_text, check_topic

__all__ = [
    "Ack",
    "Connack",
    "Connect",
    "Packet",
    "PacketReader",
    "Publish",
    "Simple",
    "Suback",
    "Subscribe",
    "Unsubscribe",
    "decode",
    "encode",
]

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 10, 11, 12, 13, 14
NAMES = (
    "reserved(0)", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
    "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
    "reserved(15)",
)  # fmt: skip
ACKS = (PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK)
SIMPLE = (PINGREQ, PINGRESP, DISCONNECT)
MAX_LENGTH = 268_435_455  # the largest remaining length 4 varint bytes can say
REFUSED = 0x80  # a SUBACK return code: the subscription was refused


@dataclass(frozen=True)
class Connect:
    """CONNECT: the client's handshake (no will message: this codec never sends one)."""

    client_id: str
    keepalive: int = 60
    clean_session: bool = True
    username: str | None = None
    password: bytes | None = None
    level: int = 4


@dataclass(frozen=True)
class Connack:
    """CONNACK: the broker's answer to CONNECT (``rc`` 0: accepted)."""

    rc: int
    session_present: bool = False


@dataclass(frozen=True)
class Publish:
    """PUBLISH: an application message (``packet_id`` only for QoS 1 and 2)."""

    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    dup: bool = False
    packet_id: int | None = None


@dataclass(frozen=True)
class Ack:
    """PUBACK, PUBREC, PUBREL, PUBCOMP or UNSUBACK (``kind``) of ``packet_id``."""

    kind: int
    packet_id: int


@dataclass(frozen=True)
class Subscribe:
    """SUBSCRIBE: (filter, requested QoS) pairs."""

    packet_id: int
    filters: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Suback:
    """SUBACK: one return code per filter (granted QoS 0-2, or 0x80: refused)."""

    packet_id: int
    codes: tuple[int, ...]


@dataclass(frozen=True)
class Unsubscribe:
    """UNSUBSCRIBE: the filters to drop."""

    packet_id: int
    filters: tuple[str, ...]


@dataclass(frozen=True)
class Simple:
    """PINGREQ, PINGRESP or DISCONNECT (``kind``): a packet with no body."""

    kind: int


Packet = Connect | Connack | Publish | Ack | Subscribe | Suback | Unsubscribe | Simple


# --------------------------------------------------------------------------- encoding


def _varint(n: int) -> bytes:
    if not 0 <= n <= MAX_LENGTH:
        raise ValueError(f"an MQTT packet body is at most {MAX_LENGTH} bytes, not {n}")
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _text(text: str, what: str) -> bytes:
    raw = check_text(text, what)
    return len(raw).to_bytes(2, "big") + raw


def _blob(data: bytes, what: str) -> bytes:
    if len(data) > 65535:
        raise ValueError(f"the {what} is {len(data)} bytes long; MQTT allows at most 65535")
    return len(data).to_bytes(2, "big") + data


def _packet_id(packet_id: int | None) -> bytes:
    if packet_id is None or not 1 <= packet_id <= 65535:
        raise ValueError(f"an MQTT packet id is 1-65535, not {packet_id}")
    return packet_id.to_bytes(2, "big")


def _qos(qos: int) -> int:
    if qos not in (0, 1, 2):
        raise ValueError(f"MQTT QoS is 0, 1 or 2, not {qos!r}")
    return qos


def encode(packet: Packet) -> bytes:
    """The bytes of one packet (fixed header, remaining length, body).

    Raises:
        ValueError: a field MQTT does not allow (the text says which).
    """
    flags = 0
    if isinstance(packet, Connect):
        kind = CONNECT
        bits = 0x02 if packet.clean_session else 0
        tail = _text(packet.client_id, "client id")
        if packet.username is not None:
            bits |= 0x80
            tail += _text(packet.username, "username")
        if packet.password is not None:
            bits |= 0x40
            tail += _blob(packet.password, "password")
        if not 0 <= packet.keepalive <= 65535:
            raise ValueError(f"keepalive is 0-65535 s, not {packet.keepalive}")
        body = _text("MQTT", "protocol name") + bytes([packet.level, bits])
        body += packet.keepalive.to_bytes(2, "big") + tail
    elif isinstance(packet, Connack):
        kind, body = CONNACK, bytes([int(packet.session_present), packet.rc])
    elif isinstance(packet, Publish):
        kind = PUBLISH
        flags = (0x08 if packet.dup else 0) | _qos(packet.qos) << 1 | int(packet.retain)
        body = _text(check_topic(packet.topic), "topic")
        if packet.qos:
            body += _packet_id(packet.packet_id)
        body += packet.payload
    elif isinstance(packet, Ack):
        if packet.kind not in ACKS:
            raise ValueError(f"{NAMES[packet.kind & 15]} is not an acknowledgement")
        kind, body = packet.kind, _packet_id(packet.packet_id)
        flags = 0x02 if kind == PUBREL else 0
    elif isinstance(packet, Subscribe):
        kind, flags, body = SUBSCRIBE, 0x02, _packet_id(packet.packet_id)
        if not packet.filters:
            raise ValueError("a SUBSCRIBE needs at least one topic filter")
        for topic_filter, qos in packet.filters:
            body += _text(check_filter(topic_filter), "topic filter") + bytes([_qos(qos)])
    elif isinstance(packet, Suback):
        kind, body = SUBACK, _packet_id(packet.packet_id) + bytes(packet.codes)
    elif isinstance(packet, Unsubscribe):
        kind, flags, body = UNSUBSCRIBE, 0x02, _packet_id(packet.packet_id)
        if not packet.filters:
            raise ValueError("an UNSUBSCRIBE needs at least one topic filter")
        for topic_filter in packet.filters:
            body += _text(check_filter(topic_filter), "topic filter")
    else:
        if packet.kind not in SIMPLE:
            raise ValueError(f"{NAMES[packet.kind & 15]} is not a packet without a body")
        kind, body = packet.kind, b""
    return bytes([kind << 4 | flags]) + _varint(len(body)) + body


# --------------------------------------------------------------------------- decoding


class _Body:
    """A cursor over one packet's body; every read checks the length."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.data, self.pos = name, data, 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise ProtocolError(f"{self.name} ends inside its {what}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u16(self, what: str) -> int:
        return int.from_bytes(self.take(2, what), "big")

    def packet_id(self) -> int:
        packet_id = self.u16("packet id")
        if packet_id == 0:
            raise ProtocolError(f"{self.name} has packet id 0, which MQTT forbids")
        return packet_id

    def blob(self, what: str) -> bytes:
        return self.take(self.u16(what), what)

    def text(self, what: str) -> str:
        try:
            text = self.blob(what).decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(f"{self.name}: its {what} is not valid UTF-8") from None
        if "\x00" in text:
            raise ProtocolError(f"{self.name}: its {what} contains U+0000")
        return text

    def rest(self) -> bytes:
        out, self.pos = self.data[self.pos :], len(self.data)
        return out

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


def decode(header: int, data: bytes) -> Packet:
    """One packet from its first byte and its body (the bytes after the remaining length)."""
    kind, flags = header >> 4, header & 0x0F
    name = NAMES[kind]
    body = _Body(name, data)
    if kind in (0, 15):
        raise ProtocolError(f"packet type {kind} is reserved in MQTT 3.1.1")
    if kind != PUBLISH and flags != (0x02 if kind in (PUBREL, SUBSCRIBE, UNSUBSCRIBE) else 0):
        raise ProtocolError(f"{name} has the reserved header flags {flags:#x}")
    fixed = {CONNACK: 2, **dict.fromkeys(ACKS, 2), **dict.fromkeys(SIMPLE, 0)}
    if kind in fixed and len(data) != fixed[kind]:
        raise ProtocolError(f"{name} has a {len(data)}-byte body; it must be {fixed[kind]} bytes")
    packet: Packet
    if kind == CONNECT:
        packet = _decode_connect(body)
    elif kind == CONNACK:
        if data[0] & 0xFE:
            raise ProtocolError(f"CONNACK has the reserved flags {data[0]:#x}")
        packet = Connack(data[1], bool(data[0] & 1))
    elif kind == PUBLISH:
        qos = flags >> 1 & 3
        if qos == 3:
            raise ProtocolError("PUBLISH has QoS 3, which MQTT does not have")
        if qos == 0 and flags & 0x08:
            raise ProtocolError("PUBLISH has QoS 0 and the DUP flag, which MQTT forbids")
        topic = body.text("topic")
        if not topic or "+" in topic or "#" in topic:
            raise ProtocolError(f"PUBLISH to the topic {topic!r}: not a valid topic name")
        packet_id = body.packet_id() if qos else None
        packet = Publish(topic, body.rest(), qos, bool(flags & 1), bool(flags & 8), packet_id)
    elif kind in ACKS:
        packet = Ack(kind, body.packet_id())
    elif kind == SUBSCRIBE:
        packet_id, pairs = body.packet_id(), []
        while body.left:
            topic_filter = body.text("topic filter")
            qos = body.take(1, "requested QoS")[0]
            if qos > 2:
                raise ProtocolError(f"SUBSCRIBE asks for QoS {qos} on {topic_filter!r}")
            pairs.append((topic_filter, qos))
        if not pairs:
            raise ProtocolError("SUBSCRIBE has no topic filter")
        packet = Subscribe(packet_id, tuple(pairs))
    elif kind == SUBACK:
        packet_id, codes = body.packet_id(), tuple(body.rest())
        bad = [c for c in codes if c not in (0, 1, 2, REFUSED)]
        if bad or not codes:
            raise ProtocolError(f"SUBACK has the return codes {list(codes)}; valid: 0-2, 0x80")
        packet = Suback(packet_id, codes)
    elif kind == UNSUBSCRIBE:
        packet_id, names = body.packet_id(), []
        while body.left:
            names.append(body.text("topic filter"))
        if not names:
            raise ProtocolError("UNSUBSCRIBE has no topic filter")
        packet = Unsubscribe(packet_id, tuple(names))
    else:
        packet = Simple(kind)
    return packet


def _decode_connect(body: _Body) -> Connect:
    name = body.text("protocol name")
    level = body.take(1, "protocol level")[0]
    if name != "MQTT":
        raise ProtocolError(f"CONNECT names the protocol {name!r}, not 'MQTT'")
    bits = body.take(1, "flags")[0]
    keepalive = body.u16("keepalive")
    client_id = body.text("client id")
    if bits & 0x04:  # a will: read past it (this codec never sends one)
        body.text("will topic")
        body.blob("will message")
    username = body.text("username") if bits & 0x80 else None
    password = body.blob("password") if bits & 0x40 else None
    if body.left:
        raise ProtocolError(f"CONNECT has {body.left} bytes after its last field")
    return Connect(client_id, keepalive, bool(bits & 0x02), username, password, level)


class PacketReader:
    """Whole packets out of a byte stream fed in any chunks (one per connection)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes of a packet not yet complete."""
        return len(self._buffer)

    def wanted(self) -> int | None:
        """The whole size of the packet begun in the buffer, if its length is known yet."""
        split = self._split_header()
        return None if split is None else split[1] + split[2]

    def _split_header(self) -> tuple[int, int, int] | None:
        """(first byte, header size, body size), or None if the length is not complete."""
        buf, length, shift = self._buffer, 0, 0
        for i in range(1, min(len(buf), 5)):
            length |= (buf[i] & 0x7F) << shift
            shift += 7
            if not buf[i] & 0x80:
                return buf[0], i + 1, length
            if i == 4:
                raise ProtocolError("a packet's remaining length runs past 4 bytes")
        return None

    def feed(self, data: bytes) -> list[Packet]:
        """The packets completed by ``data`` (raises ProtocolError on a malformed one)."""
        self._buffer += data
        packets: list[Packet] = []
        while (split := self._split_header()) is not None:
            header, start, size = split
            if len(self._buffer) < start + size:
                break
            body = bytes(self._buffer[start : start + size])
            del self._buffer[: start + size]
            packets.append(decode(header, body))
        return packets
