"""Socket.IO 5 over Engine.IO 4 on a WebSocket (python-socketio 5, socket.io 3 and later).

Sans-I/O: :class:`SocketIOCodec` turns one namespace's frames into application
messages and back. The caller opens :meth:`SocketIOCodec.target` of the URL
(``http://host:8000`` -> ``ws://host:8000/socket.io/?EIO=4&transport=websocket``).
The server speaks first (Engine.IO ``open``, with its ping interval); the codec
answers with the namespace's CONNECT (``40``, ``40/ns,``, with ``auth`` if
given); the server's CONNECT answer completes the handshake, and what was sent
meanwhile goes out then. The server pings (``2``), the codec pongs (``3``).

Delivered (JSON text, in order): an event ``{"event": "tick", "args": [{"n": 0}]}``
(plus ``"ack": 7`` when the server asks for an acknowledgement: answer by
sending ``{"ack": 7, "args": [...]}``), and the answer to an event emitted with
``ack=True``: ``{"ack": 3, "args": [3]}``. Only the codec's namespace is
delivered; events the server emits in its connect handler (before its CONNECT
answer) are delivered right after it, as the Socket.IO clients do.

Binary data (a binary attachment) appears in ``args`` as ``{"base64": "..."}``;
the same shape in what is sent becomes an attachment (``ws.send()`` takes
JSON, which cannot hold bytes); :meth:`SocketIOCodec.emit` also takes bytes.

Sent (:meth:`SocketIOCodec.send`): ``{"event": "join", "args": ["r1"]}`` emits
(``"ack": true`` asks for an acknowledgement); ``{"ack": 7, "args": [...]}``
answers the server's ack 7; any other JSON value (or text, or bytes) is
Socket.IO's ``send``: the event ``"message"`` with it as its argument.

The server's Engine.IO close (``1``) fails the connection with code 1000 and
``retry=True`` (the server ended the session, as when it restarts: the
Socket.IO clients reconnect then). A namespace DISCONNECT (``41``) leaves the
WebSocket open, the namespace gone: what is sent is held until a reconnect.
Left out: HTTP long-polling, Engine.IO 3 / Socket.IO 2 servers, several
namespaces on one connection (one codec per namespace).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from ..exceptions import SendQueueFull
from .base import Codec, ProtocolError, dumps, secret_forms
from .socketio_text import describe_frame
from .socketio_wire import (
    ACK,
    BINARY_ACK,
    BINARY_EVENT,
    CONNECT,
    CONNECT_ERROR,
    DISCONNECT,
    EVENT,
    Packet,
    attach,
    decode_packet,
    encode_packet,
    engine_url,
    message_of,
    read_sent,
    reattach,
)

__all__ = ["RESERVED_EVENTS", "SocketIOCodec"]

#: Event names the Socket.IO clients keep for themselves (emitting one is an error).
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
HANDSHAKE_TIMEOUT = 10.0
SENT_KEPT = 100  # binary events remembered for outgoing() (their bytes are in other frames)


class SocketIOCodec(Codec):
    """One Socket.IO namespace over a WebSocket (Socket.IO 5, Engine.IO 4).

    Args:
        namespace: the namespace to connect (``"/"``, ``"/chat"``).
        auth: sent in the namespace's CONNECT (the server's ``auth`` argument);
            its str values are credentials (masked in the Inspector).
        path: the server's Socket.IO path (``socket.io``; python-socketio's
            ``socketio_path``, socket.io's ``path``).
        hold_limit: frames kept while the handshake is not done.
    """

    name = "socket.io"

    def __init__(
        self,
        namespace: str = "/",
        *,
        auth: dict[str, Any] | None = None,
        path: str = "socket.io",
        hold_limit: int = 1000,
    ) -> None:
        super().__init__(hold_limit=hold_limit)
        if not isinstance(namespace, str) or not namespace.startswith("/") or "," in namespace:
            raise ValueError(f'namespace must start with "/" and hold no ",", not {namespace!r}')
        if auth is not None and not isinstance(auth, dict):
            raise TypeError(f"auth must be a dict (or None), not {type(auth).__name__}")
        self.namespace = namespace
        self.auth = auth
        self.path = path.strip("/")
        self.secrets = secret_forms(auth)
        self._next_ack = 1
        #: The namespace's session id (the server's CONNECT answer), or "" while not connected.
        self.sid = ""
        self._sent: deque[tuple[str, str]] = deque(maxlen=SENT_KEPT)  # (binary frame, message)
        self._reset(0.0)

    def _reset(self, now: float) -> None:
        self.engine_sid = ""
        self.max_payload = 0
        self._started = now
        self._opened = False
        self._connecting = False  # CONNECT written, no answer yet
        self._closed = False  # after a Fail: the connection is going away
        self._last_ping = now
        self._ping_window = 0.0
        self._binary: Packet | None = None  # a binary packet waiting for attachments
        self._parts: list[bytes] = []
        self._early: list[dict[str, Any]] = []  # events before the namespace's CONNECT
        self._told: set[str] = set()  # other namespaces already reported

    # -- the URL ----------------------------------------------------------------------

    def target(self, url: str) -> str:
        """``ws(s)://host:port/<path>/?EIO=4&transport=websocket`` for ``url``.

        Takes ``http``, ``https``, ``ws`` and ``wss`` URLs; keeps their query
        parameters (a token, say).

        Raises:
            ValueError: another scheme, or a path that is not the Socket.IO path.
        """
        return engine_url(url, self.path)

    # -- frames in ----------------------------------------------------------------------

    def connected(self, subprotocol: str, now: float) -> None:
        """A WebSocket opened: wait for the server's Engine.IO open (it speaks first)."""
        self.subprotocol = subprotocol
        self.ready = False
        self.sid = ""
        self._reset(now)

    def lost(self) -> None:
        """The connection ended: what is sent now is held; the next one connects again."""
        super().lost()
        self.sid = ""
        self._reset(0.0)
        self._closed = True  # no timeouts until the next connected()

    def receive(self, data: str | bytes, now: float) -> None:
        """One frame from the server (never raises: bad frames become Problem or Fail)."""
        try:
            if isinstance(data, bytes):
                self._attachment(data)
            else:
                self._engine(data, now)
        except (ProtocolError, RecursionError) as exc:
            self._problem(
                f"dropped a malformed Socket.IO frame ({exc}): {data[:80]!r}; this codec "
                "speaks Socket.IO 5 (python-socketio 5, socket.io 3 and later)"
            )

    def closing(self) -> None:
        """Leave the namespace (``41``) before the connection closes."""
        if self.ready:
            self._write("4" + encode_packet(Packet(DISCONNECT, self.namespace, None)))

    def tick(self, now: float) -> None:
        """Check the handshake (10 s) and the server's pings (pingInterval + pingTimeout)."""
        late = now - self._started > HANDSHAKE_TIMEOUT
        if self._closed:
            return
        if not self._opened and late:
            why = f"no Engine.IO open packet came within {HANDSHAKE_TIMEOUT:.0f} s: is this a "
            self._die(1011, "handshake timeout", why + f"Socket.IO server (path '/{self.path}/')?")
        elif self._opened and now - self._last_ping > self._ping_window:
            self._die(
                1011,
                "ping timeout",
                f"the Socket.IO server sent no ping for {now - self._last_ping:.0f} s "
                f"(pingInterval + pingTimeout: {self._ping_window:.0f} s): the connection "
                "is dead or stalled",
            )
        elif self._connecting and late:
            why = f"the server did not answer the CONNECT of namespace {self.namespace!r} within "
            self._die(1011, "connect timeout", why + f"{HANDSHAKE_TIMEOUT:.0f} s")

    def _die(self, code: int, reason: str, text: str, *, retry: bool = True) -> None:
        """Fail the connection (1011 timeouts and 1000 closes retry; reconnecting is said)."""
        self._closed = True
        self._fail(code, reason, text + ("; reconnecting" if retry else ""), retry=retry)

    def _engine(self, text: str, now: float) -> None:
        if self._binary is not None:
            self._problem(
                f"the server sent a text frame while {self._binary.attachments} binary "
                f"attachments were due: dropped the {self._binary.type_name} that needed them"
            )
            self._binary, self._parts = None, []
        kind, rest = text[:1], text[1:]
        if not self._opened and kind != "0":
            self._die(
                1002,
                "not Socket.IO",
                f"the server's first frame was {text[:60]!r}, not an Engine.IO open packet "
                f"(0{{...}}): is this a Socket.IO 5 server, at path '/{self.path}/'?",
                retry=False,
            )
        elif kind == "0":
            self._open(rest, now)
        elif kind == "1":
            self._die(
                1000,
                "server closed",
                "the Socket.IO server closed the session (Engine.IO close)",
            )
        elif kind == "2":
            self._last_ping = now
            self._write("3" + rest)
        elif kind == "4":
            self._socket(decode_packet(rest))
        elif kind not in ("3", "5", "6"):
            raise ProtocolError(f"unknown Engine.IO packet type {kind!r}")

    def _open(self, rest: str, now: float) -> None:
        try:
            info = json.loads(rest)
            interval, timeout = int(info["pingInterval"]), int(info["pingTimeout"])
            max_payload = int(info.get("maxPayload") or 0)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError):
            self._die(
                1002,
                "bad open packet",
                f"the Engine.IO open packet is not {{sid, pingInterval, pingTimeout, ...}}: "
                f"{rest[:80]!r}; is this an Engine.IO 4 server (python-socketio 5, socket.io 3+)?",
                retry=False,
            )
            return
        self._opened, self._last_ping, self._started = True, now, now
        self._ping_window = (interval + timeout) / 1000.0
        self.engine_sid, self.max_payload = str(info.get("sid", "")), max_payload
        self._connecting = True
        self._write("4" + encode_packet(Packet(CONNECT, self.namespace, self.auth)))

    def _socket(self, packet: Packet) -> None:
        if packet.namespace != self.namespace:
            if packet.namespace not in self._told:
                self._told.add(packet.namespace)
                self._problem(
                    f"the server sent a {packet.type_name} for namespace {packet.namespace!r}; "
                    f"this socket joined {self.namespace!r} only (ignored; connect another "
                    f"socket with namespace={packet.namespace!r} for it)"
                )
            return
        if packet.attachments:
            self._binary, self._parts = packet, []
            return
        self._packet(packet)

    def _attachment(self, data: bytes) -> None:
        if self._binary is None:
            raise ProtocolError(f"a binary frame ({len(data)} bytes) no binary packet announced")
        self._parts.append(data)
        if len(self._parts) == self._binary.attachments:
            packet, parts = self._binary, self._parts
            self._binary, self._parts = None, []
            self._packet(
                Packet(packet.type, packet.namespace, reattach(packet.data, parts), packet.id)
            )

    def _packet(self, packet: Packet) -> None:
        if packet.type == CONNECT:
            self._connecting = False
            self.sid = str((packet.data or {}).get("sid", ""))
            self._ready()
            early, self._early = self._early, []
            for message in early:
                self._deliver(message)
        elif packet.type in (EVENT, BINARY_EVENT):
            message = message_of(packet, packet.data)
            if self.sid:
                self._deliver(message)
            else:
                self._early.append(message)
        elif packet.type in (ACK, BINARY_ACK):  # ref: the ack id, for SocketIO.call()
            self._deliver(message_of(packet, packet.data), ref=("ack", packet.id))
        elif packet.type == CONNECT_ERROR:
            data = packet.data
            said = data.get("message", data) if isinstance(data, dict) else data
            self._die(
                1008,
                "connect refused",
                f"the Socket.IO server refused namespace {self.namespace!r}: {said}; "
                "check auth= (the credentials) and namespace=",
                retry=False,
            )
        elif packet.type == DISCONNECT:
            self.ready, self.sid = False, ""
            self._problem(
                f"the server disconnected namespace {self.namespace!r} (Socket.IO DISCONNECT): "
                "what is sent now is held; reconnect the socket to join it again"
            )

    # -- frames out ------------------------------------------------------------------

    def emit(self, event: str, *args: Any, ack: bool = False) -> int | None:
        """Emit ``event`` with ``args`` (JSON values; bytes become binary attachments).

        Written now if the namespace is connected, else held until it is.

        Returns:
            The ack id when ``ack`` (the server's answer is delivered as
            ``{"ack": id, "args": [...]}``), else None.

        Raises:
            ValueError: the event name is empty or reserved, or a ``{"base64": ...}``
                value is not base64.
            TypeError: an argument JSON cannot hold.
            SendQueueFull: ``hold_limit`` frames already wait for the handshake.
        """
        if not isinstance(event, str) or not event:
            raise ValueError(f"a Socket.IO event name is a non-empty str, not {event!r}")
        if event in RESERVED_EVENTS:
            raise ValueError(f"{event!r} is a reserved Socket.IO event name: pick another")
        attachments: list[bytes] = []
        data = attach([event, *args], attachments)
        packet_id = self._next_ack if ack else None
        self._emit(Packet(EVENT, self.namespace, data, packet_id), attachments)
        if ack:
            self._next_ack += 1
        return packet_id

    def answer(self, ack_id: int, *args: Any) -> None:
        """Answer the server's event that asked for ack ``ack_id`` with ``args``."""
        if not isinstance(ack_id, int) or isinstance(ack_id, bool) or ack_id < 0:
            raise ValueError(f"an ack id is an int >= 0 (from the event's 'ack'), not {ack_id!r}")
        attachments: list[bytes] = []
        data = attach(list(args), attachments)
        self._emit(Packet(ACK, self.namespace, data, ack_id), attachments)

    def _emit(self, packet: Packet, attachments: list[bytes]) -> None:
        if attachments:
            kind = BINARY_EVENT if packet.type == EVENT else BINARY_ACK
            packet = Packet(kind, packet.namespace, packet.data, packet.id, len(attachments))
        frame = "4" + encode_packet(packet)
        size = len(frame.encode())
        if self.max_payload and size > self.max_payload:
            raise ValueError(
                f"this message is {size} bytes; the server takes at most "
                f"{self.max_payload} (its maxPayload): send less at once"
            )
        frames: list[str | bytes] = [frame, *attachments]
        if not self.ready and self.held + len(frames) > self.hold_limit:
            raise SendQueueFull(
                f"cannot send: {self.held} frames already wait for the {self.name} handshake; "
                f"wait for status 'open', or raise send_queue= (now {self.hold_limit})"
            )
        if attachments:  # the history shows the bytes as {"base64": ...}
            self._sent.append(
                (frame, dumps(message_of(packet, reattach(packet.data, attachments))))
            )
        for one in frames:
            self._write_app(one)

    def send(self, payload: str | bytes) -> None:
        """Emit what ``ws.send()`` was given (see the module's docstring for the shapes).

        Raises:
            TypeError, ValueError: the shape is wrong (the text says what it takes).
            SendQueueFull: ``hold_limit`` frames already wait for the handshake.
        """
        target, args, ack = read_sent(payload)
        if isinstance(target, int):
            self.answer(target, *args)
        else:
            self.emit(target, *args, ack=ack)

    # -- the Inspector and the history -----------------------------------------------

    def describe(self, data: str | bytes) -> str:
        """One frame as Engine.IO and Socket.IO packet names (credentials as ``***``)."""
        return describe_frame(data, self.secrets)

    def outgoing(self, data: str | bytes) -> str | bytes | None:
        """The event (or ack answer) a frame this codec wrote carries; None for the others."""
        if isinstance(data, bytes) or not data.startswith("4"):
            return None
        for kept in self._sent:  # a binary event: the message with its bytes
            if kept[0] == data:
                self._sent.remove(kept)
                return kept[1]
        try:
            packet = decode_packet(data[1:])
        except ProtocolError:
            return None
        if packet.type in (EVENT, ACK, BINARY_EVENT, BINARY_ACK):  # binary: placeholders
            return dumps(message_of(packet, packet.data))
        return None
