from __future__ import annotations

import pytest

from ipywebsockets.history import History, RateMeter, Stats
from ipywebsockets.message import Message


def _msg(seq: int, direction: str = "in") -> Message:
    return Message.make(seq, float(seq), direction, f"m{seq}")  # type: ignore[arg-type]


def test_history_is_bounded_and_counts_evictions() -> None:
    history = History(3)
    for seq in range(1, 6):
        history.append(_msg(seq))
    assert [m.seq for m in history] == [3, 4, 5]
    assert history.evicted == 2
    assert (history.first_seq, history.next_seq) == (3, 6)


def test_history_lookup_by_seq() -> None:
    history = History(3)
    assert history.get(1) is None and history.next_seq == 1
    for seq in range(1, 6):
        history.append(_msg(seq))
    assert history.get(2) is None
    got = history.get(4)
    assert got is not None and got.seq == 4
    assert history.get(6) is None
    assert [m.seq for m in history.tail(2)] == [4, 5]


def test_history_refuses_zero() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        History(0)


def test_history_memory_is_flat_over_a_million_messages() -> None:
    history = History(1000)
    msg = _msg(1)
    for seq in range(1, 1_000_001):
        history.append(Message(seq, 0.0, "in", "text", msg.data, msg.size))
    assert len(history) == 1000 and history.evicted == 999_000


def test_rate_meter_over_window() -> None:
    meter = RateMeter(window=5)
    for i in range(100):
        meter.add(1000.0 + i * 0.05)  # 20/s for 5 s
    assert meter.rate(1005.0) == pytest.approx(20, rel=0.1)
    assert meter.rate(1020.0) == 0.0  # the stream stopped: the rate decays


def test_rate_meter_counts_events_that_go_back_in_time() -> None:
    # Timestamps need not grow (browser mode's come from the page; clocks step back).
    meter = RateMeter(window=5)
    for i in range(50):
        meter.add(1000.0 + i * 0.1)  # 10/s for 5 s
    meter.add(1001.5, 10)  # late: counted in its own second
    meter.add(1004.99)
    assert meter.rate(1004.99) == pytest.approx(61 / (4 + 0.99), rel=0.01)
    assert meter.rate(1030.0) == 0.0


def test_rate_meter_young_stream_is_not_diluted() -> None:
    meter = RateMeter(window=5)
    for i in range(10):
        meter.add(1000.0 + i * 0.1)
    assert meter.rate(1001.0) == pytest.approx(10, rel=0.1)


def test_stats_count_both_directions() -> None:
    stats = Stats()
    stats.count(_msg(1, "in"))
    stats.count(_msg(2, "out"))
    assert (stats.received, stats.sent, stats.bytes_received, stats.bytes_sent) == (1, 1, 2, 2)
