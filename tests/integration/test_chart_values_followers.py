"""Chart and Values follow a real TickerServer stream; what they would send the page is checked.

Only the send method is replaced (there is no front end here); the stream, the
publisher thread and the views' bookkeeping are the real ones.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import ipywebsockets as iws
from timing import eventually, timeout_s

COUNT = 600


class Sent:
    """Records what a view sends its page: (content, buffers)."""

    def __init__(self, view: Any) -> None:
        self.messages: list[tuple[dict[str, Any], list[bytes]]] = []
        view._send_view = lambda content, buffers=None: self.messages.append(
            (content, list(buffers or []))
        )

    def of(self, kind: str) -> list[tuple[dict[str, Any], list[bytes]]]:
        return [(c, b) for c, b in self.messages if c.get("type") == kind]


def floats(buffer: bytes) -> list[float]:
    return list(struct.unpack(f"<{len(buffer) // 8}d", buffer))


def columns(sent: Sent, kind: str = "points") -> list[list[float]]:
    """The float64 columns of every ``kind`` message, concatenated: [times, series...]."""
    out: list[list[float]] = []
    for content, buffers in sent.of(kind):
        assert len(buffers) >= 1 and all(len(b) == content["n"] * 8 for b in buffers)
        if not out:
            out = [[] for _ in buffers]
        for col, buf in zip(out, buffers, strict=True):
            col.extend(floats(buf))
    return out


@pytest.fixture
def ticker() -> Iterator[iws.TickerServer]:
    with iws.TickerServer(rate=None, count=COUNT, seed=7) as srv:
        yield srv


def finished(ws: iws.WebSocket) -> bool:
    return ws.received == COUNT


def test_chart_sends_only_new_points_of_the_fields(
    ticker: iws.TickerServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(ticker.url, reconnect=False, connect=False)
    chart = iws.Chart(ws, "price", "seq", window=None, points=10_000)
    sent = Sent(chart)
    ws.connect()
    eventually(lambda: finished(ws) and len(chart.data()["time"]) == COUNT, what="600 points")
    times, price, seq = columns(sent)
    # Every tick once, in order, each as one point (nothing sent twice).
    assert seq == [float(n) for n in range(1, COUNT + 1)]
    assert times == sorted(times) and times[0] > 1e12  # milliseconds since the epoch
    ticks = [m.json() for m in ws.messages if m.direction == "in"]
    assert price == [t["price"] for t in ticks]
    assert chart.ignored == 0 and chart.skipped == 0
    # Flushes are coalesced: far fewer messages than ticks.
    assert len(sent.of("points")) < COUNT / 5

    data = chart.data()
    assert data["seq"] == seq and data["price"] == price
    assert [round(t * 1000, 3) for t in data["time"]] == [round(t, 3) for t in times]


def test_chart_hello_sends_the_whole_window(
    ticker: iws.TickerServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(ticker.url, reconnect=False)
    chart = iws.Chart(ws, "seq", points=100)
    eventually(lambda: chart.data()["seq"][-1:] == [COUNT], what="the last tick charted")
    sent = Sent(chart)
    chart._on_custom(chart, {"type": "hello", "id": "view-1"}, [])
    (content, buffers), *_ = sent.of("window")
    assert content["id"] == "view-1" and content["n"] == 100
    # The bound holds: the newest 100 ticks.
    assert floats(buffers[1]) == [float(n) for n in range(COUNT - 99, COUNT + 1)]


def test_chart_counts_messages_without_the_fields(
    ticker: iws.TickerServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(ticker.url, reconnect=False, connect=False)
    chart = iws.Chart(ws, "symbol", "data.bids.0.price")  # a string and an absent field
    sent = Sent(chart)
    ws.connect()
    eventually(lambda: finished(ws) and chart.ignored == COUNT, what="all ignored")
    assert chart.data()["symbol"] == []
    assert sent.messages and sent.messages[-1][0]["ignored"] == COUNT


def test_chart_starts_from_the_history_already_received(
    ticker: iws.TickerServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(ticker.url, reconnect=False)
    eventually(lambda: finished(ws), what="all ticks received")
    chart = iws.Chart(ws, "price")
    eventually(lambda: len(chart.data()["price"]) == COUNT, what="the backlog charted")


def test_chart_window_setting_applies_at_once(
    ticker: iws.TickerServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(ticker.url, reconnect=False)
    chart = iws.Chart(ws, "seq")
    eventually(lambda: len(chart.data()["seq"]) == COUNT, what="all points")
    chart.points = 10
    assert chart.data()["seq"] == [float(n) for n in range(COUNT - 9, COUNT + 1)]
    with pytest.raises(Exception, match="points must be a positive int"):
        chart.points = 0
    assert chart.points == 10


def test_values_follow_the_latest_value_of_each_field(
    ticker: iws.TickerServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(ticker.url, reconnect=False, connect=False)
    values = iws.Values(ws)
    sent = Sent(values)
    ws.connect()
    eventually(lambda: finished(ws) and values.values.get("seq") == str(COUNT), what="seq 600")
    last = ws.last
    assert last is not None
    assert values.values == {k: json.dumps(v) for k, v in last.json().items()}
    # Only changed rows travel: "type" is always "tick", so it is sent once.
    updates = [row for content, _ in sent.of("values") for row in content["rows"]]
    assert [row[0] for row in updates].count("type") == 1
    assert [row[0] for row in updates].count("seq") == len(sent.of("values"))
    assert all(len(row) == 3 and row[2] > 1e12 for row in updates)

    sent.messages.clear()
    values._on_custom(values, {"type": "hello", "id": "v1"}, [])
    (content, _), *_ = sent.of("table")
    assert content["id"] == "v1"
    assert [row[0] for row in content["rows"]] == ["type", "seq", "time", "symbol", "price"]


def test_values_of_chosen_paths_and_a_limit(
    ticker: iws.TickerServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(ticker.url, reconnect=False)
    chosen = iws.Values(ws, "price", "data.absent")
    limited = iws.Values(ws, limit=2)
    eventually(lambda: finished(ws) and chosen.values and len(limited.values) == 2, what="rows")
    eventually(lambda: float(chosen.values["price"]) == ws.last.json()["price"], what="price")  # type: ignore[union-attr]
    assert list(chosen.values) == ["price"]
    assert list(limited.values) == ["type", "seq"] and limited.overflow == 3
    assert chosen.paths == ["price", "data.absent"]


def test_views_share_one_source(
    ticker: iws.TickerServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(ticker.url, reconnect=False)
    charts = [iws.Chart(ws, "price"), iws.Chart(ws, "seq"), iws.Values(ws)]
    eventually(
        lambda: (
            finished(ws)
            and len(charts[0].data()["price"]) == COUNT  # type: ignore[attr-defined]
            and len(charts[1].data()["seq"]) == COUNT
        ),  # type: ignore[attr-defined]
        what="both charts complete",
    )
    assert ws.received == COUNT  # reading views take nothing from the socket's readers
    assert ws.recv(timeout=timeout_s(1)).json()["seq"] == 1


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (lambda ws: iws.Chart(ws), "at least one field path"),
        (lambda ws: iws.Chart(ws, "a..b"), "bad field path 'a..b'"),
        (lambda ws: iws.Chart(ws, "p", "p"), "given twice"),
        (lambda ws: iws.Chart(ws, "p", window=0), "positive number of seconds"),
        (lambda ws: iws.Chart(ws, "p", points=0), "points must be a positive int"),
        (lambda ws: iws.Values(ws, ""), "bad field path ''"),
        (lambda ws: iws.Values(ws, limit=0), "limit must be a positive int"),
    ],
)
def test_bad_arguments_are_said_at_construction(
    make: Callable[[iws.WebSocket], Any], text: str, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect("ws://127.0.0.1:9", connect=False)
    with pytest.raises(ValueError, match=text):
        make(ws)


def test_a_view_needs_a_websocket() -> None:
    with pytest.raises(TypeError, match="shows a WebSocket"):
        iws.Chart("ws://example.com", "price")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="shows a WebSocket"):
        iws.Values(None)  # type: ignore[arg-type]
