"""MQTT 3.1.1 over WebSocket: topics and their payloads as messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..protocols.mqtt import MQTTCodec
from ._base import ProtocolSocket

__all__ = ["MQTT", "mqtt"]


class MQTT(ProtocolSocket):
    """An MQTT broker's WebSocket listener: each message is one PUBLISH the broker sent.

    ``recv().json()`` gives ``{"topic", "payload", "qos", "retain"}``: the payload
    as JSON when it parses, else text, else ``{"base64": ...}``. ``publish()``
    (or ``send()`` of the same shape) sends one. Subscriptions are made again
    after every reconnect; QoS 1 and 2 messages not yet acknowledged are sent
    again. ``username``/``password`` stay in the kernel: never synced, saved or
    shown (the Inspector masks them in the CONNECT frame).

    Args:
        url: the broker's ``ws://``/``wss://`` URL (often ``/mqtt``).
        subscribe: topic filters (``+``/``#`` wildcards), or a mapping filter -> QoS.
        qos: the QoS of the filters given as a list.
        client_id: the MQTT client id (default: a random one per socket).
        username: the broker's user name, if it asks for credentials.
        password: its password (kept in the kernel only).
        keepalive: seconds of silence before a PINGREQ is due (``0``: none).
        clean_session: start without the broker's stored session.
        **options: as :class:`~ipywebsockets.WebSocket` (kernel mode).
    """

    def __init__(
        self,
        url: str | Callable[[], Any],
        subscribe: str | Sequence[str] | Mapping[str, int] = (),
        qos: int = 0,
        *,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        keepalive: int = 60,
        clean_session: bool = True,
        **options: Any,
    ) -> None:
        codec = MQTTCodec(
            subscribe,
            qos,
            client_id=client_id,
            username=username,
            password=password,
            keepalive=keepalive,
            clean_session=clean_session,
        )
        super().__init__(url, codec, **options)

    def publish(self, topic: str, payload: Any, qos: int = 0, retain: bool = False) -> None:
        """Publish ``payload`` (bytes as is, str as UTF-8, else JSON) to ``topic``.

        Raises:
            ValueError: a topic with wildcards or a QoS other than 0, 1, 2.
            ConnectionClosed, SendQueueFull: as :meth:`send`.
        """
        self._apply(lambda c: c.publish(topic, payload, qos, retain))

    def subscribe(self, filters: str | Sequence[str], qos: int = 0) -> None:
        """Subscribe to more topic filters (now, and after every reconnect)."""
        self._apply(lambda c: c.subscribe(filters, qos), sends=False)

    def unsubscribe(self, filters: str | Sequence[str]) -> None:
        """Stop receiving ``filters``."""
        self._apply(lambda c: c.unsubscribe(filters), sends=False)

    @property
    def subscriptions(self) -> dict[str, int]:
        """The topic filters subscribed to, with their QoS."""
        return dict(self._apply(lambda c: c.subscriptions, sends=False))


def mqtt(
    url: str | Callable[[], Any],
    subscribe: str | Sequence[str] | Mapping[str, int] = (),
    qos: int = 0,
    **ws_options: Any,
) -> MQTT:
    """An :class:`MQTT` socket subscribed to ``subscribe``.

    >>> mq = iws.mqtt("ws://host:8080/mqtt", subscribe=["sensors/#"])  # doctest: +SKIP
    >>> mq.publish("sensors/t1", {"t": 21.5})  # doctest: +SKIP
    """
    return MQTT(url, subscribe, qos, **ws_options)
