"""One direction of a captured connection, split: the HTTP head, then WebSocket frames.

Pure: no I/O. The wire tap (:mod:`.wiretap`) feeds it the bytes websockets
wrote or read, in whatever chunks they came.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .frames import DecodedFrame, IncompleteFrame, decode_frame

__all__ = ["MAX_HEAD", "FrameReader", "body_length", "split_http_head"]


@dataclass
class FrameReader:
    """Splits one direction of a captured byte stream into an HTTP head, then frames.

    ``feed()`` takes bytes as they were read or written (any chunking) and
    returns the frames completed so far. ``head`` holds the handshake
    request or response once complete. Each byte is scanned once: a head
    that arrives a byte at a time costs no more than one that arrives whole.
    A head (with the body it announces) longer than :data:`MAX_HEAD` bytes is
    cut there: what follows is read as frames.
    """

    expect_head: bool = True
    head: bytes | None = None
    _buffer: bytearray = field(default_factory=bytearray)
    _scanned: int = 0  # bytes of the buffer searched for the end of the head
    _head_end: int = 0  # where the head (and its body) ends, once its blank line was seen

    def feed(self, data: bytes) -> list[DecodedFrame]:
        self._buffer += data
        out: list[DecodedFrame] = []
        if self.expect_head and self.head is None:
            end = self._find_head()
            if end is None:
                return out
            self.head = bytes(self._buffer[:end])
            del self._buffer[:end]
        while self._buffer:
            try:
                frame = decode_frame(self._buffer)
            except IncompleteFrame:
                break
            del self._buffer[: len(frame.raw)]
            out.append(frame)
        return out

    def _find_head(self) -> int | None:
        buffer = self._buffer
        if not self._head_end:
            end = buffer.find(b"\r\n\r\n", max(0, self._scanned - 3))
            if end < 0:
                self._scanned = len(buffer)
                return MAX_HEAD if len(buffer) >= MAX_HEAD else None
            self._head_end = end + 4 + body_length(bytes(buffer[: end + 4]))
        end = min(self._head_end, MAX_HEAD)
        return end if len(buffer) >= end else None

    @property
    def pending(self) -> int:
        """Bytes received that do not yet form a whole head or frame."""
        return len(self._buffer)


MAX_HEAD = 64 * 1024  # websockets itself refuses heads over 8 kB lines or 128 headers
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_STATUS = re.compile(rb"HTTP/\d(?:\.\d)? (\d{3})")


def body_length(head: bytes) -> int:
    """Bytes of body that follow an HTTP head (without its body): its ``Content-Length``.

    Responses 1xx (such as ``101 Switching Protocols``), 204 and 304 have no
    body whatever their headers say (RFC 9110, 6.4.1): after a 101 come frames.
    """
    status = _STATUS.match(head)
    if status is not None and (status.group(1)[:1] == b"1" or status.group(1) in (b"204", b"304")):
        return 0
    m = _CONTENT_LENGTH.search(head)
    return int(m.group(1)) if m else 0


def split_http_head(data: bytes) -> tuple[bytes | None, bytes]:
    """``(head, rest)``: the HTTP request or response at the start of ``data`` and what follows.

    The head includes its body when ``Content-Length`` announces one (an
    error response explains itself there). ``(None, data)`` while incomplete.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None, data
    end += 4
    end += body_length(data[:end])
    if len(data) < end:
        return None, data
    return data[:end], data[end:]
