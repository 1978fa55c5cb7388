"""A playground: build a frame from its fields, or paste bytes and see them decoded."""

from __future__ import annotations

import os
import struct
from typing import Any

import traitlets

from ..frames import (
    CLOSE_CODES,
    DecodedFrame,
    FrameError,
    IncompleteFrame,
    decode_frame,
    encode_frame,
    fragments,
    parse_hex,
    problems,
)
from ._base import TeachingWidget
from .inspector import frame_info

__all__ = ["KINDS", "FrameAnatomy"]

KINDS = {"text": 0x1, "binary": 0x2, "ping": 0x9, "pong": 0xA, "close": 0x8}


class FrameAnatomy(TeachingWidget):
    """Type a payload, pick the kind, toggle masking and fragmentation: see the exact bytes.

    Or paste bytes in hex and see them decoded, with what makes them invalid
    (an unmasked client frame, a control frame over 125 bytes, bad UTF-8, a
    reserved opcode, ...). The same works from a cell: :meth:`encode` and
    :meth:`decode`.
    """

    payload = traitlets.Unicode("Hello").tag(sync=True)
    kind = traitlets.Enum(list(KINDS), "text").tag(sync=True)
    mask = traitlets.Bool(True).tag(sync=True)
    mask_key = traitlets.Unicode("37 fa 21 3d").tag(sync=True)  # RFC 6455 §5.7's example
    fragment_size = traitlets.Int(0).tag(sync=True)
    close_code = traitlets.Int(1000).tag(sync=True)
    hex_input = traitlets.Unicode("").tag(sync=True)
    from_client = traitlets.Bool(True).tag(sync=True)
    built = traitlets.Dict().tag(sync=True)  # the last result, so a saved notebook shows it
    decoded = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_view="anatomy", **kwargs)
        self.built = self._build(self._inputs())
        if self.hex_input:
            self.decoded = self._decode(self.hex_input, self.from_client)

    def encode(
        self,
        payload: str | bytes,
        kind: str = "text",
        *,
        mask: bool = True,
        mask_key: bytes | None = None,
        fragment_size: int = 0,
        close_code: int = 1000,
    ) -> list[DecodedFrame]:
        """The frames that carry ``payload`` (several when ``fragment_size`` cuts it)."""
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        opcode = KINDS[kind]
        if opcode == 0x8:
            data = struct.pack("!H", close_code) + data
        key = (mask_key or os.urandom(4)) if mask else None
        size = fragment_size if opcode in (0x1, 0x2) else 0  # control frames are never cut
        return [
            decode_frame(encode_frame(op, chunk, fin=fin, mask_key=key))
            for op, chunk, fin in fragments(opcode, data, size or None)
        ]

    def decode(self, data: str | bytes) -> list[DecodedFrame]:
        """Every whole frame in ``data`` (hex text or bytes).

        Raises:
            FrameError: not hex, or the bytes end inside a frame (says how many are missing).
        """
        raw = parse_hex(data) if isinstance(data, str) else bytes(data)
        out = []
        while raw:
            frame = decode_frame(raw)
            out.append(frame)
            raw = raw[len(frame.raw) :]
        return out

    # -- the view ---------------------------------------------------------------------

    def _inputs(self) -> dict[str, Any]:
        return {
            "payload": self.payload,
            "kind": self.kind,
            "mask": self.mask,
            "mask_key": self.mask_key,
            "fragment_size": self.fragment_size,
            "close_code": self.close_code,
        }

    def _build(self, inputs: dict[str, Any]) -> dict[str, Any]:
        try:
            key = parse_hex(str(inputs.get("mask_key", ""))) if inputs.get("mask") else None
            if key is not None and len(key) != 4:
                raise FrameError(f"a masking key has 4 bytes, got {len(key)}")
            frames = self.encode(
                str(inputs.get("payload", "")),
                str(inputs.get("kind", "text")),
                mask=bool(inputs.get("mask")),
                mask_key=key,
                fragment_size=int(inputs.get("fragment_size") or 0),
                close_code=int(inputs.get("close_code") or 1000),
            )
        except (FrameError, ValueError) as exc:
            return {"error": str(exc)}
        from_client = bool(inputs.get("mask"))
        out = [frame_info(f, problems=problems(f, from_client=from_client)) for f in frames]
        notes = []
        if not from_client:
            notes.append("unmasked: how a server sends; a client frame must be masked")
        if len(frames) > 1:
            notes.append(
                f"{len(frames)} frames: the first carries the opcode, the rest are "
                "continuations (0x0); only the last has FIN=1"
            )
        return {"frames": out, "bytes": b"".join(f.raw for f in frames).hex(" "), "notes": notes}

    def _decode(self, text: str, from_client: bool) -> dict[str, Any]:
        try:
            raw = parse_hex(text)
        except FrameError as exc:
            return {"error": str(exc)}
        out: list[dict[str, Any]] = []
        while raw:
            try:
                frame = decode_frame(raw)
            except IncompleteFrame as exc:
                return {"frames": out, "error": f"incomplete frame: {exc}"}
            out.append(frame_info(frame, problems=problems(frame, from_client=from_client)))
            raw = raw[len(frame.raw) :]
        if not out:
            return {"error": "no bytes: paste a frame in hex, e.g. 81 05 48 65 6c 6c 6f"}
        return {"frames": out}

    def _handle(self, content: dict[str, Any]) -> dict[str, Any] | None:
        kind = content.get("type")
        if kind == "encode":
            result = self._build(content)
            with self._sync_lock:
                self.built = result
            return {"result": result}
        if kind == "decode":
            result = self._decode(str(content.get("hex", "")), bool(content.get("from_client")))
            with self._sync_lock:
                self.decoded = result
            return {"result": result}
        if kind == "close_codes":
            return {"codes": [[c, n, m] for c, (n, m) in CLOSE_CODES.items()]}
        return None
