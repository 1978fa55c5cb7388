"""STOMP 1.2 frames as bytes: encoding, header escaping and a streaming parser.

Pure and Sans-I/O, used by :mod:`.stomp`. A STOMP frame is::

    COMMAND EOL
    name:value EOL        (zero or more headers)
    EOL
    body NUL              (content-length octets if that header is given)
    EOL*                  (optional; EOLs between frames are heart-beats)

EOL is ``\\n`` or ``\\r\\n``. Header names and values are escaped in every
frame but CONNECT, STOMP and CONNECTED (``\\r`` ``\\n`` ``:`` ``\\`` as
``\\r`` ``\\n`` ``\\c`` ``\\\\``); of repeated headers the first one counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import ProtocolError, strict_loads

__all__ = [
    "HEART_BEAT",
    "NOT_ESCAPED",
    "Frame",
    "HeartBeat",
    "Malformed",
    "body_value",
    "describe_octets",
    "encode",
    "escape",
    "next_item",
    "octets",
    "text_field",
    "unescape",
    "unescaped_field",
]

#: Commands whose headers are never escaped (spec: "Value Encoding").
NOT_ESCAPED = frozenset({"CONNECT", "STOMP", "CONNECTED"})
#: Every command of STOMP 1.2, client and server frames.
COMMANDS = frozenset(
    {
        "CONNECT", "STOMP", "CONNECTED", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK",
        "BEGIN", "COMMIT", "ABORT", "DISCONNECT", "MESSAGE", "RECEIPT", "ERROR",
    }
)  # fmt: skip

PREVIEW = 120  # characters of a body in describe_octets()

_ESCAPES = {"\\": "\\\\", "\r": "\\r", "\n": "\\n", ":": "\\c"}
_UNESCAPES = {"\\": "\\", "r": "\r", "n": "\n", "c": ":"}


@dataclass(frozen=True)
class Frame:
    """One STOMP frame: its command, headers (in order, repeats kept) and body octets."""

    command: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first value of header ``name`` (STOMP 1.2: the first of repeats counts)."""
        for key, value in self.headers:
            if key == name:
                return value
        return default

    def header_dict(self) -> dict[str, str]:
        """The headers as a dict, the first of repeated names kept."""
        found: dict[str, str] = {}
        for key, value in self.headers:
            found.setdefault(key, value)
        return found

    def text(self) -> str:
        """The body as text (UTF-8; bytes that are not UTF-8 become U+FFFD)."""
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class HeartBeat:
    """An EOL between frames: the peer is alive."""


@dataclass(frozen=True)
class Malformed:
    """Octets that are not a STOMP frame. ``fatal``: where the next frame starts is unknown."""

    reason: str
    fatal: bool


HEART_BEAT = HeartBeat()
Item = Frame | HeartBeat | Malformed


def escape(value: str) -> str:
    """``value`` with STOMP 1.2's header escapes (backslash, CR, LF, colon)."""
    return "".join(_ESCAPES.get(char, char) for char in value)


def unescape(value: str) -> str:
    """The header text ``value`` stands for; raises ProtocolError on an undefined escape."""
    if "\\" not in value:
        return value
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        code = next(chars, "")
        if code not in _UNESCAPES:
            raise ProtocolError(
                f"undefined escape \\{code} in a header (STOMP 1.2 has \\r \\n \\c \\\\)"
            )
        out.append(_UNESCAPES[code])
    return "".join(out)


def encode(command: str, headers: list[tuple[str, str]], body: str = "") -> str:
    """The text of a frame (headers escaped unless ``command`` is CONNECT/CONNECTED).

    A ``content-length`` header (UTF-8 octets of ``body``) is added to frames
    with a body, so a body may hold NUL.
    """
    esc = (lambda v: v) if command in NOT_ESCAPED else escape
    lines = [command, *(f"{esc(k)}:{esc(v)}" for k, v in headers)]
    if body:
        lines.append(f"content-length:{len(body.encode('utf-8'))}")
    return "\n".join(lines) + "\n\n" + body + "\x00"


def text_field(value: object, what: str) -> str:
    """``value`` if it is a non-empty str, else a TypeError naming ``what``."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"{what} must be a non-empty str, not {value!r}"[:200])
    return value


def unescaped_field(value: str | None, what: str) -> str | None:
    """``value`` if it can go into a CONNECT header (never escaped), else a ValueError."""
    if value is not None and (not isinstance(value, str) or any(c in value for c in "\r\n\0")):
        raise ValueError(
            f"{what} must be a str without CR, LF or NUL (CONNECT headers are not escaped)"
        )
    return value


def octets(data: str | bytes) -> bytes:
    """A WebSocket message as octets (text as UTF-8)."""
    return data.encode("utf-8", errors="replace") if isinstance(data, str) else bytes(data)


def _line(buf: bytes, pos: int) -> tuple[bytes, int] | None:
    """The line at ``pos`` without its EOL, and where the next begins (None: no EOL yet)."""
    end = buf.find(b"\n", pos)
    if end < 0:
        return None
    line = buf[pos:end]
    return (line[:-1] if line.endswith(b"\r") else line), end + 1


def _skip_frame(buf: bytes, pos: int, reason: str) -> tuple[Item, int] | None:
    """A Malformed item for the frame at ``pos``, skipping to its NUL (None: no NUL yet)."""
    nul = buf.find(b"\x00", pos)
    if nul < 0:
        return None
    return Malformed(reason, fatal=False), nul + 1


def next_item(buf: bytes, pos: int = 0) -> tuple[Item, int] | None:
    """The heart-beat or frame at ``buf[pos:]`` and the position after it.

    None if the octets there are only the start of a frame (wait for more).
    A frame that is not STOMP is a :class:`Malformed` item, skipped up to its
    NUL; one whose content-length is not followed by NUL is fatal (the
    stream cannot be followed any further).
    """
    if buf.startswith(b"\n", pos):
        return HEART_BEAT, pos + 1
    if buf.startswith(b"\r\n", pos):
        return HEART_BEAT, pos + 2
    if buf.startswith(b"\r", pos) and len(buf) == pos + 1:
        return None
    first = _line(buf, pos)
    if first is None:
        if b"\x00" in buf[pos:]:
            return _skip_frame(buf, pos, "a NUL before the end of the command line")
        return None
    raw_command, at = first
    try:
        command = raw_command.decode("utf-8")
    except UnicodeDecodeError:
        return _skip_frame(buf, pos, "a command that is not UTF-8 text")
    if command not in COMMANDS:
        return _skip_frame(buf, pos, f"unknown command {command[:40]!r}")
    headers: list[tuple[str, str]] = []
    while True:
        got = _line(buf, at)
        if got is None:
            if b"\x00" in buf[at:]:
                return _skip_frame(buf, pos, f"{command}: a NUL inside the headers")
            return None
        raw, at = got
        if not raw:
            break
        try:
            name, sep, value = raw.decode("utf-8").partition(":")
            if not sep:
                return _skip_frame(buf, pos, f"{command}: a header line without ':'")
            if command not in NOT_ESCAPED:
                name, value = unescape(name), unescape(value)
        except (UnicodeDecodeError, ProtocolError) as exc:
            reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
            return _skip_frame(buf, pos, f"{command}: a header that is {reason}")
        headers.append((name, value))
    frame_headers = tuple(headers)
    length_text = Frame(command, frame_headers, b"").header("content-length")
    if length_text is None:
        nul = buf.find(b"\x00", at)
        if nul < 0:
            return None
        return Frame(command, frame_headers, buf[at:nul]), nul + 1
    if not length_text.isascii() or not length_text.isdigit():
        return _skip_frame(buf, at, f"{command}: content-length {length_text[:20]!r} is no number")
    length = int(length_text)
    if len(buf) < at + length + 1:
        return None
    if buf[at + length] != 0:
        reason = f"{command}: no NUL after its content-length of {length} octets"
        return Malformed(reason, fatal=True), len(buf)
    return Frame(command, frame_headers, buf[at : at + length]), at + length + 1


def body_value(frame: Frame) -> Any:
    """A SEND/MESSAGE body: its JSON value (JSON content-type, or none and it parses), else text."""
    text = frame.text()
    kind = (frame.header("content-type") or "").split(";")[0].strip().lower()
    if kind and kind != "application/json" and not kind.endswith("+json"):
        return text
    try:
        return strict_loads(text)
    except (ValueError, RecursionError):
        return text


def _preview(frame: Frame) -> str:
    text = frame.text().replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= PREVIEW else text[:PREVIEW] + "..."


def describe_octets(buf: bytes) -> str:
    """The frames and heart-beats in ``buf`` (one WebSocket message) on one line."""
    parts: list[str] = []
    pos, after_frame = 0, False
    while pos < len(buf):
        got = next_item(buf, pos)
        if got is None:
            parts.append(f"part of a STOMP frame ({len(buf) - pos} octets, no end yet)")
            break
        item, pos = got
        if isinstance(item, HeartBeat):
            if not after_frame and (not parts or parts[-1] != "heart-beat"):
                parts.append("heart-beat")
        elif isinstance(item, Malformed):
            parts.append(f"not a STOMP frame: {item.reason}")
        else:
            parts.append(_describe_frame(item))
        after_frame = isinstance(item, Frame) or (after_frame and isinstance(item, HeartBeat))
    return "; ".join(parts) or "empty message"


def _describe_frame(frame: Frame) -> str:
    headers = frame.header_dict()
    masked = {"login", "passcode"} if frame.command in ("CONNECT", "STOMP") else set()
    words = [frame.command]
    shown = headers
    if frame.command in ("SUBSCRIBE", "UNSUBSCRIBE"):
        words.append(f"id={headers.pop('id', '?')}")
        if headers.get("ack") == "auto":
            headers.pop("ack")
    if frame.command in ("SUBSCRIBE", "SEND", "MESSAGE"):
        words.append(headers.pop("destination", "?"))
        shown = {} if frame.command == "MESSAGE" else headers
        shown.pop("content-type", None)
    shown.pop("content-length", None)
    if frame.command == "CONNECTED":  # what was negotiated first
        shown = {k: shown.pop(k) for k in ("version", "heart-beat") if k in shown} | shown
    words += [f"{k}={'***' if k in masked else v}" for k, v in shown.items()]
    if frame.body:
        words.append(_preview(frame))
    return " ".join(words)
