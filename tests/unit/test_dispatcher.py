"""The callback dispatcher: every message, in order, handed over without a lock per message."""

from __future__ import annotations

import asyncio
import threading

from ipywebsockets._jupyter.callbacks import Dispatcher, Handler
from ipywebsockets.message import Message
from timing import eventually


def _dispatcher(seen: list[int], maxsize: int = 1_000_000) -> Dispatcher:
    handler = Handler(lambda msg: seen.append(msg.seq), None)
    return Dispatcher("test-callbacks", lambda: (handler,), lambda: None, maxsize)


def test_every_message_arrives_once_in_order_across_stops() -> None:
    seen: list[int] = []
    d = _dispatcher(seen)
    seq = 0
    for _ in range(20):  # stop() between bursts: the thread ends and a later put() starts another
        for _ in range(5_000):
            seq += 1
            assert d.put(Message.make(seq, 0.0, "in", "x")) is None
        d.stop()
    d.stop(wait=30)
    eventually(lambda: len(seen) == seq, what="every message handled")
    assert seen == list(range(1, seq + 1))


def test_a_full_queue_pauses_the_producer_until_half_is_handled() -> None:
    seen: list[int] = []
    gate = threading.Event()
    handler = Handler(lambda msg: (gate.wait(30), seen.append(msg.seq)), None)
    d = Dispatcher("test-callbacks", lambda: (handler,), lambda: None, 10)

    async def produce() -> list[int]:
        paused_at = []
        for seq in range(1, 101):
            pause = d.put(Message.make(seq, 0.0, "in", "x"))
            if pause is not None:
                paused_at.append(seq)
                assert d.backlog >= 10 - 1  # the handler holds one
                gate.set()
                await asyncio.wait_for(pause, 30)
                assert d.backlog <= 5
        return paused_at

    paused_at = asyncio.run(produce())
    d.stop(wait=30)
    eventually(lambda: len(seen) == 100, what="every message handled")
    assert seen == list(range(1, 101))
    assert paused_at and paused_at[0] in (10, 11)


def test_a_sleeping_thread_is_notified_once_however_many_messages_come_before_it_runs() -> None:
    seen: list[int] = []
    d = _dispatcher(seen)
    d.put(Message.make(1, 0.0, "in", "x"))
    eventually(lambda: seen == [1] and d._sleeping, what="the thread handled #1 and sleeps")
    notified = []
    notify = d._cond.notify
    d._cond.notify = lambda n=1: (notified.append(n), notify(n))  # type: ignore[method-assign]
    # Holding the condition's (reentrant) lock keeps the woken thread from running yet,
    # as the GIL and a busy I/O thread do: the puts meanwhile must not notify again.
    with d._cond:
        for seq in range(2, 102):
            assert d.put(Message.make(seq, 0.0, "in", "x")) is None
    eventually(lambda: len(seen) == 101, what="every message handled")
    assert seen == list(range(1, 102))
    assert len(notified) == 1, f"{len(notified)} notifications for one sleep"
    d.stop(wait=30)
