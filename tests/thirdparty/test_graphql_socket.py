"""``iws.graphql()`` end to end against strawberry-graphql (its own venv and process).

The codec alone is proven in test_graphql.py; here the whole socket is: the
stream holds the results, ``query()`` claims its result, errors reach ``error``
and ``RemoteError``, a restarted server gets the subscription again, refused
credentials end the socket in words, and the token never leaves the kernel.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from thirdparty_servers import ServerProcess, graphql_server

import ipywebsockets as iws
from timing import eventually, timeout_s

T = timeout_s(10)
FAST = iws.Backoff(initial=0.1, max_delay=0.5)


@pytest.fixture
def feeds() -> Iterator[Callable[..., iws.GraphQL]]:
    made: list[iws.GraphQL] = []

    def make(*args: Any, **kw: Any) -> iws.GraphQL:
        feed = iws.graphql(*args, **kw)
        made.append(feed)
        return feed

    yield make
    for feed in made:
        feed.close(widget=True)


def endpoint(server: ServerProcess) -> str:
    return f"{server.url}/graphql"


@pytest.mark.parametrize("subprotocol", ["graphql-transport-ws", "graphql-ws"])
def test_a_subscription_is_a_stream_of_results_in_order(
    graphql: ServerProcess, feeds: Callable[..., iws.GraphQL], subprotocol: str
) -> None:
    feed = feeds(endpoint(graphql), "subscription { count(to: 20) }", subprotocol=subprotocol)
    values = [feed.recv(timeout=T).json() for _ in range(20)]
    assert values == [{"data": {"count": i}} for i in range(20)]
    assert feed.subprotocol == subprotocol
    assert isinstance(feed, iws.WebSocket) and feed.status == "open"
    sent = [m.json() for m in feed.messages if m.direction == "out"]
    assert sent == [{"id": "1", "query": "subscription { count(to: 20) }"}]
    eventually(lambda: feed.received == 20, what="one message per result, not per frame")


def test_query_returns_the_data_and_errors_raise(
    graphql: ServerProcess, feeds: Callable[..., iws.GraphQL]
) -> None:
    feed = feeds(endpoint(graphql))
    data = feed.query("query Q($n: String!) { hello(name: $n) }", {"n": "Ada"}, timeout=T)
    assert data == {"hello": "Hello, Ada!"}
    with pytest.raises(iws.RemoteError, match="boom: this field always fails") as caught:
        feed.query("{ boom }", timeout=T)
    assert isinstance(caught.value.data, list)
    eventually(lambda: "boom" not in feed.error or feed.error.startswith("graphql:"))
    with pytest.raises(TimeoutError):
        feed.recv(timeout=0.2)  # the results went to query(), not to recv()
    assert sum(m.direction == "in" for m in feed.messages) == 2  # the history has both


def test_a_failing_subscription_is_a_message_and_an_error(
    graphql: ServerProcess, feeds: Callable[..., iws.GraphQL]
) -> None:
    feed = feeds(endpoint(graphql), "subscription { nosuchfield }")
    message = feed.recv(timeout=T).json()
    assert "errors" in message and "nosuchfield" in json.dumps(message)
    eventually(lambda: feed.error.startswith("graphql: GraphQL operation 1 failed"))
    assert feed.status == "open"
    assert feed.subscribe("subscription { count(to: 2) }") == "2"
    assert [feed.recv(timeout=T).json() for _ in range(2)] == [
        {"data": {"count": 0}},
        {"data": {"count": 1}},
    ]


def test_a_restarted_server_gets_the_subscription_again(
    tmp_path: Path, feeds: Callable[..., iws.GraphQL]
) -> None:
    server = graphql_server(tmp_path).start()
    try:
        feed = feeds(
            endpoint(server),
            "subscription { count(to: 100000, delay: 0.02) }",
            reconnect=FAST,
        )
        assert feed.recv(timeout=T).json() == {"data": {"count": 0}}
        server.kill()
        server.start()
        eventually(lambda: feed.reconnects == 1, within=T, what="a reconnect")
        values = [feed.recv(timeout=T).json()["data"]["count"] for _ in range(200)]
        restart = values.index(0)  # the count starts again on the new connection
        assert values[restart : restart + 5] == [0, 1, 2, 3, 4]
        assert list(feed.operations) == ["1"]
    finally:
        server.stop()


def test_a_refused_token_ends_the_socket_in_words(
    graphql: ServerProcess, feeds: Callable[..., iws.GraphQL]
) -> None:
    feed = feeds(
        endpoint(graphql),
        "subscription { count(to: 2) }",
        init_payload={"token": "wrong"},
        reconnect=FAST,
    )
    eventually(lambda: feed.status == "closed", within=T, what="the socket gives up")
    assert feed.close_code == 4403
    assert "graphql: the server closed with 4403" in feed.error
    assert "init_payload" in feed.error
    with pytest.raises(iws.ConnectionClosed, match="check init_payload"):
        feed.recv(timeout=T)


def test_the_token_never_leaves_the_kernel_and_the_inspector_shows_packets(
    graphql: ServerProcess, feeds: Callable[..., iws.GraphQL]
) -> None:
    token = "-".join(["tok", "3141592653"])
    feed = feeds(
        endpoint(graphql),
        "subscription { count(to: 3) }",
        init_payload={"token": token},
        inspect=True,
    )
    inspector = iws.Inspector(feed)
    assert [feed.recv(timeout=T).json()["data"]["count"] for _ in range(3)] == [0, 1, 2]
    eventually(lambda: len(inspector.frames) >= 6, what="init, ack, subscribe, 3 results")
    fragments: dict[str, list[bytes]] = {"out": [], "in": []}
    infos = [inspector._info(f, fragments, feed.codec) for f in inspector.frames]
    packets = [i.get("packet") for i in infos]
    assert 'connection_init payload={"token":"***"}' in packets
    assert any(p and p.startswith("subscribe id=1 query=subscription") for p in packets)
    assert 'next id=1 {"data":{"count":0}}' in packets
    assert token not in json.dumps(infos)
    assert token not in json.dumps(feed.get_state(), default=str)
    inspector.close()
