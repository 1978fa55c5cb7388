"""MQTT topic names and filters (the rules for ``+`` and ``#``), and payloads as values.

Pure: used by :mod:`.mqtt_packets` and :mod:`.mqtt`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .base import parse_sent, strict_loads

__all__ = [
    "SHAPE",
    "check_filter",
    "check_text",
    "check_topic",
    "parse_message",
    "payload_bytes",
    "payload_value",
]

SHAPE = 'MQTT messages: {"topic": str, "payload": any, "qos"?: 0-2, "retain"?: bool}'


def check_text(text: str, what: str) -> bytes:
    """The UTF-8 bytes of an MQTT string field, else ValueError saying what is wrong."""
    if "\x00" in text:
        raise ValueError(f"the {what} {text!r} contains U+0000, which MQTT forbids")
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"the {what} {text!r} is not valid UTF-8 (a lone surrogate?)") from None
    if len(raw) > 65535:
        raise ValueError(f"the {what} is {len(raw)} bytes long; MQTT allows at most 65535")
    return raw


def check_topic(topic: str) -> str:
    """``topic`` if it is a valid topic name to publish to, else ValueError saying why."""
    if not isinstance(topic, str):
        raise TypeError(f"an MQTT topic is a str, not {type(topic).__name__}")
    if not topic:
        raise ValueError("an MQTT topic cannot be empty: give one such as 'sensors/t1'")
    check_text(topic, "topic")
    if "+" in topic or "#" in topic:
        raise ValueError(
            f"cannot publish to {topic!r}: '+' and '#' are wildcards, for subscriptions only"
        )
    return topic


def check_filter(topic_filter: str) -> str:
    """``topic_filter`` if it is a valid subscription filter, else ValueError saying why.

    ``+`` must fill a whole level (``a/+/c``); ``#`` must be the whole last level (``a/#``).
    """
    if not isinstance(topic_filter, str):
        raise TypeError(f"an MQTT topic filter is a str, not {type(topic_filter).__name__}")
    if not topic_filter:
        raise ValueError("an MQTT topic filter cannot be empty: give one such as 'sensors/#'")
    check_text(topic_filter, "topic filter")
    levels = topic_filter.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            raise ValueError(
                f"bad topic filter {topic_filter!r}: '#' must be a whole level and the last "
                "one (as in 'sensors/#')"
            )
        if "+" in level and level != "+":
            raise ValueError(
                f"bad topic filter {topic_filter!r}: '+' must fill a whole level "
                "(as in 'sensors/+/t')"
            )
    return topic_filter


def payload_value(payload: bytes) -> Any:
    """The JSON value of a payload if it parses as JSON, else its text, else ``{"base64": ...}``."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(payload).decode("ascii")}
    try:
        return strict_loads(text)
    except ValueError:
        return text


def payload_bytes(payload: Any) -> bytes:
    """What a payload becomes on the wire: bytes as is, str as UTF-8, anything else as JSON."""
    if isinstance(payload, (bytes, bytearray)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8")
    try:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise ValueError(
            "cannot publish NaN or infinity as JSON: replace them (e.g. with None) first"
        ) from None
    except TypeError:
        raise TypeError(
            f"cannot publish a {type(payload).__name__}: give bytes, str or a JSON value "
            "(dict, list, number, bool, None)"
        ) from None
    return text.encode("utf-8")


def parse_message(payload: str | bytes) -> tuple[str, Any, Any, bool]:
    """``(topic, payload, qos, retain)`` of what ``ws.send()`` was given (:data:`SHAPE`).

    A payload ``{"base64": "..."}`` (that key alone) becomes the bytes it encodes,
    as binary payloads are received. The topic and QoS are checked by ``publish``.

    Raises:
        TypeError: not a JSON object of that shape (the text shows the shape).
        ValueError: the base64 text does not decode.
    """
    value = parse_sent(payload, SHAPE)
    if not isinstance(value, dict) or not isinstance(value.get("topic"), str):
        raise TypeError(f"this socket sends {SHAPE}, not {str(payload)[:80]!r}")
    extra = set(value) - {"topic", "payload", "qos", "retain"}
    if extra or "payload" not in value:
        what = f"the unknown keys {sorted(extra)}" if extra else "no 'payload'"
        raise TypeError(f"this socket sends {SHAPE}; this one has {what}")
    retain, body = value.get("retain", False), value["payload"]
    if not isinstance(retain, bool):
        raise TypeError(f"'retain' is true or false, not {retain!r}")
    if isinstance(body, dict) and list(body) == ["base64"]:
        try:
            body = base64.b64decode(body["base64"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise ValueError("'payload': {'base64': ...} must hold base64 text") from None
    return value["topic"], body, value.get("qos", 0), retain
