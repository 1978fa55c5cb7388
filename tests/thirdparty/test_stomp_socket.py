"""``iws.stomp()`` end to end against RabbitMQ's Web-STOMP (Debian; a node of the test's own).

The codec alone is proven in test_stomp.py; here the whole socket is: MESSAGE
frames as messages, ``publish()`` and ``send()`` of the ``recv()`` shape, a
second subscription, refused credentials in words (the passcode never shown),
and the destinations subscribed again after the broker restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from thirdparty_servers import ServerProcess, stomp_server

import ipywebsockets as iws
from timing import eventually, timeout_s

T = timeout_s(15)
FAST = iws.Backoff(initial=0.2, max_delay=0.5)


@pytest.fixture
def sockets() -> Iterator[Callable[..., iws.STOMP]]:
    made: list[iws.STOMP] = []

    def make(url: str, *args: Any, **kw: Any) -> iws.STOMP:
        kw.setdefault("login", "guest")
        kw.setdefault("passcode", "guest")
        st = iws.stomp(url, *args, **kw)
        made.append(st)
        return st

    yield make
    for st in made:
        st.close(widget=True)


def ws_url(server: ServerProcess) -> str:
    return f"{server.url}/ws"


def test_messages_publish_and_send(stomp: ServerProcess, sockets: Callable[..., iws.STOMP]) -> None:
    st = sockets(ws_url(stomp), ["/topic/a"])
    st.publish("/topic/a", {"a": 1})  # held until CONNECTED and SUBSCRIBE
    first = st.recv(timeout=T).json()
    assert first["destination"] == "/topic/a" and first["body"] == {"a": 1}
    assert first["headers"]["content-type"] == "application/json"
    st.send({"destination": "/topic/a", "body": "plain"})
    assert st.recv(timeout=T).json()["body"] == "plain"
    assert st.subprotocol == "v12.stomp"
    sent = [m.json() for m in st.messages if m.direction == "out"]
    assert [s["body"] for s in sent] == [{"a": 1}, "plain"]
    assert st.subscribe("/topic/b") == 2
    other = sockets(ws_url(stomp))
    eventually(lambda: other.codec.ready and st.codec.ready, within=T, what="both connected")
    other.publish("/topic/b", [1, 2, 3])
    message = st.recv(timeout=T).json()
    assert (message["destination"], message["body"]) == ("/topic/b", [1, 2, 3])
    assert st.unsubscribe("/topic/a") is True
    assert list(st.subscriptions) == ["/topic/b"]


def test_refused_credentials_end_the_socket_in_words(
    stomp: ServerProcess, sockets: Callable[..., iws.STOMP]
) -> None:
    passcode = "".join(["not", "-the-", "passcode"])  # built here: not a literal in the source
    st = sockets(ws_url(stomp), ["/topic/a"], passcode=passcode, reconnect=FAST)
    eventually(lambda: st.status == "closed", within=T, what="the socket gives up")
    assert st.error.startswith("stomp: ")
    assert "login" in st.error.lower() or "refused" in st.error.lower()
    assert st.reconnects == 0
    assert passcode not in st.error and passcode not in str(st.get_state())


def test_a_restarted_broker_gets_the_subscriptions_again(
    tmp_path: Path, sockets: Callable[..., iws.STOMP]
) -> None:
    server = stomp_server(tmp_path).start()
    try:
        st = sockets(ws_url(server), ["/topic/r"], reconnect=FAST)
        eventually(lambda: st.codec.ready, within=T, what="CONNECTED")
        server.kill()
        eventually(lambda: st.status != "open", within=T, what="the drop is seen")
        st.publish("/topic/r", {"while": "away"})  # held: sent after resubscribing
        server.start()
        message = st.recv(timeout=2 * T).json()
        assert message["body"] == {"while": "away"}
        assert st.reconnects == 1
    finally:
        server.stop()
