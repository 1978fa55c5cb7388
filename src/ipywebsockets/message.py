"""Messages: what travels over a WebSocket, as plain immutable values.

Pure: no I/O, no threads, no widgets.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

# Optional (pip install ipywebsockets[fast]): several times faster than json for small
# text. IPYWEBSOCKETS_NO_ORJSON=1 does without it (the test suite runs both ways).
try:
    if os.environ.get("IPYWEBSOCKETS_NO_ORJSON"):
        raise ImportError("IPYWEBSOCKETS_NO_ORJSON is set")
    import orjson as _orjson
except ImportError:  # the standard library does the same, slower
    _orjson = None  # type: ignore[assignment]
# The orjson module in use, or None (the protocol codecs follow the same switch).
ORJSON: Any = _orjson

__all__ = ["Direction", "Kind", "Message", "encode_outgoing", "loads", "preview"]

Direction = Literal["in", "out"]
Kind = Literal["text", "binary"]

_PREVIEW_CHARS = 500
_PREVIEW_BYTES = 48


@dataclass(frozen=True, slots=True)
class Message:
    """One WebSocket message, incoming or outgoing.

    Attributes:
        seq: position in this socket's stream (incoming and outgoing share it), from 1.
        time: when it was received or sent, in seconds since the epoch.
        direction: ``"in"`` (from the server) or ``"out"`` (sent by us).
        kind: ``"text"`` or ``"binary"``.
        data: ``str`` for text messages, ``bytes`` for binary ones.
        size: the payload size in bytes (UTF-8 length for text).
    """

    seq: int
    time: float
    direction: Direction
    kind: Kind
    data: str | bytes
    size: int

    @classmethod
    def make(cls, seq: int, time: float, direction: Direction, data: str | bytes) -> Message:
        """Build a message from raw data, deriving its kind and size."""
        if isinstance(data, str):
            # len() of the UTF-8 encoding; ASCII (the common case) skips the encode.
            size = len(data) if data.isascii() else len(data.encode("utf-8", "surrogatepass"))
            kind: Kind = "text"
        else:
            data, size, kind = bytes(data), len(data), "binary"
        if cls is not Message:  # a subclass gets its own __init__ and __post_init__
            return cls(seq, time, direction, kind, data, size)
        # The hot path (every message): the slots set directly, as the frozen
        # dataclass's __init__ does through object.__setattr__, at half its cost.
        msg = _new(Message)
        _set_seq(msg, seq)
        _set_time(msg, time)
        _set_direction(msg, direction)
        _set_kind(msg, kind)
        _set_data(msg, data)
        _set_size(msg, size)
        return msg

    def text(self) -> str:
        """The payload as text (binary payloads are decoded as UTF-8, bad bytes replaced)."""
        if isinstance(self.data, str):
            return self.data
        return self.data.decode("utf-8", "replace")

    def json(self) -> Any:
        """The payload parsed as JSON.

        Raises:
            ValueError: the payload is not valid JSON; the message names this message.
        """
        value = fast_loads(self.data)
        if value is not SLOW:
            return value
        try:
            return loads(self.data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"message #{self.seq} ({self.direction}, {self.kind}, {self.size} bytes) "
                f"is not JSON: {exc}; its start is {_short(self.text())!r}"
            ) from exc

    def value(self) -> Any:
        """The payload's value when it is strict JSON, else its text.

        Strict: ``NaN`` and ``Infinity`` (which Python's parser accepts) make it
        text, so the value can always travel to the browser as JSON.
        """
        if isinstance(self.data, str):
            value = fast_loads(self.data)  # strict already: no NaN or Infinity
            if value is not SLOW:
                return value
            try:
                return loads(self.data, strict=True)
            except ValueError:
                return self.data
        return self.text()

    def __repr__(self) -> str:
        return (
            f"Message(seq={self.seq}, direction={self.direction!r}, kind={self.kind!r}, "
            f"size={self.size}, data={_short(self.data)!r})"
        )


_new = object.__new__
_set_seq, _set_time, _set_direction, _set_kind, _set_data, _set_size = (
    Message.__dict__[name].__set__ for name in ("seq", "time", "direction", "kind", "data", "size")
)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(data: str | bytes, strict: bool = False) -> Any:
    """``json.loads(data)``, where nesting too deep to decode is a ``ValueError`` too.

    The standard library raises ``RecursionError`` for JSON nested deeper than
    the interpreter's recursion limit allows (about 1,000 levels of ``[``): such
    text is not decodable JSON, and saying so keeps the stream going. ``strict``
    refuses ``NaN`` and ``Infinity``.

    Raises:
        ValueError: not JSON, or nested too deeply.
    """
    try:
        if strict:
            return json.loads(data, parse_constant=_refuse_constant)
        return json.loads(data)
    except RecursionError:
        raise ValueError(
            "nested too deeply to decode (about 1,000 levels of [ or {); "
            "read it with .text() instead"
        ) from None


def _short(data: str | bytes, limit: int = 60) -> str | bytes:
    if len(data) <= limit:
        return data
    if isinstance(data, str):
        return data[:limit] + "…"
    return data[:limit] + b"..."


SLOW = object()
# orjson reads integers beyond 64 bits as floats; Python keeps them exact.
_LONG_DIGITS = re.compile(r"[0-9]{19}")
_DIGITS = b"0123456789"


def fast_loads(data: str | bytes) -> Any:
    """``data`` decoded by orjson when installed and sure to agree with ``json.loads``, else SLOW.

    Whatever orjson refuses (NaN, Infinity, lone surrogates, bad JSON) and text
    with long digit runs go to the standard library, which decides (and says why).
    """
    if _orjson is None:
        return SLOW
    # A run of 19 digits needs 19 digits: counting them (in C) is 5x cheaper than the search.
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) - len(raw.translate(None, _DIGITS)) >= 19 and _LONG_DIGITS.search(
        data if isinstance(data, str) else str(data)
    ):
        return SLOW
    try:
        return _orjson.loads(data)
    except _orjson.JSONDecodeError:
        return SLOW


def _compact(text: str) -> tuple[str, bool]:
    """JSON text re-encoded compact, and True; the text itself and False when it is not JSON."""
    if _orjson is not None:
        try:
            compact: str | None = _orjson.dumps(_orjson.loads(text)).decode()
        except (_orjson.JSONDecodeError, _orjson.JSONEncodeError):
            compact = None
        if compact == text:
            # Already compact (the common case). A big integer read as a float would
            # not print the same, so no digit check is needed here.
            return text, True
        if compact is not None and not _LONG_DIGITS.search(text):
            return compact, True
    try:
        return json.dumps(loads(text), separators=(",", ":"), ensure_ascii=False), True
    except (ValueError, RecursionError):  # dumps may recurse deeper than loads did
        return text, False


def _compact_value(text: str, value: Any) -> str:
    """``text`` (strict JSON that decoded to ``value``) compact, as :func:`_compact` makes it."""
    if _orjson is not None:
        try:
            if _orjson.dumps(value).decode() == text:
                return text  # already compact: the common case, one dump and no parse
        except _orjson.JSONEncodeError:  # an integer beyond 64 bits
            pass
        return _compact(text)[0]
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except RecursionError:  # decoded, but too deep to encode again from this stack
        return text


def encode_outgoing(value: object) -> str | bytes:
    """Turn what a user passes to ``send()`` into a WebSocket payload.

    ``str`` is sent as text, ``bytes``/``bytearray``/``memoryview`` as binary,
    ``dict``/``list`` (and other JSON values: numbers, booleans, ``None``) as
    JSON text.

    Raises:
        TypeError: the value is none of these, or holds something JSON cannot encode.
        ValueError: text that is not valid Unicode (a lone surrogate such as
            ``"\\ud800"``): WebSocket text must be UTF-8.
    """
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(
                    f"cannot send this text: {value[exc.start]!r} at index {exc.start} is a lone "
                    "surrogate, which UTF-8 (and so a WebSocket text message) cannot carry; "
                    "fix the text, or send it as JSON (a dict or list escapes it)"
                ) from None
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (dict, list, tuple, int, float, bool)) or value is None:
        try:
            return json.dumps(value, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"cannot send {type(value).__name__} as JSON: {exc}; "
                "convert it to str, bytes or plain JSON values first"
            ) from exc
    raise TypeError(
        f"cannot send a {type(value).__name__}: send() takes str (text), bytes (binary) "
        "or a dict/list of JSON values (sent as JSON text)"
    )


def preview(
    msg: Message, limit: int = _PREVIEW_CHARS, parse: Callable[[Message], Any] = Message.value
) -> tuple[str, bool]:
    """A one-line text preview of a message for the live view, and whether it is JSON.

    JSON is shown compact, binary as a hex dump of its first bytes. ``parse``
    gives the message's value (a caller that parsed it already passes its own).
    """
    if isinstance(msg.data, bytes):
        head = msg.data[:_PREVIEW_BYTES].hex(" ")
        more = len(msg.data) - _PREVIEW_BYTES
        return (f"{head} … (+{more} bytes)" if more > 0 else head), False
    text = msg.data
    is_json = False
    if len(text) <= 20 * limit and text[:1] in ("{", "["):
        value = parse(msg)
        if isinstance(value, (dict, list)):
            text, is_json = _compact_value(text, value), True
        else:  # not strict JSON (NaN, Infinity) or not JSON: as the standard library reads it
            text, is_json = _compact(text)
    if len(text) > limit:
        text = text[:limit] + f"… (+{len(text) - limit} chars)"
    return text, is_json
