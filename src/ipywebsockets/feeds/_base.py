"""What every protocol socket shares: a codec between its frames and its messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..codec_link import CodecLink
from ..protocols.base import Codec
from ..widget import WebSocket

__all__ = ["ProtocolSocket"]

T = TypeVar("T")


class ProtocolSocket(WebSocket):
    """A :class:`~ipywebsockets.WebSocket` whose messages are a protocol's messages.

    Its codec (``.codec``) does the protocol's handshake, keepalive and
    resubscriptions on every (re)connection; ``recv``, ``on_message``, views,
    bindings, ``filter``/``map`` and recordings see the application messages,
    while :class:`~ipywebsockets.Inspector` and :class:`~ipywebsockets.Handshake`
    show the real frames, each with the packet it carried. What ``send()``
    is given before the handshake is done waits (at most ``send_queue``
    messages) and goes out right after it. Kernel mode only.
    """

    def __init__(self, url: str | Callable[[], Any], codec: Codec, **options: Any) -> None:
        if "protocols" in options:
            raise TypeError(
                f"protocols= is set by the {codec.name} socket itself "
                f"({list(codec.subprotocols) or 'none'}); leave it out"
            )
        codec.hold_limit = options.get("send_queue", 1000)
        target = codec.target(url) if isinstance(url, str) else url
        super().__init__(target, protocols=codec.subprotocols, _codec=codec, **options)

    @property
    def codec(self) -> Codec:
        """The protocol's Sans-I/O codec (``describe(frame)`` decodes a frame's packets)."""
        return self._link.codec

    @property
    def _link(self) -> CodecLink:
        link = self._transport
        assert isinstance(link, CodecLink)
        return link

    def _apply(self, fn: Callable[[Any], T], sends: bool = True) -> T:
        """Call ``fn(codec)`` under the codec's lock; write what it produced.

        Raises:
            ConnectionClosed: ``sends`` and the connection is closed.
        """
        return self._link.apply(fn, sends)
