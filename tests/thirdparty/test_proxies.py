"""``proxy=`` through real proxies (Debian): tinyproxy (HTTP CONNECT) and microsocks (SOCKS5).

The target is libwebsockets' test server on 127.0.0.1; the proxies' own logs
prove the traffic went through them (an explicit ``proxy=`` is used even for a
loopback target, where the environment's proxy never is). A proxy that refuses
the tunnel gives a clear error naming the proxy and its answer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence

import pytest
from thirdparty_servers import ServerProcess, free_port
from websockets.asyncio.client import connect as websockets_connect

import ipywebsockets as iws
from timing import eventually, timeout_s

T = timeout_s(10)
DUMB = "dumb-increment-protocol"


def counts_up(ws: iws.WebSocket) -> None:
    values = [int(ws.recv(timeout=T).text()) for _ in range(3)]
    assert values == list(range(values[0], values[0] + 3)), values


def test_harness_proxies_carry_websockets(
    lws: ServerProcess,
    tinyproxy: Callable[[Sequence[int]], ServerProcess],
    socks5: ServerProcess,
) -> None:
    """The proxies as set up here carry a WebSocket for websockets itself: a failure of the
    tests below is then the kit's, not the harness's."""
    http = tinyproxy([lws.port])

    async def through(proxy: str) -> list[str]:
        async with websockets_connect(lws.url, subprotocols=[DUMB], proxy=proxy) as ws:  # type: ignore[list-item]
            return [str(await asyncio.wait_for(ws.recv(), T)) for _ in range(2)]

    for proxy in (f"http://127.0.0.1:{http.port}", f"socks5://127.0.0.1:{socks5.port}"):
        first, second = asyncio.run(through(proxy))
        assert int(second) == int(first) + 1
    assert f"CONNECT 127.0.0.1:{lws.port}" in http.log_text()
    assert f"connected to 127.0.0.1:{lws.port}" in socks5.log_text()


def test_http_connect_through_tinyproxy(
    lws: ServerProcess,
    tinyproxy: Callable[[Sequence[int]], ServerProcess],
    connect: Callable[..., iws.WebSocket],
) -> None:
    proxy = tinyproxy([lws.port])
    assert "CONNECT 127.0.0.1" not in proxy.log_text()
    ws = connect(lws.url, protocols=[DUMB], proxy=f"http://127.0.0.1:{proxy.port}")
    counts_up(ws)
    connect_line = re.compile(rf"CONNECT .*: CONNECT 127\.0\.0\.1:{lws.port} HTTP/1\.1")
    eventually(
        lambda: connect_line.search(proxy.log_text()),
        5,
        lambda: f"tinyproxy logged the CONNECT; its log:\n{proxy.log_tail()}",
    )


def test_http_proxy_refusing_the_port_gives_a_clear_error(
    lws: ServerProcess,
    tinyproxy: Callable[[Sequence[int]], ServerProcess],
    connect: Callable[..., iws.WebSocket],
) -> None:
    proxy = tinyproxy([free_port()])  # CONNECT allowed to another port only
    ws = connect(lws.url, protocols=[DUMB], proxy=f"http://127.0.0.1:{proxy.port}", reconnect=False)
    with pytest.raises(iws.ConnectionFailed) as caught:
        ws.recv(timeout=T)
    message = str(caught.value)
    assert "proxy" in message.lower() and "403" in message, message
    assert f"Refused CONNECT method on port {lws.port}" in proxy.log_text()


def test_socks5_through_microsocks(
    lws: ServerProcess, socks5: ServerProcess, connect: Callable[..., iws.WebSocket]
) -> None:
    assert "connected to" not in socks5.log_text()
    ws = connect(lws.url, protocols=[DUMB], proxy=f"socks5://127.0.0.1:{socks5.port}")
    counts_up(ws)
    eventually(
        lambda: f"connected to 127.0.0.1:{lws.port}" in socks5.log_text(),
        5,
        lambda: f"microsocks logged the connection; its log:\n{socks5.log_tail()}",
    )


def test_socks5_target_refused_gives_a_clear_error(
    socks5: ServerProcess, connect: Callable[..., iws.WebSocket]
) -> None:
    closed = free_port()
    ws = connect(
        f"ws://127.0.0.1:{closed}", proxy=f"socks5://127.0.0.1:{socks5.port}", reconnect=False
    )
    with pytest.raises(iws.ConnectionFailed) as caught:
        ws.recv(timeout=T)
    message = str(caught.value)
    # microsocks reached, it answered "connection refused" (SOCKS5 reply 5): the error says
    # the target refused, not that the proxy could not be reached.
    assert "proxy" in message.lower() and "refused by destination" in message.lower(), message


@pytest.mark.parametrize("scheme", ["http", "socks5"])
def test_a_proxy_that_does_not_run_is_named(
    scheme: str, lws: ServerProcess, connect: Callable[..., iws.WebSocket]
) -> None:
    """Nothing listens at the proxy's address: the error names the proxy, not the target."""
    down = free_port()
    ws = connect(lws.url, proxy=f"{scheme}://127.0.0.1:{down}", reconnect=False)
    with pytest.raises(iws.ConnectionFailed) as caught:
        ws.recv(timeout=T)
    message = str(caught.value)
    assert f"127.0.0.1:{down}" in message and "proxy" in message.lower(), message
