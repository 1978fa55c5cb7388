"""The stream truth, fed as the I/O loop would feed it: no sockets, its bookkeeping is the point."""

from __future__ import annotations

import asyncio
import gc
import resource
import threading
from typing import Any

import pytest

from ipywebsockets._jupyter.stream import Stream
from ipywebsockets.exceptions import ConnectionClosed, ConnectionFailed, IPyWebSocketsWarning
from timing import eventually, timeout_s

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


class CountingLock:
    """A lock that counts how often it is taken (a Condition can be built on it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.taken = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        self.taken += 1
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _counted(stream: Stream) -> CountingLock:
    lock = CountingLock()
    stream.lock = lock  # type: ignore[assignment]
    stream._cond = threading.Condition(lock)  # type: ignore[arg-type]
    return lock


def test_a_recv_loop_takes_the_lock_once_per_batch_not_per_message() -> None:
    stream = _stream()
    lock = _counted(stream)
    for i in range(500):
        stream.on_message(str(i))
    lock.taken = 0
    got = [stream.recv(0).data for _ in range(500)]
    assert got == [str(i) for i in range(500)]
    assert lock.taken <= 2, f"500 reads took the lock {lock.taken} times"


def test_has_unread_knows_outgoing_claimed_and_evicted_messages() -> None:
    stream = _stream(history=5)
    assert not stream.has_unread()
    for i in range(3):
        stream.on_sent(f"out {i}")
    assert not stream.has_unread()  # outgoing messages are not for readers
    claim = stream.add_claim(lambda m: m.data == "reply")
    stream.on_message("reply")
    assert claim.reply is not None and not stream.has_unread()  # a request's reply
    stream.on_message("tick")
    assert stream.has_unread()
    for i in range(5):
        stream.on_sent(f"later {i}")  # "tick" leaves the history unread
    assert not stream.has_unread()
    with pytest.warns(IPyWebSocketsWarning, match="^5 messages were evicted"):
        with pytest.raises(TimeoutError):
            stream.recv(0)
    assert stream.missed == 5
    stream.on_message("next")
    assert stream.has_unread()
    assert stream.recv(0).data == "next" and not stream.has_unread()


def test_a_waiting_reader_is_woken_once_per_step_of_the_io_loop() -> None:
    """Messages handled in one step of the I/O loop wake a waiting recv() once, not each."""
    stream = _stream()
    wakes = []
    notify_all = stream._cond.notify_all

    def counted_notify_all() -> None:
        wakes.append(len(stream.history))
        notify_all()

    stream._cond.notify_all = counted_notify_all  # type: ignore[method-assign]
    got: list[str] = []

    def read() -> None:
        for _ in range(300):
            got.append(str(stream.recv(timeout_s(10)).data))

    reader = threading.Thread(target=read)
    reader.start()
    eventually(lambda: stream._waiters == 1, what="the reader waits")

    async def one_step() -> None:
        for i in range(300):  # as the receive loop hands over one read from the socket
            stream.on_message(str(i))
        await asyncio.sleep(0)  # the step ends: the wake-up runs

    asyncio.run(one_step())
    reader.join(timeout_s(10))
    assert got == [str(i) for i in range(300)]
    assert wakes == [300], f"the reader was woken at {wakes} messages"


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
