"""Socket.IO (Engine.IO 4, Socket.IO 5) over WebSocket: events and acks as messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..message import Message
from ..protocols.socketio import SocketIOCodec
from ._base import ProtocolSocket

__all__ = ["SocketIO", "socketio"]


class SocketIO(ProtocolSocket):
    """A Socket.IO server: its events arrive as ``{"event": name, "args": [...]}``.

    ``emit(event, *args)`` sends one; ``call(event, args)`` sends one and
    waits for the server's acknowledgement. Binary arguments travel as
    attachments and appear as ``{"base64": "..."}``. The namespace is joined
    again after every reconnect; ``auth`` (often a token) stays in the kernel.

    Args:
        url: ``http(s)://host:port`` (or ``ws(s)://``); the Engine.IO path is added.
        namespace: the namespace to join (``"/"`` by default).
        auth: the payload of the namespace's CONNECT packet.
        path: the server's Engine.IO path (``"socket.io"``).
        **options: as :class:`~ipywebsockets.WebSocket` (kernel mode).
    """

    def __init__(
        self,
        url: str | Callable[[], Any],
        namespace: str = "/",
        *,
        auth: dict[str, Any] | None = None,
        path: str = "socket.io",
        **options: Any,
    ) -> None:
        super().__init__(url, SocketIOCodec(namespace, auth=auth, path=path), **options)

    def emit(self, event: str, *args: Any) -> None:
        """Send the event ``event`` with ``args`` (JSON values; ``{"base64": ...}`` for bytes).

        Raises:
            TypeError, ValueError: not an event Socket.IO can carry (nothing is sent).
            ConnectionClosed, SendQueueFull: as :meth:`send`.
        """
        self._apply(lambda c: c.emit(event, *args))

    def answer(self, ack_id: int, *args: Any) -> None:
        """Acknowledge the server's event that asked for it (its message's ``"ack"``)."""
        self._apply(lambda c: c.answer(ack_id, *args))

    def call(  # type: ignore[override]
        self, event: str, args: Any = None, *, timeout: float | None = 30.0
    ) -> Any:
        """Emit ``event`` with ``args`` (a list, or one value) and return the server's ack.

        The ack's arguments: one comes back as itself, none as None, several as a
        list. The ack is not handed to ``recv()`` (the history shows it).

        Raises:
            TimeoutError: no ack within ``timeout`` s.
            ConnectionClosed, ConnectionFailed: the connection ended for good first.
        """
        values = list(args) if isinstance(args, (list, tuple)) else [] if args is None else [args]
        ids: list[int | None] = []
        link = self._link

        def send() -> None:  # the id is known before any ack can be matched (one lock)
            self._apply(lambda c: ids.append(c.emit(event, *values, ack=True)))

        def match(msg: Message) -> bool:
            return bool(ids) and link.ref == ("ack", ids[0])

        what = f"(an ack) to the event {event!r}"
        reply = self._requests.exchange(send, match, timeout, what).json()["args"]
        return None if not reply else reply[0] if len(reply) == 1 else reply


def socketio(url: str | Callable[[], Any], namespace: str = "/", **ws_options: Any) -> SocketIO:
    """A :class:`SocketIO` socket joined to ``namespace``.

    >>> sio = iws.socketio("http://host:8000")  # doctest: +SKIP
    >>> sio.emit("join", {"room": "a"}); sio.call("add", [1, 2], timeout=5)  # doctest: +SKIP
    """
    return SocketIO(url, namespace, **ws_options)
