"""GraphQL over WebSocket: subscriptions, queries and mutations, Sans-I/O.

Speaks both subprotocols, whichever the server picks:

* ``graphql-transport-ws``, the modern one (the ``graphql-ws`` library's
  PROTOCOL.md): ``connection_init``/``connection_ack``, ``subscribe``,
  ``next``, ``error``, ``complete``, ``ping``/``pong``;
* ``graphql-ws``, the legacy ``subscriptions-transport-ws``: ``connection_init``/
  ``connection_ack``/``connection_error``, ``start``, ``data``, ``error``,
  ``complete``, ``stop``, ``ka``.

Each operation (a subscription, or a one-shot query: one result, then
``complete``) has an id, ``"1"``, ``"2"``..., counted per codec and never
reused. An operation stays *active* until it completes, fails or is stopped;
every active operation is subscribed again, under its id, on each new
connection, right after ``connection_ack``. Results are delivered as the
server sent them: ``{"data": {...}}`` (perhaps with ``"errors"``); an ``error``
message is delivered as ``{"errors": [...]}`` and shown as a problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..exceptions import SendQueueFull
from .base import Codec, dumps, loads, mask_text, parse_sent, secret_forms
from .graphql_messages import (
    ACK_TIMEOUT,
    CLOSE_MEANINGS,
    LEGACY_WS,
    PONG_TIMEOUT,
    SHAPE,
    TRANSPORT_WS,
    clip,
    describe_frame,
    foreign_types,
    operation,
    operation_of,
    sent_operation,
)

__all__ = ["GraphQLCodec"]


class GraphQLCodec(Codec):
    """GraphQL subscriptions over WebSocket (``graphql-transport-ws`` or legacy ``graphql-ws``).

    Args:
        query: the first operation (e.g. ``"subscription { count(to: 3) }"``),
            subscribed on every connection while it is active; None: none yet.
        variables: its variables.
        operation_name: its ``operationName`` (for a document with several).
        init_payload: the ``connection_init`` payload (e.g. ``{"token": ...}``);
            its str values are credentials: kept here only, masked when shown.
        subprotocol: offer only this one (``"graphql-transport-ws"`` or
            ``"graphql-ws"``); None offers both, the modern one first.
        keepalive: with ``graphql-transport-ws``, send a ``ping`` after this many
            seconds without a frame from the server and fail (to reconnect) if
            nothing arrives within 10 s more; None: no pings.
        hold_limit: at most this many new operations wait for the handshake.

    Delivered messages are the results as the server sent them (``{"data": ...}``,
    maybe with ``"errors"``) and, for an ``error`` message, ``{"errors": [...]}``.
    """

    name = "graphql"
    subprotocols: tuple[str, ...] = (TRANSPORT_WS, LEGACY_WS)

    def __init__(
        self,
        query: str | None = None,
        variables: dict[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        init_payload: dict[str, Any] | None = None,
        subprotocol: str | None = None,
        keepalive: float | None = 20.0,
        hold_limit: int = 1000,
    ) -> None:
        super().__init__(hold_limit=hold_limit)
        if subprotocol is not None:
            if subprotocol not in (TRANSPORT_WS, LEGACY_WS):
                raise ValueError(
                    f"unknown GraphQL subprotocol {subprotocol!r}: use {TRANSPORT_WS!r} "
                    f"(modern) or {LEGACY_WS!r} (legacy subscriptions-transport-ws), or None"
                )
            self.subprotocols = (subprotocol,)
        if init_payload is not None and not isinstance(init_payload, dict):
            raise TypeError(
                f"init_payload must be a dict (e.g. {{'token': ...}}), "
                f"not {type(init_payload).__name__}"
            )
        if keepalive is not None and keepalive <= 0:
            raise ValueError(
                f"keepalive must be a positive number of seconds or None, not {keepalive}"
            )
        self.init_payload = init_payload
        self.keepalive = keepalive
        self.secrets = secret_forms(init_payload)
        self._result_type = ""  # "next" (or legacy "data") once connected: the common frame
        self._ops: dict[str, dict[str, Any]] = {}  # active operations, by id
        self._unsent: set[str] = set()  # active, never subscribed on any connection yet
        self._live: set[str] = set()  # subscribed on this connection
        self._last_id = 0
        self._init_at: float | None = None  # connection_init written, no ack yet
        self._heard_at = 0.0  # when the server last sent a frame
        self._ping_at: float | None = None  # our ping, unanswered
        if query is not None:
            self.subscribe(query, variables, operation_name)
        elif variables is not None or operation_name is not None:
            raise ValueError("variables and operation_name need a query: pass query= too")

    # -- the user's side -------------------------------------------------------------

    @property
    def operations(self) -> Mapping[str, dict[str, Any]]:
        """The active operations: id -> payload (``query``, ``variables``...), a read-only copy."""
        return MappingProxyType({i: dict(p) for i, p in self._ops.items()})

    @property
    def held(self) -> int:
        """New operations waiting for the handshake (subscribed right after it)."""
        return len(self._unsent)

    def drop_held(self) -> int:
        """The connection ended for good: forget the operations never sent; how many."""
        dropped = sorted(self._unsent)
        for op_id in dropped:
            self._end(op_id)
        self._held.clear()  # (unused here: operations are never held as frames)
        return len(dropped)

    def subscribe(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> str:
        """Start an operation (subscription, query or mutation); returns its id.

        Written now if the handshake is done, else right after it.

        Raises:
            TypeError, ValueError: not a GraphQL operation (nothing is started).
            SendQueueFull: ``hold_limit`` operations already wait for the handshake.
        """
        return self._start(operation(query, variables, operation_name))

    def stop(self, op_id: str | int) -> None:
        """Stop operation ``op_id`` (``complete``, legacy ``stop``): it is never resubscribed.

        An operation that already ended is left as it is.

        Raises:
            ValueError: no operation ever had this id.
        """
        op_id = str(op_id)
        if op_id not in self._ops:
            if op_id.isdigit() and 0 < int(op_id) <= self._last_id:
                return
            active = ", ".join(self._ops) or "none"
            raise ValueError(f"no GraphQL operation has id {op_id!r} (active: {active})")
        del self._ops[op_id]
        self._unsent.discard(op_id)
        if op_id in self._live:
            self._live.discard(op_id)
            kind = "complete" if self.subprotocol == TRANSPORT_WS else "stop"
            self._write(dumps({"id": op_id, "type": kind}))

    def send(self, payload: str | bytes) -> None:
        """Start the operation ``{"query": ..., "variables"?: ..., "operationName"?: ...}``."""
        self._start(sent_operation(parse_sent(payload, SHAPE)))

    def _start(self, payload: dict[str, Any]) -> str:
        if not self.ready and len(self._unsent) >= self.hold_limit:
            raise SendQueueFull(
                f"cannot start a GraphQL operation: {len(self._unsent)} already wait for the "
                f"handshake; wait for status 'open', or raise send_queue= (now {self.hold_limit})"
            )
        self._last_id += 1
        op_id = str(self._last_id)
        self._ops[op_id] = payload
        if self.ready:
            self._subscribe(op_id)
        else:
            self._unsent.add(op_id)
        return op_id

    def _subscribe(self, op_id: str) -> None:
        kind = "subscribe" if self.subprotocol == TRANSPORT_WS else "start"
        self._write(dumps({"id": op_id, "type": kind, "payload": self._ops[op_id]}))
        self._live.add(op_id)
        self._unsent.discard(op_id)

    # -- the connection's side ---------------------------------------------------------

    def connected(self, subprotocol: str, now: float) -> None:
        """Write ``connection_init``; the operations follow its ``connection_ack``."""
        self.ready = False
        self.subprotocol = subprotocol
        self._result_type = "data" if subprotocol == LEGACY_WS else "next"
        self._live.clear()
        self._init_at = None
        self._ping_at = None
        self._heard_at = now
        if subprotocol not in (TRANSPORT_WS, LEGACY_WS):
            chose = f"chose {subprotocol!r}" if subprotocol else "chose no subprotocol"
            self._fail(
                1002,
                "no GraphQL subprotocol",
                f"the server {chose} (offered: {', '.join(self.subprotocols)}): is this URL a "
                "GraphQL WebSocket endpoint (often /graphql)? Check the URL, or the subprotocol",
            )
            return
        init: dict[str, Any] = {"type": "connection_init"}
        if self.init_payload is not None:
            init["payload"] = self.init_payload
        self._write(dumps(init))
        self._init_at = now

    def lost(self) -> None:
        """The connection ended: active operations are subscribed again on the next one."""
        super().lost()
        self._live.clear()
        self._init_at = None
        self._ping_at = None

    def closing(self) -> None:
        """Legacy graphql-ws: ``connection_terminate`` (the current protocol just closes)."""
        if self.ready and self.subprotocol == LEGACY_WS:
            self._write(dumps({"type": "connection_terminate"}))

    def tick(self, now: float) -> None:
        """The ``connection_ack`` timeout (10 s) and, on transport-ws, the keepalive ping."""
        if self._init_at is not None and now - self._init_at >= ACK_TIMEOUT:
            self._init_at = None
            self._fail(
                1011,
                "connection_ack timeout",
                f"the GraphQL server did not acknowledge connection_init within "
                f"{ACK_TIMEOUT:.0f} s: reconnecting; if it keeps happening, check the URL "
                "and init_payload (some servers ignore a bad token instead of refusing it)",
                retry=True,
            )
            return
        if not self.ready or self.subprotocol != TRANSPORT_WS or self.keepalive is None:
            return
        if self._ping_at is not None:
            if now - self._ping_at >= PONG_TIMEOUT:
                self._ping_at = None
                self._fail(
                    1011,
                    "keepalive timeout",
                    f"the GraphQL server did not answer a ping within {PONG_TIMEOUT:.0f} s "
                    "(nothing at all arrived): reconnecting",
                    retry=True,
                )
        elif now - self._heard_at >= self.keepalive:
            self._ping_at = now
            self._write(dumps({"type": "ping"}))

    def receive(self, data: str | bytes, now: float) -> None:
        """One frame from the server: results, acks, keepalives, errors."""
        self._heard_at = now
        self._ping_at = None
        if isinstance(data, bytes):
            self._problem(
                f"the GraphQL server sent a binary frame ({len(data)} bytes: "
                f"{clip(repr(data[:40]), 60)}); GraphQL over WebSocket is text only: ignored"
            )
            return
        try:
            message = loads(data)
        except (ValueError, RecursionError):
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == self._result_type:  # the hot path: one result of a running operation
            assert isinstance(message, dict)  # it has a type
            self._on_next(message)
            return
        if not isinstance(message, dict) or not isinstance(kind, str):
            self._problem(
                f"the GraphQL server sent something that is not a GraphQL message (a JSON "
                f"object with a 'type'): {clip(data)!r}; ignored"
            )
            return
        handler = getattr(self, f"_on_{kind}", None) if kind.isidentifier() else None
        if handler is None or kind in foreign_types(self.subprotocol):
            self._problem(
                f"the GraphQL server sent a message of unknown type {kind!r} for "
                f"{self.subprotocol or 'this protocol'}: {clip(data)!r}; ignored"
            )
            return
        handler(message)

    def _on_connection_ack(self, message: dict[str, Any]) -> None:
        if self.ready or self._init_at is None:
            return  # a repeated ack changes nothing
        self._init_at = None
        for op_id in list(self._ops):
            self._subscribe(op_id)
        self._ready()

    def _on_connection_error(self, message: dict[str, Any]) -> None:
        said = clip(dumps(message.get("payload")))
        self._init_at = None
        self._fail(
            1008,
            "connection_error",
            f"the GraphQL server refused the connection (connection_error: {said}): "
            "check init_payload (the token?) and reconnect",
        )

    def _on_ping(self, message: dict[str, Any]) -> None:
        pong: dict[str, Any] = {"type": "pong"}
        if "payload" in message:
            pong["payload"] = message["payload"]
        self._write(dumps(pong))

    def _on_pong(self, message: dict[str, Any]) -> None:
        return None  # any frame counts as an answer (receive() noted it)

    def _on_ka(self, message: dict[str, Any]) -> None:
        return None

    def _on_next(self, message: dict[str, Any]) -> None:
        op_id = self._known(message)
        if op_id is None:
            return
        payload = message.get("payload")
        if not isinstance(payload, dict):
            self._problem(
                f"the GraphQL server sent a result for operation {op_id} that is not an "
                f"object: {clip(dumps(message))}; ignored"
            )
            return
        self._deliver(payload, ref=op_id)

    _on_data = _on_next

    def _on_error(self, message: dict[str, Any]) -> None:
        payload = message.get("payload")
        errors = payload if isinstance(payload, list) else [payload]
        op_id = message.get("id")
        if op_id is None:  # legacy: an error about the connection, not an operation
            self._problem(f"the GraphQL server reported an error: {clip(dumps(payload))}")
            return
        op_id = self._known(message)
        if op_id is None:
            return
        self._end(op_id)
        self._deliver({"errors": errors}, ref=op_id)
        first = errors[0] if errors else None
        said = first.get("message") if isinstance(first, dict) else first
        self._problem(
            f"GraphQL operation {op_id} failed: {clip(str(said))} (it is not subscribed "
            "again; fix the query or its variables and subscribe anew)"
        )

    def _on_complete(self, message: dict[str, Any]) -> None:
        op_id = self._known(message)
        if op_id is not None:
            self._end(op_id)

    def _known(self, message: dict[str, Any]) -> str | None:
        """The message's operation id if active; None (after a problem if never ours)."""
        op_id = message.get("id")
        if isinstance(op_id, str) and op_id in self._ops:
            return op_id
        if isinstance(op_id, str) and op_id.isdigit() and 0 < int(op_id) <= self._last_id:
            return None  # an operation we stopped: what was in flight is dropped
        self._problem(
            f"the GraphQL server sent {message.get('type')!r} for operation id "
            f"{clip(repr(op_id), 40)}, which this socket never started; ignored"
        )
        return None

    def _end(self, op_id: str) -> None:
        self._ops.pop(op_id, None)
        self._live.discard(op_id)
        self._unsent.discard(op_id)

    # -- for the Inspector and the history ---------------------------------------------

    def closed(self, code: int | None, reason: str) -> str | None:
        """What a graphql-transport-ws close code means (the server's reason included)."""
        meaning = CLOSE_MEANINGS.get(code) if code is not None else None
        if meaning is None:
            return None
        said = f" ({reason})" if reason else ""
        return f"the server closed with {code}{said}: {meaning}"

    def describe(self, data: str | bytes) -> str:
        """``subscribe id=1 query=subscription { count(to: 3) }``, ``next id=1 {...}``..."""
        try:
            text = describe_frame(data)
        except Exception as exc:  # never raises: the Inspector shows every frame
            text = f"GraphQL frame not understood ({type(exc).__name__})"
        return mask_text(text, self.secrets)

    def outgoing(self, data: str | bytes) -> str | None:
        """A ``subscribe``/``start`` frame's operation ``{"id", "query", ...}``; else None."""
        return operation_of(data)
