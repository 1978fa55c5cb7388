"""GraphQL over WebSocket: subscriptions (and one-shot queries) as messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..exceptions import RemoteError
from ..message import Message
from ..protocols.graphql import GraphQLCodec
from ._base import ProtocolSocket

__all__ = ["GraphQL", "graphql"]


class GraphQL(ProtocolSocket):
    """A GraphQL API over WebSocket, speaking graphql-transport-ws or the legacy graphql-ws.

    Each message is the payload of one result (``{"data": {...}}``, maybe with
    ``"errors"``); an ``error`` from the server arrives as ``{"errors": [...]}``
    and is shown in ``error`` too. Operations still running are subscribed
    again after every reconnect; a query ends after its result. The
    ``connection_init`` payload (``init_payload``, often a token) stays in the
    kernel: never synced, saved or shown.

    Args:
        url: the server's ``ws://``/``wss://`` GraphQL endpoint.
        query: the first operation (a subscription or a query), or None.
        variables: its variables.
        operation_name: its operation name (a document with several).
        init_payload: the ``connection_init`` payload.
        subprotocol: ``"graphql-transport-ws"`` or ``"graphql-ws"`` only (default: offer
            both, the server picks).
        **options: as :class:`~ipywebsockets.WebSocket` (kernel mode).
    """

    def __init__(
        self,
        url: str | Callable[[], Any],
        query: str | None = None,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        init_payload: Mapping[str, Any] | None = None,
        subprotocol: str | None = None,
        **options: Any,
    ) -> None:
        codec = GraphQLCodec(
            query,
            dict(variables) if variables is not None else None,
            operation_name=operation_name,
            init_payload=dict(init_payload) if init_payload is not None else None,
            subprotocol=subprotocol,
        )
        super().__init__(url, codec, **options)

    def subscribe(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> str:
        """Start another operation on this connection (and every reconnect); return its id."""
        vars_ = dict(variables) if variables is not None else None
        result: str = self._apply(lambda c: c.subscribe(query, vars_, operation_name))
        return result

    def query(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        timeout: float | None = 30.0,
    ) -> Any:
        """Run a query (or mutation) and return its ``data``.

        The result is not handed to ``recv()`` (the history shows it).

        Raises:
            RemoteError: the result has errors and no data (``.data``: the errors).
            TimeoutError: no result within ``timeout`` s.
            ConnectionClosed, ConnectionFailed: the connection ended for good first.
        """
        vars_ = dict(variables) if variables is not None else None
        ids: list[str] = []
        link = self._link

        def send() -> None:  # the id is known before any reply can be matched (one lock)
            self._apply(lambda c: ids.append(c.subscribe(query, vars_, operation_name)))

        def match(msg: Message) -> bool:
            return bool(ids) and link.ref == ids[0]

        shown = " ".join(query.split())[:60]
        result = self._requests.exchange(send, match, timeout, f"to the query {shown!r}").json()
        errors = result.get("errors") if isinstance(result, dict) else None
        if errors and result.get("data") is None:
            first = errors[0] if isinstance(errors, list) and errors else errors
            said = first.get("message", first) if isinstance(first, dict) else first
            raise RemoteError(shown, None, str(said), errors)
        return result.get("data") if isinstance(result, dict) else None

    def stop(self, id: str) -> None:
        """Stop the operation ``id`` (the server stops sending its results)."""
        self._apply(lambda c: c.stop(id), sends=False)

    @property
    def operations(self) -> dict[str, Any]:
        """The operations running (id -> their payload), subscribed again on reconnects."""
        return dict(self._apply(lambda c: c.operations, sends=False))


def graphql(
    url: str | Callable[[], Any],
    query: str | None = None,
    variables: Mapping[str, Any] | None = None,
    **ws_options: Any,
) -> GraphQL:
    """A :class:`GraphQL` socket running ``query`` (``feed.recv().json()`` is each result).

    >>> feed = iws.graphql("ws://host/graphql", "subscription { n }")  # doctest: +SKIP
    """
    return GraphQL(url, query, variables, **ws_options)
