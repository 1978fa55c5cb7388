"""The messages of GraphQL over WebSocket: operation payloads, one-line descriptions.

Pure helpers of :mod:`.graphql` (the codec): no state, standard library only.
"""

from __future__ import annotations

import json
from typing import Any

from .base import dumps, masked

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
ACK_TIMEOUT = 10.0  # seconds from connection_init to connection_ack
PONG_TIMEOUT = 10.0  # seconds from our ping to any frame from the server
SHAPE = 'a GraphQL operation: a dict {"query": str, "variables"?: dict, "operationName"?: str}'
OPERATION_KEYS = ("query", "variables", "operationName", "extensions")
# graphql-transport-ws close codes (PROTOCOL.md): what each means, and what to do.
CLOSE_MEANINGS = {
    4400: "the server could not process a message (often a query with a syntax error); "
    "fix the query",
    4401: "unauthorized: a subscribe came before connection_ack (a client bug; please report)",
    4403: "forbidden: the server refused the connection_init payload; check init_payload= "
    "(a token?)",
    4406: "the server does not speak the subprotocol offered; try subprotocol='graphql-ws'",
    4408: "the server did not get connection_init in time",
    4409: "two operations with one id (a client bug; please report)",
    4429: "too many initialisation requests",
    4500: "the server failed (an internal error)",
}
SHOWN = 200  # characters of a payload shown in describe() and in problems


def clip(text: str, limit: int = SHOWN) -> str:
    """``text``, cut to ``limit`` characters (ending in an ellipsis if cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(query: str) -> str:
    """``query`` on one line (runs of whitespace as one space)."""
    return " ".join(query.split())


def operation(
    query: Any, variables: Any = None, operation_name: Any = None, extensions: Any = None
) -> dict[str, Any]:
    """The checked payload of a ``subscribe``/``start`` message.

    Raises:
        TypeError: a field has the wrong type (the text gives the expected shape).
        ValueError: ``query`` is blank.
    """
    if not isinstance(query, str):
        raise TypeError(f"the GraphQL query must be a str, not {type(query).__name__}: {SHAPE}")
    if not query.strip():
        raise ValueError("the GraphQL query is empty: pass e.g. 'subscription { count(to: 3) }'")
    if variables is not None and not isinstance(variables, dict):
        raise TypeError(f"GraphQL variables must be a dict, not {type(variables).__name__}")
    if operation_name is not None and not isinstance(operation_name, str):
        raise TypeError(f"operationName must be a str, not {type(operation_name).__name__}")
    if extensions is not None and not isinstance(extensions, dict):
        raise TypeError(f"GraphQL extensions must be a dict, not {type(extensions).__name__}")
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    if operation_name is not None:
        payload["operationName"] = operation_name
    if extensions is not None:
        payload["extensions"] = extensions
    try:  # a copy, and JSON now rather than an exception when it is written
        copy: dict[str, Any] = json.loads(json.dumps(payload, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"GraphQL variables must be JSON values (str, numbers...): {exc}") from None
    return copy


def sent_operation(value: Any) -> dict[str, Any]:
    """The checked payload of what ``send()`` was given (the JSON value).

    Raises:
        TypeError, ValueError: it is not a GraphQL operation (the text says what is).
    """
    if not isinstance(value, dict) or "query" not in value:
        raise TypeError(f"this socket sends {SHAPE}, not {clip(dumps(value), 80)}")
    extra = sorted(set(value) - set(OPERATION_KEYS))
    if extra:
        raise TypeError(f"unknown keys {extra} in a GraphQL operation: it is {SHAPE}")
    return operation(
        value["query"], value.get("variables"), value.get("operationName"),
        value.get("extensions"),
    )  # fmt: skip


def foreign_types(subprotocol: str) -> tuple[str, ...]:
    """Server message types of the other subprotocol (not valid on ``subprotocol``)."""
    if subprotocol == TRANSPORT_WS:
        return ("data", "ka", "connection_error")
    return ("next", "ping", "pong")


def describe_frame(data: str | bytes) -> str:
    """One frame's GraphQL message in a line, e.g. ``next id=1 {"data": {"count": 0}}``.

    ``connection_init`` payload strings show as ``***``. May raise on odd input (the
    codec catches it).
    """
    if isinstance(data, bytes):
        return f"binary frame ({len(data)} bytes): not a GraphQL message"
    try:
        message = json.loads(data)
    except ValueError:
        return f"not a GraphQL message (not JSON): {clip(data, 80)!r}"
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return f"not a GraphQL message (no 'type'): {clip(data, 80)}"
    kind: str = message["type"]
    parts = [kind]
    if "id" in message:
        parts.append(f"id={message['id']}")
    payload = message.get("payload")
    if kind == "connection_init" and "payload" in message:
        parts.append(f"payload={clip(dumps(masked(payload)))}")
    elif kind in ("subscribe", "start") and isinstance(payload, dict):
        parts.append(f"query={clip(one_line(str(payload.get('query'))))}")
        for key in ("variables", "operationName"):
            if key in payload:
                parts.append(f"{key}={clip(dumps(payload[key]), 80)}")
    elif "payload" in message:
        shown = dumps(payload)
        parts.append(shown if kind in ("next", "data", "error") else f"payload={shown}")
    return clip(" ".join(parts), 2 * SHOWN)


def operation_of(data: str | bytes) -> str | None:
    """The operation a ``subscribe``/``start`` frame starts, ``{"id", "query", ...}``; else None."""
    if isinstance(data, bytes):
        return None
    try:
        message = json.loads(data)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("type") not in ("subscribe", "start"):
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return None
    return dumps({"id": message.get("id"), **payload})
