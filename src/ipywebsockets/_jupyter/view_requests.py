"""What a view asks of the kernel: a send from the Composer, one whole message from the history.

Pure functions of the request; :class:`~.frontend.FrontendSync` answers with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..message import loads

if TYPE_CHECKING:
    from .stream import Stream

__all__ = ["full_message", "outgoing_from_view"]


def outgoing_from_view(content: dict[str, Any], buffers: Any) -> Any:
    """What a view's ``{"type": "send", "format", "data"}`` asks to send (binary: one buffer).

    Raises:
        ValueError: JSON that does not parse, or a binary send without its bytes.
    """
    form = content.get("format")
    if form == "binary":
        if not buffers:
            raise ValueError("a binary send came without its bytes")
        return bytes(buffers[0])
    data = content.get("data", "")
    if form == "json":
        try:
            return loads(data)
        except ValueError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
    return str(data)


def full_message(stream: Stream, content: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
    """The reply to a view's ``{"type": "get", "id", "seq"}``: one whole message from the history.

    Text travels as ``text``; binary as one buffer. A message the history no
    longer keeps is answered with an ``error`` that says so.
    """
    reply: dict[str, Any] = {"type": "get_result", "id": content.get("id")}
    try:
        seq = int(content.get("seq", -1))
    except (TypeError, ValueError):
        seq = -1
    with stream.lock:
        msg = stream.history.get(seq)
        first, maxlen = stream.history.first_seq, stream.history.maxlen
    if msg is None:
        reply["error"] = (
            f"message #{seq} is no longer in the kernel's history (it keeps the last {maxlen}; "
            f"the oldest kept is #{first}): pass a larger history= to WebSocket"
            if seq < first
            else f"the kernel has no message #{seq}"
        )
        return reply, []
    reply.update(seq=msg.seq, kind=msg.kind)
    if isinstance(msg.data, bytes):
        return reply, [msg.data]
    reply["text"] = msg.data
    return reply, []
