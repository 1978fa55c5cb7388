"""The shape every protocol codec has: Sans-I/O, frames in, events and frames out.

A :class:`Codec` sits between a WebSocket's frames and the application's
messages (GraphQL subscriptions, Socket.IO events, MQTT and STOMP packets). It
owns no socket, thread or timer: the caller (``_jupyter/protocol.py``) feeds it

* :meth:`Codec.connected` when a connection opens (it queues its handshake),
* :meth:`Codec.receive` with every incoming frame, in order,
* :meth:`Codec.tick` about once a second (keepalives, timeouts),
* :meth:`Codec.closing` when the user closes (a goodbye packet goes out first),
* :meth:`Codec.lost` when the connection ends,
* :meth:`Codec.send` with what the user sends (``ws.send(...)``, ``publish``...),

and after each call drains :meth:`Codec.data_to_send` (frames to write, in
order) and :meth:`Codec.events_received` (:class:`Deliver`, :class:`Ready`,
:class:`Problem`, :class:`Fail`). What the user sends before the protocol's
handshake is done is held (at most ``hold_limit`` messages) and goes out
right after it, behind the resubscriptions, so a subscription always precedes
what was sent while away.

Application messages are JSON text (``Message.json()`` gives the dict each
codec documents); the Inspector still shows the real frames, each with the
protocol packet it carried (:meth:`Codec.describe`). Credentials live in the
codec only (never in a trait): :attr:`Codec.secrets` lists their bytes, which
the Inspector masks in the frames it shows.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..exceptions import SendQueueFull
from ..message import ORJSON as _orjson  # None without orjson, or IPYWEBSOCKETS_NO_ORJSON=1
from ..message import SLOW, fast_loads

__all__ = [
    "Codec",
    "Deliver",
    "Event",
    "Fail",
    "Problem",
    "ProtocolError",
    "Ready",
    "dumps",
    "mask_text",
    "masked",
    "parse_sent",
    "secret_forms",
    "strict_loads",
]


@dataclass(frozen=True)
class Deliver:
    """An application message for the stream (history, ``recv``, views), in order.

    ``ref``: what it answers (a GraphQL operation id, a Socket.IO ack id), for the
    socket's requests to claim it by (not part of the message).
    """

    data: str | bytes
    ref: object = None


@dataclass(frozen=True)
class Ready:
    """The protocol's handshake completed on this connection (subscriptions were sent)."""


@dataclass(frozen=True)
class Problem:
    """Something the user should know (shown in ``error``); the connection stays open."""

    text: str


@dataclass(frozen=True)
class Fail:
    """The connection must close with ``code``/``reason``; ``text`` says why and what to do.

    ``retry``: whether reconnecting may help (a keepalive timeout: yes; refused
    credentials: no).
    """

    code: int
    reason: str
    text: str
    retry: bool = False


Event = Deliver | Ready | Problem | Fail


class ProtocolError(ValueError):
    """A frame that breaks the protocol (raised inside codecs, turned into :class:`Fail`)."""


def dumps(value: Any) -> str:
    """Compact JSON text of an application message (non-ASCII kept as is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps_parsed(value: Any) -> str:
    """:func:`dumps` of a value JSON text decoded to (dicts, lists, str, numbers...).

    orjson when installed (ten times faster), except where it would not write what
    the standard library writes: NaN and Infinity (orjson writes ``null``: any
    ``null`` goes the slow way) and integers beyond 64 bits (orjson refuses them).
    """
    if _orjson is not None:
        try:
            text: str = _orjson.dumps(value).decode()
        except (_orjson.JSONEncodeError, TypeError):
            pass
        else:
            if "null" not in text:
                return text
    return dumps(value)


def loads(data: str | bytes, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """``json.loads(data)`` (with ``parse_constant``), by orjson where it agrees (message.py)."""
    value = fast_loads(data)
    if value is not SLOW:
        return value
    if parse_constant is None:
        return json.loads(data)
    return json.loads(data, parse_constant=parse_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_loads(text: str) -> Any:
    """:func:`loads`, refusing ``NaN`` and ``Infinity`` (:class:`ValueError`): strict JSON."""
    return loads(text, parse_constant=_no_constant)


def secret_forms(value: Any) -> tuple[bytes, ...]:
    """The str values inside ``value`` (nested), as bytes: as written and as JSON escapes them.

    What a codec lists in :attr:`Codec.secrets` for a credentials object (a GraphQL
    ``init_payload``, a Socket.IO ``auth``): the Inspector masks each form.
    """
    found: list[bytes] = []

    def walk(item: Any) -> None:
        if isinstance(item, str) and item:
            for form in (item, json.dumps(item, ensure_ascii=False)[1:-1]):
                if form.encode() not in found:
                    found.append(form.encode())
        elif isinstance(item, Mapping):
            for inner in item.values():
                walk(inner)
        elif isinstance(item, (list, tuple)):
            for inner in item:
                walk(inner)

    walk(value)
    return tuple(found)


def masked(value: Any) -> Any:
    """``value`` with every str inside it replaced by ``***`` (keys kept): for describe()."""
    if isinstance(value, str):
        return "***"
    if isinstance(value, Mapping):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def mask_text(text: str, secrets: tuple[bytes, ...], shortest: int = 1) -> str:
    """``text`` with each secret at least ``shortest`` bytes long replaced by ``***``.

    (A very short credential, masked everywhere, would garble the words around it.)
    """
    for secret in secrets:
        if len(secret) >= shortest:
            text = text.replace(secret.decode("utf-8", "replace"), "***")
    return text


def parse_sent(payload: str | bytes, what: str) -> Any:
    """The JSON value of what ``ws.send()`` encoded (dicts and lists arrive as JSON text).

    Raises:
        TypeError: ``payload`` is binary or not JSON (``what`` says what was expected).
    """
    if isinstance(payload, bytes):
        raise TypeError(f"this socket sends {what}, not bytes")
    try:
        return json.loads(payload)
    except ValueError:
        raise TypeError(f"this socket sends {what}, not the text {payload[:80]!r}") from None


class Codec:
    """Base of the protocol codecs: the queues, holding until ready, the event list.

    Subclasses implement :meth:`connected`, :meth:`receive`, :meth:`send`,
    :meth:`describe` and :meth:`outgoing`; they write frames with
    :meth:`_write` (protocol frames: now) or :meth:`_write_app` (the user's:
    held until :meth:`_ready`), and report with :meth:`_deliver`,
    :meth:`_problem` and :meth:`_fail`.
    """

    #: The protocol's name, shown in the Inspector and in errors.
    name: ClassVar[str] = ""
    #: WebSocket subprotocols to offer, preferred first (the server picks one).
    subprotocols: tuple[str, ...] = ()

    def __init__(self, *, hold_limit: int = 1000) -> None:
        self.hold_limit = hold_limit
        self.ready = False
        self.subprotocol = ""
        self._out: list[str | bytes] = []
        self._events: list[Event] = []
        self._held: deque[str | bytes] = deque()
        #: Credential values to mask wherever a frame is shown (bytes, as on the wire).
        self.secrets: tuple[bytes, ...] = ()

    # -- what the caller feeds in ------------------------------------------------

    def target(self, url: str) -> str:
        """The WebSocket URL to open for ``url`` (Socket.IO adds its path); checks it."""
        return url

    def connected(self, subprotocol: str, now: float) -> None:
        """A connection opened (``subprotocol``: the one the server chose).

        Write the handshake, or wait for the server's first packet (Engine.IO speaks first).
        """
        raise NotImplementedError

    def receive(self, data: str | bytes, now: float) -> None:
        """One incoming WebSocket message."""
        raise NotImplementedError

    def tick(self, now: float) -> None:
        """Called about once a second while connected (keepalives, timeouts)."""
        return None

    def closing(self) -> None:
        """The user closes the connection: write the protocol's goodbye (DISCONNECT...)."""
        return None

    def lost(self) -> None:
        """The connection ended: what is sent now is held for the next one."""
        self.ready = False

    def closed(self, code: int | None, reason: str) -> str | None:
        """What the server's close ``code`` means in this protocol (shown in ``error``), or None."""
        return None

    def send(self, payload: str | bytes) -> None:
        """What ``ws.send()`` was given (encoded: dicts and lists as JSON text).

        Raises:
            TypeError, ValueError: it is not a message of this protocol (the text says
                what is); nothing is queued.
            SendQueueFull: ``hold_limit`` messages already wait for the handshake.
        """
        raise NotImplementedError

    # -- what the caller reads ---------------------------------------------------

    def data_to_send(self) -> list[str | bytes]:
        """The frames to write now, in order (and forget them)."""
        out, self._out = self._out, []
        return out

    def events_received(self) -> list[Event]:
        """What happened since the last call, in order (and forget it)."""
        events, self._events = self._events, []
        return events

    def drop_held(self) -> int:
        """The connection ended for good: forget the held messages; return how many."""
        count = len(self._held)
        self._held.clear()
        return count

    @property
    def held(self) -> int:
        """User messages waiting for the handshake."""
        return len(self._held)

    def describe(self, data: str | bytes) -> str:
        """One frame's protocol packet(s), decoded, for the Inspector (credentials masked).

        Never raises: a frame that is not a packet says so.
        """
        raise NotImplementedError

    def outgoing(self, data: str | bytes) -> str | bytes | None:
        """The application message a frame this codec wrote carries, for the history.

        None for the protocol's own frames (handshake, keepalive, acks, subscriptions).
        """
        raise NotImplementedError

    # -- for subclasses ------------------------------------------------------------

    def _write(self, frame: str | bytes) -> None:
        self._out.append(frame)

    def _write_app(self, frame: str | bytes) -> None:
        if self.ready:
            self._out.append(frame)
            return
        if len(self._held) >= self.hold_limit:
            raise SendQueueFull(
                f"cannot send: {len(self._held)} messages already wait for the {self.name} "
                f"handshake; wait for status 'open', or raise send_queue= (now {self.hold_limit})"
            )
        self._held.append(frame)

    def _ready(self) -> None:
        """The handshake is done (call after writing the resubscriptions)."""
        self.ready = True
        self._out.extend(self._held)
        self._held.clear()
        self._events.append(Ready())

    def _deliver(self, value: Any, ref: object = None) -> None:
        data = value if isinstance(value, (str, bytes)) else dumps_parsed(value)
        self._events.append(Deliver(data, ref))

    def _problem(self, text: str) -> None:
        self._events.append(Problem(text))

    def _fail(self, code: int, reason: str, text: str, retry: bool = False) -> None:
        self.ready = False  # the connection closes: what is sent now waits for the next
        self._events.append(Fail(code, reason, text, retry))
