"""The wire tap: the real bytes of each connection, as websockets wrote and read them.

websockets' asyncio ``ClientConnection`` wraps a Sans-I/O ``ClientProtocol``:
every byte written to the socket comes out of ``protocol.data_to_send()``
and every byte read goes into ``protocol.receive_data()``. A :class:`Wiretap`
wraps those two methods on each new connection (through ``connect(...,
create_connection=tap.connection_class())``), so what it records is what
went over the socket: the HTTP Upgrade request and response first, then the
frames, split and decoded by :mod:`.frames`. It also wraps ``send_frame``
and ``recv_frame`` to learn each frame's payload before compression
(permessage-deflate), shown next to the compressed bytes.

A connection without a tap runs websockets' code untouched: the tap costs
nothing unless it is enabled. Frames are kept in a bounded buffer per
connection; what falls out is counted.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.client import ClientProtocol
from websockets.frames import Frame

from .direct import DirectConnection
from .frames import DecodedFrame, problems
from .wire import FrameReader

__all__ = ["Capture", "TappedFrame", "Wiretap"]


@dataclass(frozen=True)
class TappedFrame:
    """One frame seen on the wire, with its direction and when it passed."""

    seq: int
    direction: str  # "out" (client to server) or "in"
    time: float  # time.time()
    frame: DecodedFrame
    data: bytes | None  # the payload after extensions (decompressed), None when unchanged
    problems: tuple[str, ...]


def _size(frame: TappedFrame) -> int:
    return len(frame.frame.raw) + len(frame.data or b"")


@dataclass
class Capture:
    """One connection attempt: its handshake heads and its frames.

    It keeps the last ``keep`` frames that fit in ``max_bytes`` (raw and
    decompressed bytes); older ones, and any one frame larger than that, are
    counted in ``evicted``.
    """

    index: int
    started: float
    keep: int
    max_bytes: int = 16 * 2**20
    request_head: bytes | None = None
    response_head: bytes | None = None
    frames: deque[TappedFrame] = field(default_factory=deque)
    evicted: int = 0
    count: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    compressed: bool = False
    kept_bytes: int = 0

    def __post_init__(self) -> None:
        self.frames = deque(maxlen=self.keep)


Listener = Callable[["Capture", "TappedFrame | None"], None]


class Wiretap:
    """Records the bytes of every connection opened with :meth:`connection_class`.

    Args:
        keep: frames kept per connection (older ones are evicted and counted).
        connections: connection attempts kept (a reconnect makes a new one).
        max_bytes: bytes of frames kept per connection, at most (16 MiB): with
            1 MiB messages, 2,000 frames would be 2 GB for each connection.
    """

    def __init__(self, keep: int = 2000, connections: int = 5, max_bytes: int = 16 * 2**20) -> None:
        self.keep = keep
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self.captures: deque[Capture] = deque(maxlen=connections)
        self._listeners: list[Listener] = []
        self._index = 0

    @property
    def current(self) -> Capture | None:
        """The latest connection attempt, or None before the first."""
        with self.lock:
            return self.captures[-1] if self.captures else None

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(capture, frame)`` on each frame (frame=None: a new handshake head).

        Called on the I/O thread, under no lock: it must be quick.
        """
        with self.lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self.lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def connection_class(self) -> type[ClientConnection]:
        """A ``ClientConnection`` subclass that taps each instance, for ``create_connection=``."""
        tap = self

        class TappedClientConnection(DirectConnection):
            def __init__(self, protocol: ClientProtocol, **kwargs: Any) -> None:
                super().__init__(protocol, **kwargs)
                tap.attach(protocol)

        return TappedClientConnection

    def attach(self, protocol: ClientProtocol) -> Capture:
        """Start recording a protocol that has not sent or read anything yet."""
        with self.lock:
            self._index += 1
            capture = Capture(self._index, time.time(), self.keep, self.max_bytes)
            self.captures.append(capture)
        _Tap(self, capture, protocol)
        return capture

    def _emit(self, capture: Capture, frame: TappedFrame | None) -> None:
        with self.lock:
            if frame is not None:
                capture.count += 1
                size = _size(frame)
                frames = capture.frames
                while frames and (
                    len(frames) == frames.maxlen or capture.kept_bytes + size > capture.max_bytes
                ):
                    capture.kept_bytes -= _size(frames.popleft())
                    capture.evicted += 1
                if size <= capture.max_bytes:
                    frames.append(frame)
                    capture.kept_bytes += size
                else:
                    capture.evicted += 1  # too large to keep even alone
            listeners = list(self._listeners)
        for listener in listeners:
            listener(capture, frame)


class _Tap:
    """The wrappers around one protocol's four methods."""

    def __init__(self, tap: Wiretap, capture: Capture, protocol: ClientProtocol) -> None:
        self.tap = tap
        self.capture = capture
        self.protocol = protocol
        self.readers = {"out": FrameReader(), "in": FrameReader()}
        # Frames before extensions, in the order they were sent or parsed.
        self.logical: dict[str, deque[Frame]] = {"out": deque(), "in": deque()}
        send_frame, recv_frame = protocol.send_frame, protocol.recv_frame
        data_to_send, receive_data = protocol.data_to_send, protocol.receive_data

        def tapped_send_frame(frame: Frame) -> None:
            self.logical["out"].append(frame)
            send_frame(frame)

        def tapped_recv_frame(frame: Frame) -> None:
            self.logical["in"].append(frame)
            recv_frame(frame)

        def tapped_data_to_send() -> list[bytes]:
            chunks = data_to_send()
            for chunk in chunks:
                if chunk:
                    self.capture.bytes_out += len(chunk)
                    self._wire("out", chunk)
            return chunks

        def tapped_receive_data(data: bytes | bytearray) -> None:
            receive_data(data)  # parses first: recv_frame() sees the frames this data completes
            self.capture.bytes_in += len(data)
            self._wire("in", bytes(data))

        # Instance attributes shadow the methods: websockets looks them up on each call.
        protocol.send_frame = tapped_send_frame  # type: ignore[method-assign]
        protocol.recv_frame = tapped_recv_frame  # type: ignore[method-assign]
        protocol.data_to_send = tapped_data_to_send  # type: ignore[method-assign]
        protocol.receive_data = tapped_receive_data  # type: ignore[method-assign]

    def _wire(self, direction: str, data: bytes) -> None:
        reader = self.readers[direction]
        had_head = reader.head is not None
        frames = reader.feed(data)
        capture = self.capture
        if not had_head and reader.head is not None:
            if direction == "out":
                capture.request_head = reader.head
            else:
                capture.response_head = reader.head
                capture.compressed = any(
                    e.name == "permessage-deflate" for e in self.protocol.extensions
                )
            self.tap._emit(capture, None)
        logical = self.logical[direction]
        for decoded in frames:
            plain = logical.popleft() if logical else None
            data_after = None
            if plain is not None and bytes(plain.data) != decoded.payload:
                data_after = bytes(plain.data)
            found = problems(decoded, from_client=direction == "out", compressed=capture.compressed)
            self.tap._emit(
                capture,
                TappedFrame(
                    capture.count + 1, direction, time.time(), decoded, data_after, tuple(found)
                ),
            )
