"""The fault suite: servers killed and stopped, broken listeners, full disks, leaks.

Servers here are real processes (``python -m ipywebsockets serve``) killed with
SIGKILL and frozen with SIGSTOP, or real websockets servers on 127.0.0.1.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.integration.conftest import LocalServer, ServeProcess, echo, free_port

import ipywebsockets as iws
from ipywebsockets.client import Connection
from ipywebsockets.record import encode_message
from ipywebsockets.runtime import get_runtime
from ipywebsockets.servers import EchoServer
from timing import eventually, timeout_s

T = timeout_s(5)


@pytest.fixture
def ticker_process() -> Iterator[ServeProcess]:
    server = ServeProcess("ticker", free_port(), "--rate", "200")
    yield server
    if server.proc is not None:
        os.kill(server.proc.pid, signal.SIGCONT)
    server.kill()


def test_server_killed_and_restarted_five_times_mid_stream(
    connect: Callable[..., iws.WebSocket], ticker_process: ServeProcess
) -> None:
    ws = connect(ticker_process.start().url, reconnect=iws.Backoff(initial=0.05, max_delay=0.2))
    resumed = []
    for _ in range(5):
        before = ws._stream.stats.received
        eventually(lambda: ws._stream.stats.received >= before + 20, what="data flows")  # noqa: B023
        ticker_process.kill()
        eventually(lambda: ws._transport.status == "reconnecting", what="noticed the kill")
        count = ws._stream.stats.received
        killed = time.monotonic()
        ticker_process.start()
        eventually(lambda: ws._stream.stats.received > count, what="resumed", within=10)  # noqa: B023
        resumed.append(time.monotonic() - killed)
    messages = [m for m in ws.messages if m.direction == "in"]
    seqs = [m.seq for m in messages]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)  # in order, none twice
    assert all(json.loads(m.data)["type"] == "tick" for m in messages)
    eventually(lambda: ws.reconnects == 5, what="5 reconnects counted")
    print(f"restart to data: {[round(r, 3) for r in resumed]} s")


def test_a_frozen_server_is_noticed_by_keepalive(
    connect: Callable[..., iws.WebSocket], ticker_process: ServeProcess
) -> None:
    ticker_process.start()
    ws = connect(
        ticker_process.url, ping_interval=0.3, ping_timeout=0.3, close_timeout=0.3, reconnect=False
    )
    eventually(lambda: ws._stream.stats.received > 5, what="data flows")
    assert ticker_process.proc is not None
    os.kill(ticker_process.proc.pid, signal.SIGSTOP)  # half-open: TCP still up, nobody answers
    started = time.monotonic()
    with pytest.raises(iws.ConnectionClosed, match=r"did not answer pings within ping_timeout"):
        while True:
            ws.recv(timeout=T)
    assert time.monotonic() - started < timeout_s(3)
    assert ws.close_code == 1011


def test_an_error_in_the_listener_closes_the_connection(
    make_server: Callable[..., LocalServer],
) -> None:
    """A bug in what hears the messages ends the connection with 1011: no socket left open."""
    server = make_server(echo)

    class Broken:
        def __init__(self) -> None:
            self.closed: list[tuple[int | None, str, str]] = []

        def on_status(self, status: str, error: str) -> None: ...
        def on_open(self, subprotocol: str, handshake: object) -> None: ...
        def on_sent(self, data: object, at: float | None = None) -> None: ...
        def on_lost(self, count: int, error: str) -> None: ...

        def on_message(self, data: object, at: float | None = None) -> None:
            raise RuntimeError("listener bug")

        def on_close(self, code: int | None, reason: str, error: str) -> None:
            self.closed.append((code, reason, error))

    events = Broken()
    conn = Connection(server.url, events)
    conn.start()
    conn.send("boom")
    eventually(lambda: events.closed, what="the connection ended")
    code, _, error = events.closed[0]
    assert code == 1011
    assert "RuntimeError: listener bug" in error and "closed the connection with 1011" in error
    eventually(lambda: server.closes == [(1011, "client error")], what="the server saw a close")


# The writer's thread warns too (as the error says); the recorder's error is what is checked.
@pytest.mark.filterwarnings("ignore::ipywebsockets.exceptions.IPyWebSocketsWarning")
def test_disk_full_while_recording(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    rec = ws.record("/dev/full")  # every write fails with ENOSPC
    for i in range(50):
        ws.send(str(i))
    eventually(lambda: rec.error, what="the write error")
    assert "No space left on device" in rec.error and "stopped after 0 messages" in rec.error
    eventually(lambda: ws._stream.stats.received == 50, what="the stream goes on")
    assert rec.written == 0
    assert rec.dropped >= 1  # the batch that failed (and what waited) is counted, not lost
    assert rec.written + rec.dropped <= 100


def test_a_recording_cut_mid_line_replays_up_to_it(tmp_path: Path) -> None:
    msgs = [iws.Message.make(i, 1000.0 + i / 100, "in", f'{{"n":{i}}}') for i in range(1, 11)]
    path = tmp_path / "cut.jsonl"
    text = "".join(encode_message(m) + "\n" for m in msgs)
    path.write_text(text[: len(text) - 12], "utf-8")  # the last line is cut short
    with pytest.warns(iws.IPyWebSocketsWarning, match=r"line 10\) is cut short.*up to line 9"):
        ws = iws.replay(path, speed=0)
    try:
        got = [ws.recv(timeout=T).json()["n"] for _ in range(9)]
        assert got == list(range(1, 10))
        with pytest.raises(iws.ConnectionClosed):
            ws.recv(timeout=T)
    finally:
        ws.close(widget=True)


def test_a_looping_one_timestamp_replay_does_not_stop_other_sockets(
    tmp_path: Path, connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    path = tmp_path / "same-time.jsonl"
    path.write_text(
        "".join(
            encode_message(iws.Message.make(i, 1000.0, "in", str(i))) + "\n" for i in range(50)
        ),
        "utf-8",
    )
    replayed = iws.replay(path, loop=True)
    try:
        eventually(lambda: replayed._stream.stats.received > 100, what="the replay plays")
        live = connect(echo_server.url)
        for i in range(20):  # round trips on the same I/O loop stay quick
            started = time.monotonic()
            live.send(str(i))
            assert live.recv(timeout=T).data == str(i)
            assert time.monotonic() - started < timeout_s(0.5)
        played = replayed._stream.stats.received
        time.sleep(0.2)
        # At most one pass of 50 per 10 ms: looping yields instead of spinning.
        assert replayed._stream.stats.received - played <= 50 * 25
    finally:
        replayed.close(widget=True)


def _census() -> dict[str, float]:
    gc.collect()
    from ipywidgets.widgets import widget as ipywidget_module

    tasks = get_runtime().run(_count_tasks(), timeout_s(5))
    return {
        "threads": threading.active_count(),
        "fds": len(os.listdir("/proc/self/fd")),
        "tasks": tasks,
        "widgets": len(ipywidget_module._instances),
        "rss_mb": int(Path("/proc/self/statm").read_text().split()[1])
        * os.sysconf("SC_PAGE_SIZE")
        / 2**20,
    }


async def _count_tasks() -> int:
    import asyncio

    return len(asyncio.all_tasks())


def test_a_thousand_open_close_cycles_leak_nothing() -> None:
    server = EchoServer().start()
    alive: list[weakref.ref[iws.WebSocket]] = []

    def cycles(n: int) -> None:
        for i in range(n):
            ws = iws.WebSocket(server.url)
            ws.send(str(i))
            assert ws.recv(timeout=T).data == str(i)
            ws.close(widget=True)
            alive.append(weakref.ref(ws))
            del ws

    try:
        cycles(50)  # warm up: the I/O loop, the publisher, caches
        before = _census()
        started = time.monotonic()
        cycles(1000)
        took = time.monotonic() - started
        eventually(lambda: _census()["tasks"] <= before["tasks"], what="tasks ended")
        after = _census()
    finally:
        server.stop()
    still = sum(ref() is not None for ref in alive)
    print(f"1,000 cycles in {took:.1f} s; before {before}; after {after}; alive {still}")
    assert still <= 1  # the last one may still be referenced by a frame of the I/O thread
    assert after["widgets"] <= before["widgets"]
    assert after["threads"] <= before["threads"]
    assert after["fds"] <= before["fds"] + 2
    assert after["tasks"] <= before["tasks"]
    assert after["rss_mb"] - before["rss_mb"] < 20  # was +43 MB (1,000 widgets kept alive)
