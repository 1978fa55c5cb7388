"""Third-party servers (Debian, PyPI), each in its own process, for the tests in this folder.

Every fixture starts its server on 127.0.0.1 and a free port, waits until it is
ready (bounded, with the log's tail on failure) and stops the pid it started
when the test (or module) ends. Installation: ``make thirdparty``; see
thirdparty_servers.py and docs/third-party.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import ipywebsockets as iws

pytest.register_assert_rewrite("thirdparty_servers")

from thirdparty_servers import (  # noqa: E402
    ServerProcess,
    amqtt_server,
    graphql_server,
    libwebsockets_server,
    pylsp_server,
    socketio_server,
    socks5_server,
    stomp_server,
    tinyproxy_server,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.thirdparty)


@pytest.fixture
def connect() -> Iterator[Callable[..., iws.WebSocket]]:
    """Make WebSockets that are closed (widget and all) when the test ends."""
    made: list[iws.WebSocket] = []

    def make(url: str, **kw: Any) -> iws.WebSocket:
        ws = iws.WebSocket(url, **kw)
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.close(widget=True)


@pytest.fixture
def lws(tmp_path: Path) -> Iterator[ServerProcess]:
    """libwebsockets' test server; a test may kill() and start() it again on the same port."""
    server = libwebsockets_server(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pylsp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """python-lsp-server over WebSocket (one per module: each connection gets its own session)."""
    server = pylsp_server(tmp_path_factory.mktemp("pylsp")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def graphql(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """strawberry-graphql under uvicorn (one per module: each connection is a session)."""
    server = graphql_server(tmp_path_factory.mktemp("graphql")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def socketio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """python-socketio under uvicorn (one per module: each connection is a session of its own)."""
    server = socketio_server(tmp_path_factory.mktemp("socketio")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def amqtt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """amqtt's MQTT broker over WebSocket (one per module; a test may stop() and start() it
    again on the same port). A client may log in as ``alice``/``wonderland``, or anonymously."""
    server = amqtt_server(tmp_path_factory.mktemp("amqtt"), users=["alice:wonderland"]).start()
    yield server
    server.stop()


@pytest.fixture
def tinyproxy(tmp_path: Path) -> Iterator[Callable[[Sequence[int]], ServerProcess]]:
    """``tinyproxy([port, ...])``: a tinyproxy allowing CONNECT to those ports only."""
    started: list[ServerProcess] = []

    def make(connect_ports: Sequence[int]) -> ServerProcess:
        server = tinyproxy_server(tmp_path, connect_ports).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def socks5(tmp_path: Path) -> Iterator[ServerProcess]:
    """A SOCKS5 proxy (microsocks) on 127.0.0.1."""
    server = socks5_server(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stomp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """RabbitMQ with Web-STOMP (``ws://.../ws``, guest/guest), one node per module."""
    server = stomp_server(tmp_path_factory.mktemp("rabbitmq")).start()
    yield server
    server.stop()
