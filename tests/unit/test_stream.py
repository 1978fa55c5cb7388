"""The stream truth, fed as the I/O loop would feed it: no sockets, its bookkeeping is the point."""

from __future__ import annotations

import gc
import resource

import pytest

from ipywebsockets._jupyter.stream import Stream
from ipywebsockets.exceptions import ConnectionClosed, ConnectionFailed

TICK = '{"type":"tick","seq":12345,"symbol":"ABC","price":101.25}'


def _stream(**kw: int) -> Stream:
    options = {"history": 1000, "view_rows": 50, "callback_queue": 100} | kw
    return Stream("ws://h", on_change=lambda: None, **options)


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() // 1024


def test_memory_stays_flat_over_a_million_messages() -> None:
    stream = _stream()
    for _ in range(100_000):  # warm-up: history and allocator pools fill
        stream.on_message(TICK)
    gc.collect()
    before = _rss_kib()
    for _ in range(1_000_000):
        stream.on_message(TICK)
    gc.collect()
    grown = _rss_kib() - before
    assert grown < 5 * 1024, f"RSS grew by {grown} KiB over a million messages"
    assert len(stream.history) == 1000 and stream.history.evicted == 1_099_000
    assert len(stream.pending) == 50 and stream.omitted == 1_099_950
    assert stream.stats.received == 1_100_000


def test_recv_reads_in_order_and_skips_outgoing() -> None:
    stream = _stream()
    stream.on_message("a")
    stream.on_sent("mine")
    stream.on_message("b")
    assert [stream.recv(0).data for _ in range(2)] == ["a", "b"]
    with pytest.raises(TimeoutError, match=r"no message within 0 s \(status: closed\)"):
        stream.recv(0)


def test_unread_messages_come_before_the_end() -> None:
    stream = _stream()
    stream.on_message("last")
    stream.on_close(1001, "restart", "")
    assert stream.recv(0).data == "last"
    with pytest.raises(ConnectionClosed, match=r"1001 \(going away\): restart"):
        stream.recv(0)
    assert stream.ended_cleanly()


def test_a_connection_that_never_opened_raises_connection_failed() -> None:
    stream = _stream()
    stream.on_close(None, "", "connection refused by h:80")
    with pytest.raises(ConnectionFailed, match="cannot connect to ws://h: connection refused"):
        stream.recv(0)
    assert not stream.ended_cleanly()


def test_reconnect_counts_only_after_an_open() -> None:
    stream = _stream()
    stream.on_status("connecting", "")
    stream.on_status("open", "")
    stream.on_status("reconnecting", "connection lost")
    stream.on_status("reconnecting", "retry 2")
    stream.on_status("open", "")
    assert stream.state["reconnects"] == 1


def test_read_since_follows_the_history_and_counts_what_it_skipped() -> None:
    stream = Stream("ws://x", history=5, view_rows=5, callback_queue=10, on_change=lambda: None)
    for i in range(3):
        stream.on_message(f"m{i}")
    msgs, skipped, cursor = stream.read_since(1)
    assert [m.data for m in msgs] == ["m0", "m1", "m2"] and skipped == 0 and cursor == 4
    assert stream.read_since(cursor) == ([], 0, 4)
    for i in range(3, 10):  # 7 more: the history keeps the last 5 (seq 6-10)
        stream.on_message(f"m{i}")
    msgs, skipped, cursor = stream.read_since(4)
    assert [m.seq for m in msgs] == [6, 7, 8, 9, 10] and skipped == 2 and cursor == 11
    msgs, skipped, _ = stream.read_since(6, limit=2)
    assert [m.seq for m in msgs] == [9, 10] and skipped == 3
