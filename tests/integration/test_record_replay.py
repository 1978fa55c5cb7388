"""ws.record() on real servers at high rate, and iws.replay() of what was recorded."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import traitlets
from tests.integration.conftest import LocalServer

import ipywebsockets as iws
from ipywebsockets.message import Message
from ipywebsockets.record import encode_message
from ipywebsockets.replay import load
from timing import eventually, timeout_s


@pytest.fixture
def replays() -> Iterator[Callable[..., iws.WebSocket]]:
    made: list[iws.WebSocket] = []

    def make(path: Path, speed: float = 1.0, **kw: Any) -> iws.WebSocket:
        ws = iws.replay(path, speed, **kw)
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.close(widget=True)


def _wait_closed(ws: iws.WebSocket, within: float = 20) -> None:
    eventually(lambda: ws._stream.state["status"] == "closed", within, "the socket closes")


def test_record_every_message_at_high_rate(
    connect: Callable[..., iws.WebSocket], tmp_path: Path
) -> None:
    srv = iws.TickerServer(rate=None, count=30_000).start()
    try:
        ws = connect(srv.url, history=100_000, connect=False)
        path = tmp_path / "ticks.jsonl"
        rec = ws.record(str(path))
        started = time.monotonic()
        ws.connect()
        _wait_closed(ws)
        elapsed = time.monotonic() - started
        rec.stop()
    finally:
        srv.stop()
    print(f"recorded 30000 messages in {elapsed:.2f} s ({30_000 / elapsed:,.0f}/s)")
    live = ws.messages  # also brings the traits up to date
    assert rec.dropped == 0 and rec.written == 30_000 == ws.received
    recorded = load(path)
    assert [(m.seq, m.direction, m.data) for m in recorded] == [
        (m.seq, m.direction, m.data) for m in live
    ]
    assert [m.time for m in recorded] == [m.time for m in live]
    assert [json.loads(m.data)["seq"] for m in recorded] == list(range(1, 30_001))


def test_record_both_directions_and_binary(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer, tmp_path: Path
) -> None:
    ws = connect(echo_server.url)
    eventually(lambda: ws._stream.state["status"] == "open", what="open")
    with ws.record(tmp_path / "echo.jsonl") as rec:
        ws.send({"hello": 1})
        ws.send(b"\x00\xff")
        eventually(lambda: ws._stream.stats.received == 2, what="both echoed")
    recorded = load(rec.path)
    for direction in ("out", "in"):
        assert [(m.kind, m.data) for m in recorded if m.direction == direction] == [
            ("text", '{"hello":1}'),
            ("binary", b"\x00\xff"),
        ]
    assert [m.seq for m in recorded] == [m.seq for m in ws.messages]


def _recording(path: Path, count: int = 11, gap: float = 0.1) -> list[Message]:
    t0 = 1764115200.0
    messages = [
        Message.make(i + 1, t0 + i * gap, "in", json.dumps({"i": i, "price": 100 + i}))
        for i in range(count)
    ]
    path.write_text("".join(encode_message(m) + "\n" for m in messages), "utf-8")
    return messages


@pytest.mark.parametrize("speed", [1.0, 10.0])
def test_replay_keeps_the_timing(
    replays: Callable[..., iws.WebSocket], tmp_path: Path, speed: float
) -> None:
    path = tmp_path / "timed.jsonl"
    original = _recording(path, count=11, gap=0.1)
    ws = replays(path, speed)
    _wait_closed(ws)
    got = [m for m in ws.messages if m.direction == "in"]
    assert [m.data for m in got] == [m.data for m in original]
    # Each message is due at its recorded offset / speed from the start: never early
    # (1 ms for clock granularity), late only by the loop's scheduling delay, which
    # does not accumulate.
    offsets = [m.time - got[0].time for m in got]
    expected = [i * 0.1 / speed for i in range(11)]
    lateness = [o - e for o, e in zip(offsets, expected, strict=True)]
    assert min(lateness) >= -0.002, f"a message came early: {lateness}"
    # Typically about 1 ms late; a loaded machine (2 cores shared with browsers) can
    # stall the I/O thread a few hundred ms, so the bound on the worst one is loose.
    assert statistics.median(lateness) <= timeout_s(0.05), f"messages came late: {lateness}"
    assert max(lateness) <= timeout_s(0.4), f"a message came very late: {lateness}"
    assert ws.close_code == 1000 and ws.status == "closed"
    assert ws.mode == "replay" and ws.url == "replay://timed.jsonl"


def test_replay_a_recorded_session_with_recv_and_on_message(
    connect: Callable[..., iws.WebSocket],
    replays: Callable[..., iws.WebSocket],
    tmp_path: Path,
) -> None:
    srv = iws.TickerServer(rate=None, count=2000).start()
    try:
        live = connect(srv.url, history=10_000, connect=False)
        rec = live.record(tmp_path / "s.jsonl")
        live.connect()
        _wait_closed(live)
        rec.stop()
    finally:
        srv.stop()

    ws = replays(tmp_path / "s.jsonl", 0, history=10_000, connect=False)
    seen: list[int] = []
    ws.on_message(lambda m: seen.append(m.json()["seq"]))
    ws.connect()
    got = [ws.recv(timeout=timeout_s(5)).data for _ in range(2000)]
    assert got == [m.data for m in live.messages]
    with pytest.raises(iws.ConnectionClosed, match="1000"):
        ws.recv(timeout=timeout_s(5))
    eventually(lambda: len(seen) == 2000, what="on_message saw every message")
    assert seen == list(range(1, 2001))


def test_replay_drives_bindings_and_loops(
    replays: Callable[..., iws.WebSocket], tmp_path: Path
) -> None:
    class Target(traitlets.HasTraits):
        value = traitlets.Float(0.0)

    path = tmp_path / "loop.jsonl"
    _recording(path, count=20, gap=0.01)
    ws = replays(path, 0, loop=True, history=100)
    target = Target()
    ws.bind("price", target)
    eventually(lambda: ws._stream.stats.received > 200, what="looping replays again")
    eventually(lambda: target.value > 100, what="the binding follows the replay")
    eventually(lambda: ws.status == "open", what="the status trait follows")
    ws.close()
    assert ws.status == "closed"
    assert ws.close_code == 1000


def test_send_on_a_replay_goes_nowhere_but_is_shown(
    replays: Callable[..., iws.WebSocket], tmp_path: Path
) -> None:
    path = tmp_path / "slow.jsonl"
    _recording(path, count=3, gap=1.0)
    ws = replays(path, 1.0)
    eventually(lambda: ws._stream.state["status"] == "open", what="playing")
    ws.send({"subscribe": "ABC"})
    eventually(lambda: ws.messages and ws.sent == 1, what="shown as sent")
    out = [m for m in ws.messages if m.direction == "out"]
    assert [m.data for m in out] == ['{"subscribe":"ABC"}']
    assert ws._transport.sent_nowhere == 1  # type: ignore[union-attr]
    ws.close()
    with pytest.raises(iws.ConnectionClosed, match="not playing"):
        ws.send("late")


def test_replay_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"seq": 1, "time": 1, "dir": "in", "kind": "text", "data": "x"}\nnope\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl, line 2: not valid JSON"):
        iws.replay(path)
    with pytest.raises(FileNotFoundError):
        iws.replay(tmp_path / "absent.jsonl")
    with pytest.raises(ValueError, match="speed"):
        iws.replay(path, -1)


def test_a_replay_says_why_it_cannot_ping_or_inspect(
    replays: Callable[..., iws.WebSocket], tmp_path: Path
) -> None:
    path = tmp_path / "r.jsonl"
    _recording(path, count=2, gap=0.0)
    ws = replays(path, 0)
    with pytest.raises(ValueError, match=r"ping\(\) needs mode='kernel': a replay plays"):
        ws.ping()
    with pytest.raises(ValueError, match=r"inspect\(\) needs mode='kernel': a replay plays"):
        ws.inspect()
    assert ws.handshake is None
