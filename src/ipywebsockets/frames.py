"""WebSocket frames and the opening handshake, byte by byte, for teaching (RFC 6455).

Pure: no I/O, no asyncio, no widgets. :func:`encode_frame` builds the exact
bytes of a frame, :func:`decode_frame` reads them back field by field (with
the byte ranges a view highlights), :func:`problems` says in plain words what
makes a frame invalid, :class:`FrameReader` splits a captured byte stream
(handshake head first, then frames), :func:`accept_steps` shows how
``Sec-WebSocket-Accept`` is computed, and :data:`CLOSE_CODES` explains every
close code. Cross-checked in the tests against ``websockets.frames.Frame``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from dataclasses import dataclass, field

from .exceptions import WebSocketError

__all__ = [
    "CLOSE_CODES",
    "GUID",
    "OPCODES",
    "AcceptSteps",
    "DecodedFrame",
    "Field",
    "FrameError",
    "IncompleteFrame",
    "accept_steps",
    "apply_mask",
    "decode_frame",
    "encode_frame",
    "fragments",
    "parse_hex",
    "problems",
]

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OPCODES = {0x0: "continuation", 0x1: "text", 0x2: "binary", 0x8: "close", 0x9: "ping", 0xA: "pong"}
CONTROL = frozenset({0x8, 0x9, 0xA})

# code: (name, what it means, who sends it)
CLOSE_CODES: dict[int, tuple[str, str]] = {
    1000: ("normal closure", "the purpose of the connection is fulfilled; both sides are done"),
    1001: ("going away", "an endpoint leaves: a server shuts down, a browser leaves the page"),
    1002: ("protocol error", "an endpoint received a frame that breaks RFC 6455"),
    1003: ("unsupported data", "an endpoint got a kind of data it cannot accept (e.g. binary)"),
    1005: ("no status received", "never sent: the close frame carried no code"),
    1006: ("abnormal closure", "never sent: the TCP connection dropped without a close frame"),
    1007: ("invalid payload data", "a text message was not valid UTF-8, or similar"),
    1008: ("policy violation", "a message broke the server's policy (generic refusal)"),
    1009: ("message too big", "a message was larger than the endpoint accepts"),
    1010: ("mandatory extension", "the client needed an extension the server did not accept"),
    1011: ("internal error", "the server hit an unexpected condition (or a keepalive timed out)"),
    1012: ("service restart", "the server restarts; reconnect later"),
    1013: ("try again later", "the server is overloaded; reconnect later"),
    1014: ("bad gateway", "a gateway got an invalid response from upstream"),
    1015: ("TLS handshake failure", "never sent: the TLS handshake failed"),
}
_LENGTH_FORMS = ("7-bit", "16-bit", "64-bit")


class FrameError(WebSocketError, ValueError):
    """Bytes that cannot be read as a WebSocket frame (the message says why)."""


class IncompleteFrame(FrameError):
    """The bytes end before the frame does; ``needed`` says how many are missing."""

    def __init__(self, message: str, needed: int) -> None:
        super().__init__(message)
        self.needed = needed


@dataclass(frozen=True)
class Field:
    """One header field: its name, the byte range it occupies and its value in words."""

    name: str
    start: int
    end: int
    bits: str
    value: str


@dataclass(frozen=True)
class DecodedFrame:
    """One frame as it was on the wire, every field decoded."""

    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    opcode: int
    masked: bool
    length: int
    length_form: str
    mask_key: bytes | None
    raw: bytes  # the whole frame, header and (masked) payload
    header_size: int
    fields: tuple[Field, ...] = field(repr=False)

    @property
    def opcode_name(self) -> str:
        return OPCODES.get(self.opcode, f"reserved ({self.opcode:#x})")

    @property
    def wire_payload(self) -> bytes:
        """The payload as it travelled: masked when the frame is masked."""
        return self.raw[self.header_size :]

    @property
    def payload(self) -> bytes:
        """The payload after unmasking."""
        if self.mask_key is None:
            return self.wire_payload
        return apply_mask(self.wire_payload, self.mask_key)

    @property
    def is_control(self) -> bool:
        return self.opcode in CONTROL

    def close_code(self) -> tuple[int | None, str]:
        """For a close frame: the code and reason it carries (None, "" when empty)."""
        data = self.payload
        if len(data) < 2:
            return None, ""
        return struct.unpack("!H", data[:2])[0], data[2:].decode("utf-8", "replace")


def apply_mask(data: bytes, key: bytes) -> bytes:
    """XOR ``data`` with the 4-byte ``key`` repeated (masking and unmasking are the same)."""
    if len(key) != 4:
        raise FrameError(f"a masking key has 4 bytes, got {len(key)}")
    n = len(data)
    if n == 0:
        return b""
    big = int.from_bytes(data, "big") ^ int.from_bytes((key * (n // 4 + 1))[:n], "big")
    return big.to_bytes(n, "big")


def encode_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask_key: bytes | None = None,
) -> bytes:
    """The exact bytes of one frame; ``mask_key`` (4 bytes) masks it as a client must.

    Nothing is checked beyond what fits in the header: invalid frames can be
    built on purpose, and :func:`problems` explains them.
    """
    if not 0 <= opcode <= 0xF:
        raise FrameError(f"an opcode has 4 bits (0 to 15), got {opcode}")
    head1 = (fin << 7) | (rsv1 << 6) | (rsv2 << 5) | (rsv3 << 4) | opcode
    mask_bit = 0x80 if mask_key is not None else 0
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", head1, mask_bit | n)
    elif n < 65536:
        head = struct.pack("!BBH", head1, mask_bit | 126, n)
    else:
        head = struct.pack("!BBQ", head1, mask_bit | 127, n)
    if mask_key is None:
        return head + bytes(payload)
    return head + mask_key + apply_mask(bytes(payload), mask_key)


def decode_frame(data: bytes | bytearray) -> DecodedFrame:
    """Read the first frame in ``data`` (bytes after it are ignored; see ``len(frame.raw)``).

    Raises:
        IncompleteFrame: ``data`` ends before the frame does.
    """
    if len(data) < 2:
        raise IncompleteFrame(f"a frame starts with 2 header bytes; got {len(data)}", 2 - len(data))
    b0, b1 = data[0], data[1]
    opcode = b0 & 0x0F
    masked = bool(b1 & 0x80)
    short = b1 & 0x7F
    ext = {126: 2, 127: 8}.get(short, 0)
    pos = 2 + ext
    if len(data) < pos:
        raise IncompleteFrame(
            f"the 7-bit length {short} announces a {ext * 8}-bit extended length; "
            f"{pos - len(data)} more bytes needed",
            pos - len(data),
        )
    if ext == 2:
        length, form = struct.unpack("!H", data[2:4])[0], _LENGTH_FORMS[1]
    elif ext == 8:
        length, form = struct.unpack("!Q", data[2:10])[0], _LENGTH_FORMS[2]
    else:
        length, form = short, _LENGTH_FORMS[0]
    key = bytes(data[pos : pos + 4]) if masked else None
    header_size = pos + (4 if masked else 0)
    end = header_size + length
    if len(data) < end:
        raise IncompleteFrame(
            f"the header announces a {length}-byte payload; {end - len(data)} more bytes needed",
            end - len(data),
        )
    name = OPCODES.get(opcode, "reserved")
    fields = [
        Field(
            "FIN", 0, 1, f"{b0 >> 7:b}", "final frame of a message" if b0 & 0x80 else "more follow"
        ),
        Field("RSV1", 0, 1, f"{b0 >> 6 & 1:b}", "set (compressed)" if b0 & 0x40 else "0"),
        Field("RSV2", 0, 1, f"{b0 >> 5 & 1:b}", "set" if b0 & 0x20 else "0"),
        Field("RSV3", 0, 1, f"{b0 >> 4 & 1:b}", "set" if b0 & 0x10 else "0"),
        Field("opcode", 0, 1, f"{opcode:04b}", f"{opcode:#x} {name}"),
        Field("MASK", 1, 2, f"{b1 >> 7:b}", "masked" if masked else "not masked"),
        Field(
            "payload length", 1, 2, f"{short:07b}", f"{short}" if not ext else f"{short}: see next"
        ),
    ]
    if ext:
        fields.append(Field(f"extended length ({form})", 2, pos, "", str(length)))
    if key is not None:
        fields.append(Field("masking key", pos, pos + 4, "", key.hex(" ")))
    fields.append(Field("payload", header_size, end, "", f"{length} bytes"))
    return DecodedFrame(
        fin=bool(b0 & 0x80),
        rsv1=bool(b0 & 0x40),
        rsv2=bool(b0 & 0x20),
        rsv3=bool(b0 & 0x10),
        opcode=opcode,
        masked=masked,
        length=length,
        length_form=form,
        mask_key=key,
        raw=bytes(data[:end]),
        header_size=header_size,
        fields=tuple(fields),
    )


def problems(
    frame: DecodedFrame, *, from_client: bool | None = None, compressed: bool = False
) -> list[str]:
    """What makes ``frame`` invalid under RFC 6455, in plain words ([] when nothing does).

    Args:
        from_client: True for a client→server frame (must be masked), False for
            server→client (must not be), None when the direction is unknown.
        compressed: permessage-deflate was negotiated (RSV1 is then allowed).
    """
    out = []
    if frame.opcode not in OPCODES:
        out.append(
            f"opcode {frame.opcode:#x} is reserved (§5.2): only 0x0-0x2 and 0x8-0xA mean "
            "something; an endpoint that receives it must fail the connection (1002)"
        )
    if from_client is True and not frame.masked:
        out.append(
            "a client frame must be masked (§5.1): the MASK bit is 0; a server closes "
            "the connection with 1002 (protocol error)"
        )
    if from_client is False and frame.masked:
        out.append("a server frame must not be masked (§5.1): the MASK bit is 1")
    for bit, on in (("RSV1", frame.rsv1), ("RSV2", frame.rsv2), ("RSV3", frame.rsv3)):
        if on and not (bit == "RSV1" and compressed and frame.opcode in (0x1, 0x2)):
            out.append(
                f"{bit} is set but no negotiated extension gives it a meaning (§5.2)"
                + (
                    " (RSV1 marks a compressed message only with permessage-deflate)"
                    if bit == "RSV1"
                    else ""
                )
            )
    if frame.is_control:
        if frame.length > 125:
            out.append(
                f"a control frame ({frame.opcode_name}) carries at most 125 bytes (§5.5); "
                f"this one announces {frame.length}"
            )
        if not frame.fin:
            out.append(f"a control frame ({frame.opcode_name}) cannot be fragmented: FIN must be 1")
    payload = frame.payload
    if frame.opcode == 0x1 and frame.fin and not frame.rsv1:
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            out.append(
                f"a text frame must be valid UTF-8 (§8.1): byte {exc.start} "
                f"({payload[exc.start]:#04x}) is not; the receiver closes with 1007"
            )
    if frame.opcode == 0x8:
        if len(payload) == 1:
            out.append("a close payload is empty or starts with a 2-byte code; this one has 1 byte")
        elif len(payload) >= 2:
            code, _ = frame.close_code()
            assert code is not None
            if code in (1005, 1006, 1015) or code < 1000 or 1016 <= code < 3000 or code >= 5000:
                out.append(f"close code {code} may not be sent in a close frame (§7.4)")
            try:
                payload[2:].decode("utf-8")
            except UnicodeDecodeError:
                out.append("a close reason must be valid UTF-8 (§5.5.1)")
    return out


@dataclass(frozen=True)
class AcceptSteps:
    """How a server proves it read the key (RFC 6455 §4.2.2): one value per step."""

    key: str
    concatenated: str
    sha1_hex: str
    accept: str


def accept_steps(key: str) -> AcceptSteps:
    """``Sec-WebSocket-Key`` → ``Sec-WebSocket-Accept``: key + GUID, SHA-1, base64."""
    joined = key + GUID
    digest = hashlib.sha1(joined.encode("ascii")).digest()
    return AcceptSteps(key, joined, digest.hex(), base64.b64encode(digest).decode("ascii"))


_HEX_OK = re.compile(r"^[0-9a-fA-F]*$")


def parse_hex(text: str) -> bytes:
    """Bytes from hex such as ``"81 05 48 65"``, ``"0x81,0x05"`` or ``"8105"``.

    Raises:
        FrameError: the text is not hex, saying where.
    """
    cleaned = re.sub(r"0x|\\x|[\s,:;]", "", text.strip(), flags=re.IGNORECASE)
    if not _HEX_OK.match(cleaned):
        bad = next(c for c in cleaned if not c.isdigit() and c.lower() not in "abcdef")
        raise FrameError(f"{bad!r} is not a hex digit; write bytes as e.g. 81 05 48 65 6c 6c 6f")
    if len(cleaned) % 2:
        raise FrameError(
            f"{len(cleaned)} hex digits is an odd number: every byte needs two (e.g. 0a, not a)"
        )
    return bytes.fromhex(cleaned)


def fragments(opcode: int, payload: bytes, size: int | None) -> list[tuple[int, bytes, bool]]:
    """``(opcode, chunk, fin)`` for each frame of a message cut into ``size``-byte pieces.

    The first frame carries ``opcode``, the others are continuations (0x0);
    only the last has FIN set. ``size=None`` (or a payload that fits) gives one frame.
    """
    if size is None or size <= 0 or len(payload) <= size:
        return [(opcode, payload, True)]
    chunks = [payload[i : i + size] for i in range(0, len(payload), size)]
    return [(opcode if i == 0 else 0x0, c, i == len(chunks) - 1) for i, c in enumerate(chunks)]
