"""STOMP over WebSocket: a message broker's destinations as messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..protocols.stomp import STOMPCodec
from ._base import ProtocolSocket

__all__ = ["STOMP", "stomp"]


class STOMP(ProtocolSocket):
    """A STOMP 1.2 broker (RabbitMQ web-stomp, ActiveMQ, Spring): each MESSAGE is a message.

    ``recv().json()`` gives ``{"destination", "headers", "body"}``: the body as
    JSON when it is, else text. ``publish()`` (or ``send()`` of that shape)
    sends a SEND frame. Destinations are subscribed again after every
    reconnect. ``login``/``passcode`` stay in the kernel: never synced, saved
    or shown (the Inspector masks them in the CONNECT frame).

    Args:
        url: the broker's ``ws://``/``wss://`` STOMP endpoint.
        subscribe: destinations to subscribe to.
        login: the broker's user name.
        passcode: its password (kept in the kernel only).
        host: the virtual host (the CONNECT frame's ``host`` header).
        heartbeat: ``(send, receive)`` heart-beat intervals in ms (``0``: none).
        **options: as :class:`~ipywebsockets.WebSocket` (kernel mode).
    """

    def __init__(
        self,
        url: str | Callable[[], Any],
        subscribe: str | Sequence[str] = (),
        *,
        login: str | None = None,
        passcode: str | None = None,
        host: str | None = None,
        heartbeat: tuple[int, int] = (10_000, 10_000),
        **options: Any,
    ) -> None:
        codec = STOMPCodec(
            subscribe, login=login, passcode=passcode, host=host, heartbeat=heartbeat
        )
        super().__init__(url, codec, **options)

    def publish(
        self, destination: str, body: Any, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send ``body`` (str as text/plain, else JSON) to ``destination``.

        Raises:
            TypeError, ValueError: a body or header STOMP cannot carry.
            ConnectionClosed, SendQueueFull: as :meth:`send`.
        """
        self._apply(lambda c: c.publish(destination, body, headers))

    def subscribe(self, destination: str) -> int:
        """Subscribe to ``destination`` (now, and after every reconnect); return its id."""
        result: int = self._apply(lambda c: c.subscribe(destination), sends=False)
        return result

    def unsubscribe(self, destination: str) -> bool:
        """Stop receiving ``destination``; whether it was subscribed."""
        result: bool = self._apply(lambda c: c.unsubscribe(destination), sends=False)
        return result

    @property
    def subscriptions(self) -> dict[str, int]:
        """The destinations subscribed to, with their subscription ids."""
        return dict(self._apply(lambda c: c.subscriptions, sends=False))


def stomp(
    url: str | Callable[[], Any],
    subscribe: str | Sequence[str] = (),
    *,
    login: str | None = None,
    passcode: str | None = None,
    **ws_options: Any,
) -> STOMP:
    """A :class:`STOMP` socket subscribed to ``subscribe``.

    >>> st = iws.stomp("ws://host:15674/ws", subscribe=["/topic/x"])  # doctest: +SKIP
    >>> st.publish("/topic/x", {"a": 1})  # doctest: +SKIP
    """
    return STOMP(url, subscribe, login=login, passcode=passcode, **ws_options)
