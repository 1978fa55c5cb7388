"""MQTT 3.1.1 over WebSocket: a Sans-I/O client codec (subprotocol ``mqtt``).

Packets travel in binary frames; a frame may carry several packets or part of
one (:class:`~.mqtt_packets.PacketReader` buffers them). On each connection
the codec writes CONNECT; once CONNACK accepts it, it writes one SUBSCRIBE
with every active filter, re-sends the QoS 1/2 PUBLISHes the broker has not
acknowledged (DUP set; PUBRELs for those past PUBREC), then releases what the
user published while away.

Application messages (``Message.json()``), in and out (``send()`` takes the same)::

    {"topic": "sensors/t1", "payload": {"t": 21.5}, "qos": 1, "retain": false}

``payload`` is the JSON value of the MQTT payload if it parses as JSON, else
its UTF-8 text, else ``{"base64": "..."}`` (binary). Sent, a str payload goes
as its UTF-8 text, ``{"base64": ...}`` (that key alone) as the bytes it
encodes, any other value as JSON text.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..exceptions import SendQueueFull
from . import mqtt_packets as mp
from .base import Codec, ProtocolError, dumps, mask_text
from .mqtt_describe import CONNACK_ADVICE, CONNACK_MEANINGS, describe_frame, describe_packet
from .mqtt_packets import Ack, Connack, Connect, Packet, Publish, Suback, Subscribe, encode
from .mqtt_topics import check_filter, check_topic, parse_message, payload_bytes, payload_value

__all__ = ["MQTTCodec"]

CONNACK_TIMEOUT = 10.0


@dataclass
class _Outgoing:
    """A QoS 1/2 PUBLISH of ours until its last acknowledgement."""

    packet: Publish
    sent: bool = False  # written on some connection (else still held)
    released: bool = False  # QoS 2: PUBREC came, PUBREL written; waiting for PUBCOMP


class MQTTCodec(Codec):
    """An MQTT 3.1.1 client over WebSocket: subscriptions, QoS 0-2 both ways, keepalive.

    Args:
        subscribe: topic filters to subscribe to on every connection (a str, a
            sequence, or a mapping filter -> QoS).
        qos: the QoS of the filters given as str or sequence.
        client_id: the MQTT client id (default: ``ipywebsockets-`` and random hex).
        username, password: credentials for CONNECT (kept in the codec only).
        keepalive: seconds; a PINGREQ goes out after ``keepalive / 2`` s without
            writing, and the connection fails if nothing comes back within
            ``keepalive`` s. 0: no keepalive.
        clean_session: ask the broker for a fresh session on each connection.
        hold_limit: user messages held while the connection is not ready.

    Raises:
        ValueError: a bad topic filter, QoS or keepalive (the text says which).
    """

    name = "mqtt"
    subprotocols = ("mqtt",)

    def __init__(
        self,
        subscribe: str | Sequence[str] | Mapping[str, int] = (),
        qos: int = 0,
        *,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        keepalive: int = 60,
        clean_session: bool = True,
        hold_limit: int = 1000,
    ) -> None:
        super().__init__(hold_limit=hold_limit)
        if not isinstance(keepalive, int) or not 0 <= keepalive <= 65535:
            raise ValueError(f"keepalive is whole seconds, 0-65535 (0: none), not {keepalive!r}")
        self.client_id = client_id or "ipywebsockets-" + os.urandom(6).hex()
        self.username = username
        self._password = None if password is None else password.encode("utf-8")
        self.keepalive = keepalive
        self.clean_session = clean_session
        hello = Connect(self.client_id, keepalive, clean_session, username, self._password)
        self._hello = encode(hello)  # checks the client id's and credentials' lengths
        self.secrets = tuple(s.encode() for s in (username, password) if s)
        self._subs: dict[str, int] = {}
        self._add_filters(subscribe, qos)
        self._last_id = 0
        self._outgoing: dict[int, _Outgoing] = {}  # our QoS 1/2 PUBLISHes, by packet id
        self._requests: dict[int, tuple[str, ...]] = {}  # SUBSCRIBE/UNSUBSCRIBE awaiting acks
        self._incoming: set[int] = set()  # QoS 2 PUBLISHes delivered, awaiting PUBREL
        self._reset()

    def _reset(self) -> None:
        self._reader = mp.PacketReader()
        self._state = "closed"  # connecting -> ready; closed; failed
        self._connect_at = 0.0
        self._ping_at: float | None = None
        self._written = self._seen_written = 0
        self._last_write = 0.0

    # -- subscriptions -------------------------------------------------------------

    @property
    def subscriptions(self) -> dict[str, int]:
        """The active topic filters and their QoS (renewed on every connection)."""
        return dict(self._subs)

    def _add_filters(self, filters: str | Iterable[str] | Mapping[str, int], qos: int) -> list[str]:
        if isinstance(filters, str):
            filters = [filters]
        if isinstance(filters, Mapping):
            pairs = list(filters.items())
        else:
            pairs = [(f, qos) for f in filters]
        for topic_filter, level in pairs:
            check_filter(topic_filter)
            if level not in (0, 1, 2):
                raise ValueError(f"MQTT QoS is 0, 1 or 2, not {level!r} (for {topic_filter!r})")
        self._subs.update(pairs)
        return [f for f, _ in pairs]

    def subscribe(self, filters: str | Sequence[str] | Mapping[str, int], qos: int = 0) -> None:
        """Subscribe to ``filters`` now (if connected) and on every later connection.

        Raises:
            ValueError: a filter breaks MQTT's wildcard rules, or a QoS is not 0-2.
        """
        added = self._add_filters(filters, qos)
        if self._state == "ready" and added:
            packet_id = self._new_id()
            self._requests[packet_id] = tuple(added)
            self._write(encode(Subscribe(packet_id, tuple((f, self._subs[f]) for f in added))))

    def unsubscribe(self, filters: str | Sequence[str]) -> None:
        """Drop ``filters`` (now, if connected, and from later connections)."""
        names = [filters] if isinstance(filters, str) else list(filters)
        for topic_filter in names:
            check_filter(topic_filter)
            self._subs.pop(topic_filter, None)
        if self._state == "ready" and names:
            packet_id = self._new_id()
            self._requests[packet_id] = ()
            self._write(encode(mp.Unsubscribe(packet_id, tuple(names))))

    # -- publishing ----------------------------------------------------------------

    def publish(self, topic: str, payload: Any, qos: int = 0, retain: bool = False) -> None:
        """Publish ``payload`` (bytes as is, str as UTF-8, anything else as JSON) to ``topic``.

        Held until the connection is ready; QoS 1/2 messages are kept (and
        re-sent on reconnection) until the broker acknowledges them.

        Raises:
            ValueError: the topic has wildcards or is empty, or QoS is not 0-2.
            SendQueueFull: ``hold_limit`` messages already wait for the connection.
        """
        check_topic(topic)
        if not isinstance(qos, int) or isinstance(qos, bool) or qos not in (0, 1, 2):
            raise ValueError(f"MQTT QoS is 0, 1 or 2, not {qos!r}")
        packet_id = self._new_id() if qos else None
        packet = Publish(topic, payload_bytes(payload), qos, bool(retain), False, packet_id)
        frame = encode(packet)
        self._write_app(frame)
        if packet_id is not None:
            self._outgoing[packet_id] = _Outgoing(packet, sent=self.ready)

    def send(self, payload: str | bytes) -> None:
        """Publish what ``ws.send()`` was given: ``{"topic", "payload", "qos"?, "retain"?}``."""
        self.publish(*parse_message(payload))

    def _new_id(self) -> int:
        """The next free packet id: 1..65535, wrapping, skipping the ids in use."""
        for _ in range(65535):
            self._last_id = self._last_id % 65535 + 1
            if self._last_id not in self._outgoing and self._last_id not in self._requests:
                return self._last_id
        raise SendQueueFull("all 65535 MQTT packet ids wait for acknowledgements; wait for them")

    # -- connection ----------------------------------------------------------------

    def _write(self, frame: str | bytes) -> None:
        self._written += 1
        super()._write(frame)

    def _write_app(self, frame: str | bytes) -> None:
        if self.ready:
            self._write(frame)
        else:
            super()._write_app(frame)

    def connected(self, subprotocol: str, now: float) -> None:
        """Write CONNECT; the rest follows CONNACK."""
        self._reset()
        self.ready = False
        self.subprotocol = subprotocol
        self._state, self._connect_at, self._last_write = "connecting", now, now
        self._requests.clear()
        if self.clean_session:
            self._incoming.clear()
        self._write(self._hello)

    def lost(self) -> None:
        """The connection ended: publishes are held, subscriptions renewed on the next one."""
        super().lost()
        self._reset()

    def drop_held(self) -> int:
        """The connection ended for good: forget the held messages (and their packet ids)."""
        for packet_id in [i for i, out in self._outgoing.items() if not out.sent]:
            del self._outgoing[packet_id]
        return super().drop_held()

    def closing(self) -> None:
        """DISCONNECT: a clean end (the broker drops the will, keeps no half state)."""
        if self.ready:
            self._write(encode(mp.Simple(mp.DISCONNECT)))

    def tick(self, now: float) -> None:
        """The CONNACK timeout, and the keepalive (PINGREQ, then a deadline for any answer)."""
        if self._state == "connecting" and now - self._connect_at >= CONNACK_TIMEOUT:
            self._failed(
                1011, "no CONNACK",
                f"the broker did not answer CONNECT within {CONNACK_TIMEOUT:.0f} s (no "
                "CONNACK): is this an MQTT broker's WebSocket endpoint? Reconnecting.",
                retry=True,
            )  # fmt: skip
            return
        if self._state != "ready" or not self.keepalive:
            return
        if self._written != self._seen_written:
            self._seen_written, self._last_write = self._written, now
        if self._ping_at is not None:
            if now - self._ping_at >= self.keepalive:
                self._failed(
                    1011, "keepalive timeout",
                    f"the broker did not answer PINGREQ within {self.keepalive} s: the "
                    "connection is dead or the broker is stuck. Reconnecting.",
                    retry=True,
                )  # fmt: skip
        elif now - self._last_write >= self.keepalive / 2:
            self._ping_at = now
            self._write(encode(mp.Simple(mp.PINGREQ)))

    def _failed(self, code: int, reason: str, text: str, retry: bool = False) -> None:
        self._state = "failed"
        self.ready = False  # what is published until the caller closes is held
        self._fail(code, reason, text, retry)

    # -- incoming ------------------------------------------------------------------

    def receive(self, data: str | bytes, now: float) -> None:
        """One frame from the broker: zero or more packets (and maybe part of one)."""
        if self._state not in ("connecting", "ready"):
            return
        if isinstance(data, str):
            self._failed(
                1002, "MQTT needs binary frames",
                f"the server sent a text frame ({data[:40]!r}); MQTT over WebSocket uses binary "
                "frames only: is this URL an MQTT broker's WebSocket endpoint?",
            )  # fmt: skip
            return
        self._ping_at = None  # any packet answers a PINGREQ
        try:
            for packet in self._reader.feed(data):
                self._handle(packet)
                if self._state == "failed":
                    return
        except ProtocolError as exc:
            self._failed(
                1002, "malformed MQTT packet",
                f"the broker sent a malformed MQTT packet ({exc}); the connection is closed: "
                "is the broker MQTT 3.1.1?",
            )  # fmt: skip

    def _handle(self, packet: Packet) -> None:
        if self._state == "connecting":
            if not isinstance(packet, Connack):
                raise ProtocolError(f"the first packet was {describe_packet(packet)}, not CONNACK")
            self._on_connack(packet)
        elif isinstance(packet, Publish):
            self._on_publish(packet)
        elif isinstance(packet, Ack) and packet.kind == mp.UNSUBACK:
            self._requests.pop(packet.packet_id, None)
        elif isinstance(packet, Ack):
            self._on_ack(packet)
        elif isinstance(packet, Suback):
            self._on_suback(packet)
        elif not (isinstance(packet, mp.Simple) and packet.kind in (mp.PINGRESP, mp.DISCONNECT)):
            name = describe_packet(packet).split()[0]
            raise ProtocolError(f"an unexpected {name} from the broker after CONNACK")

    def _on_connack(self, packet: Connack) -> None:
        if packet.rc:
            meaning = CONNACK_MEANINGS[packet.rc] if packet.rc < 6 else "unknown return code"
            advice = (
                CONNACK_ADVICE[packet.rc].format(client_id=self.client_id)
                if packet.rc < 6
                else "MQTT 3.1.1 defines codes 0-5: is this an MQTT 3.1.1 broker?"
            )
            self._failed(
                1008, f"MQTT connection refused: {meaning}",
                f"the broker refused the connection (CONNACK rc={packet.rc}, {meaning}): {advice}",
                retry=packet.rc == 3,
            )  # fmt: skip
            return
        self._state = "ready"
        if self._subs:
            packet_id = self._new_id()
            self._requests[packet_id] = tuple(self._subs)
            self._write(encode(Subscribe(packet_id, tuple(self._subs.items()))))
        for packet_id, out in self._outgoing.items():
            if out.released:
                self._write(encode(Ack(mp.PUBREL, packet_id)))
            elif out.sent:
                p = out.packet
                self._write(encode(Publish(p.topic, p.payload, p.qos, p.retain, True, packet_id)))
        self._ready()
        for out in self._outgoing.values():
            out.sent = True

    def _on_publish(self, packet: Publish) -> None:
        message = {
            "topic": packet.topic,
            "payload": payload_value(packet.payload),
            "qos": packet.qos,
            "retain": packet.retain,
        }
        if packet.qos == 2:
            assert packet.packet_id is not None
            if packet.packet_id not in self._incoming:  # a DUP of one delivered: not again
                self._incoming.add(packet.packet_id)
                self._deliver(message)
            self._write(encode(Ack(mp.PUBREC, packet.packet_id)))
            return
        self._deliver(message)
        if packet.qos == 1:
            assert packet.packet_id is not None
            self._write(encode(Ack(mp.PUBACK, packet.packet_id)))

    def _on_ack(self, packet: Ack) -> None:
        packet_id, out = packet.packet_id, self._outgoing.get(packet.packet_id)
        if packet.kind == mp.PUBREL:  # the broker's QoS 2 PUBLISH is done
            self._incoming.discard(packet_id)
            self._write(encode(Ack(mp.PUBCOMP, packet_id)))
        elif packet.kind == mp.PUBREC:
            if out is not None:
                out.released = True
            self._write(encode(Ack(mp.PUBREL, packet_id)))
        elif out is not None and (packet.kind == mp.PUBACK) == (out.packet.qos == 1):
            del self._outgoing[packet_id]  # PUBACK of QoS 1, PUBCOMP of QoS 2

    def _on_suback(self, packet: Suback) -> None:
        filters = self._requests.pop(packet.packet_id, None)
        if filters is None:
            self._problem(f"the broker sent SUBACK id={packet.packet_id}, which no SUBSCRIBE had")
            return
        if len(filters) != len(packet.codes):
            raise ProtocolError(
                f"SUBACK id={packet.packet_id} has {len(packet.codes)} return codes for "
                f"{len(filters)} filters"
            )
        refused = [f for f, code in zip(filters, packet.codes, strict=True) if code == mp.REFUSED]
        for topic_filter in refused:
            self._subs.pop(topic_filter, None)
        if refused:
            names = ", ".join(repr(f) for f in refused)
            self._problem(
                f"the broker refused the subscription to {names} (SUBACK 0x80): check the "
                "filter and the broker's access rules; it is no longer subscribed"
            )

    # -- for the Inspector and the history -------------------------------------------

    def describe(self, data: str | bytes) -> str:
        """The packet(s) a frame carries, joined with "; " (credentials as ``***``)."""
        # A credential in a topic or payload too; CONNECT shows them as *** anyway.
        return mask_text(describe_frame(data), self.secrets, shortest=4)

    def outgoing(self, data: str | bytes) -> str | bytes | None:
        """``{"topic", "payload", "qos", "retain"}`` for a PUBLISH frame, else None."""
        if isinstance(data, str) or len(data) < 2 or data[0] >> 4 != 3:
            return None
        try:
            packets = mp.PacketReader().feed(data)
        except ProtocolError:
            return None
        if len(packets) != 1 or not isinstance(packets[0], Publish):
            return None
        p = packets[0]
        value = payload_value(p.payload)
        return dumps({"topic": p.topic, "payload": value, "qos": p.qos, "retain": p.retain})
