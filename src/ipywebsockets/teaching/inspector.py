"""Every frame on the wire, both directions, its header decoded bit by bit."""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Any

import traitlets

from ..frames import CLOSE_CODES, DecodedFrame
from ..wiretap import Capture, TappedFrame
from ._base import TeachingWidget

if TYPE_CHECKING:
    from ..widget import WebSocket

__all__ = ["Inspector", "frame_info"]

_SHOW_BYTES = 64  # bytes of payload shown in hex per frame
_SHOW_CHARS = 300  # characters of text shown per frame or message
_MESSAGE_MAX = 64 * 1024  # a fragmented message is reassembled up to this size


def _text(data: bytes) -> str:
    text = data[: _SHOW_CHARS * 4].decode("utf-8", "replace")
    return text[:_SHOW_CHARS] + ("…" if len(text) > _SHOW_CHARS else "")


def frame_info(frame: DecodedFrame, **extra: Any) -> dict[str, Any]:
    """A frame as plain JSON for a view: header fields, bytes in hex, payload text."""
    payload = frame.payload
    info: dict[str, Any] = {
        "fin": frame.fin,
        "rsv": [frame.rsv1, frame.rsv2, frame.rsv3],
        "opcode": frame.opcode,
        "opname": frame.opcode_name,
        "masked": frame.masked,
        "length": frame.length,
        "length_form": frame.length_form,
        "mask_key": frame.mask_key.hex(" ") if frame.mask_key else "",
        "header": frame.raw[: frame.header_size].hex(" "),
        "wire": frame.wire_payload[:_SHOW_BYTES].hex(" "),
        "payload_hex": payload[:_SHOW_BYTES].hex(" "),
        "more": max(0, frame.length - _SHOW_BYTES),
        # A compressed payload is not text until inflated (shown as "inflated" instead).
        "text": _text(payload) if frame.opcode in (0x0, 0x1, 0x9, 0xA) and not frame.rsv1 else "",
        "fields": [[f.name, f.start, f.end, f.bits, f.value] for f in frame.fields],
    }
    if frame.opcode == 0x8:
        code, reason = frame.close_code()
        name = CLOSE_CODES.get(code, ("",))[0] if code is not None else "no code"
        info["close"] = [code, reason, name]
    info.update(extra)
    return info


def _mask_hex(shown: str, payload: bytes, secret: bytes) -> str:
    """``shown`` (``payload``'s first bytes in hex) with the bytes of ``secret`` as ``**``."""
    pieces = shown.split(" ") if shown else []
    start = payload.find(secret)
    while start >= 0 and start < len(pieces):
        for i in range(start, min(start + len(secret), len(pieces))):
            pieces[i] = "**"
        start = payload.find(secret, start + 1)
    return " ".join(pieces)


def protocol_fields(
    info: dict[str, Any], payload: bytes, inflated: bytes, message: bytes | None, codec: Any
) -> None:
    """Add the packet a frame carried (``codec.describe``) and mask the codec's secrets.

    ``payload``: the frame's payload as sent (compressed, if it was); ``inflated``: as
    the codec read it; ``message``: the whole message when this frame ends one, else
    None. A compressed frame that holds a secret has all its bytes masked (they could
    be inflated).
    """
    for secret in (s for s in codec.secrets if s):
        text = secret.decode("utf-8", "replace")
        for key in ("wire", "payload_hex"):
            if secret in payload:
                info[key] = _mask_hex(info[key], payload, secret)
            elif secret in inflated and info[key]:
                info[key] = " ".join("**" for _ in info[key].split(" "))
        for holder, key in ((info, "text"), (info, "inflated"), (info.get("message"), "text")):
            if holder and isinstance(holder.get(key), str):
                holder[key] = holder[key].replace(text, "***")
    if message is not None:
        data: str | bytes = message
        if info["opcode"] == 0x1 or info.get("message_opcode") == 0x1:
            data = message.decode("utf-8", "replace")
        info["packet"] = codec.describe(data)


class Inspector(TeachingWidget):
    """Every frame of a kernel-mode WebSocket, as it went over the socket.

    ``Inspector(ws)`` enables the wire tap of ``ws``; frames appear from the
    next connection on, so create the socket with ``inspect=True`` (or
    ``connect=False`` and call ``ws.connect()`` after this). The view gets at
    most ``max_fps`` batches a second of at most ``rows`` frames; frames that
    did not fit are counted in ``skipped``, and ``evicted`` counts frames the
    kernel no longer keeps (``keep`` per connection).
    """

    url = traitlets.Unicode("").tag(sync=True)
    attempt = traitlets.Int(0).tag(sync=True)
    frames_seen = traitlets.Int(0).tag(sync=True)
    skipped = traitlets.Int(0).tag(sync=True)
    evicted = traitlets.Int(0).tag(sync=True)
    bytes_out = traitlets.Int(0).tag(sync=True)
    bytes_in = traitlets.Int(0).tag(sync=True)
    compressed = traitlets.Bool(False).tag(sync=True)
    rows = traitlets.Int(200).tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)
    last_rtt = traitlets.Float(None, allow_none=True).tag(sync=True)
    close_code = traitlets.Int(None, allow_none=True).tag(sync=True)

    def __init__(self, ws: WebSocket, *, rows: int = 200, keep: int = 2000, **kwargs: Any) -> None:
        self._ws = ws
        self._tap = ws.inspect(keep)
        # A protocol socket's codec (feeds/): each frame's packet, its secrets masked.
        self._codec = getattr(ws, "codec", None)
        self._pending: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._fragments: dict[str, list[bytes]] = {"out": [], "in": []}
        self._skipped = 0
        note = ""
        if self._tap.current is None and ws.status in ("open", "closing"):
            note = (
                "this connection opened before the inspector: its frames are not on record. "
                "Frames appear from the next connection: ws.close(); ws.connect(), or create "
                "the WebSocket with inspect=True"
            )
        super().__init__(_view="inspector", url=ws.url, rows=rows, note=note, **kwargs)
        self._tap.add_listener(self._on_tap)
        ws.observe(self._on_ws, names=["close_code"])

    @property
    def frames(self) -> list[TappedFrame]:
        """The frames the kernel keeps for the latest connection, oldest first."""
        capture = self._tap.current
        if capture is None:
            return []
        with self._tap.lock:
            return list(capture.frames)

    def _on_ws(self, change: dict[str, Any]) -> None:
        self._mark_dirty()

    def _on_tap(self, capture: Capture, tapped: TappedFrame | None) -> None:
        if tapped is None:
            if capture.response_head is None:  # a new connection: the view starts afresh
                with self._lock:
                    self._pending.append({"reset": capture.index})
                self._fragments = {"out": [], "in": []}  # only this (I/O) thread uses it
            self._mark_dirty()  # the response head too: it clears the note
            return
        info = self._info(tapped, self._fragments, self._codec)
        with self._lock:
            self._pending.append(info)
            while len(self._pending) > self.rows:
                if "reset" not in self._pending.popleft():
                    self._skipped += 1
        self._mark_dirty()

    @staticmethod
    def _info(
        tapped: TappedFrame, fragments: dict[str, list[bytes]], codec: Any = None
    ) -> dict[str, Any]:
        frame = tapped.frame
        data = tapped.data if tapped.data is not None else frame.payload
        extra: dict[str, Any] = {
            "seq": tapped.seq,
            "dir": tapped.direction,
            "time": tapped.time,
            "problems": list(tapped.problems),
        }
        if tapped.data is not None:
            extra["inflated"] = _text(tapped.data)
            extra["inflated_length"] = len(tapped.data)
        # Fragmented messages: the frames, then the message they add up to.
        parts = fragments[tapped.direction]
        whole: bytes | None = data if frame.opcode in (0x1, 0x2) and frame.fin else None
        if frame.opcode in (0x1, 0x2) and not frame.fin:
            parts[:] = [data]
            extra["fragment"] = 1
            fragments[tapped.direction + ":opcode"] = [bytes([frame.opcode])]
        elif frame.opcode == 0x0 and parts:
            if sum(map(len, parts)) < _MESSAGE_MAX:
                parts.append(data)
            extra["fragment"] = len(parts)
            if frame.fin:
                whole = b"".join(parts)
                extra["message_opcode"] = fragments.get(tapped.direction + ":opcode", [b"\x02"])[0][
                    0
                ]
                extra["message"] = {
                    "frames": len(parts),
                    "length": len(whole),
                    "text": _text(whole),
                }
                parts.clear()
        info = frame_info(frame, **extra)
        if codec is not None:
            protocol_fields(info, frame.payload, data, whole, codec)
        return info

    def _flush(self) -> None:
        with self._lock:
            batch = list(self._pending)
            self._pending.clear()
            skipped = self._skipped
        capture = self._tap.current
        values: dict[str, Any] = {"skipped": skipped, "close_code": self._ws.close_code}
        if capture is not None:
            with self._tap.lock:
                values.update(
                    attempt=capture.index,
                    frames_seen=capture.count,
                    evicted=capture.evicted,
                    bytes_out=capture.bytes_out,
                    bytes_in=capture.bytes_in,
                    compressed=capture.compressed,
                )
            if self.note and capture.response_head is not None:
                values["note"] = ""
        with self.hold_sync():
            for name, value in values.items():
                if getattr(self, name) != value:
                    self.set_trait(name, value)
        if batch:
            self.send({"type": "frames", "frames": batch})

    def _handle(self, content: dict[str, Any]) -> dict[str, Any] | None:
        kind = content.get("type")
        if kind == "snapshot":  # a view (re)opened: the frames the kernel still keeps
            fragments: dict[str, list[bytes]] = {"out": [], "in": []}
            frames = self.frames[-self.rows :]
            return {"frames": [self._info(f, fragments, self._codec) for f in frames]}
        if kind == "ping":
            rtt = self._ws.ping(str(content.get("payload", "")), timeout=5.0)
            self.set_trait("last_rtt", rtt)
            return {"rtt": rtt}
        if kind == "close":
            code = int(content.get("code", 1000))
            self._ws.close(code, str(content.get("reason", ""))[:120], timeout=5.0)
            return {"closed": code}
        return None
