"""``by=``: Chart and Values split a real server's stream by a field (one line / row group each).

Only the views' send method is replaced (there is no front end here); the
servers, the stream, the publisher thread and the views' bookkeeping are real.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from test_chart_values_followers import Sent

import ipywebsockets as iws
from timing import eventually

COUNT = 600
SYMBOLS = ("ABC", "XYZ", "QRS")


def floats(buffer: bytes) -> list[float]:
    return list(struct.unpack(f"<{len(buffer) // 8}d", buffer))


def by_group(sent: Sent, series: int, kind: str = "points") -> dict[int, list[list[float]]]:
    """Each group's columns [times, series...] from the ``parts`` of every ``kind`` message."""
    out: dict[int, list[list[float]]] = {}
    for content, buffers in sent.of(kind):
        at = 0
        for group, n in content["parts"]:
            taken = buffers[at : at + 1 + series]
            at += 1 + series
            assert all(len(b) == n * 8 for b in taken)
            cols = out.setdefault(group, [[] for _ in range(1 + series)])
            for col, buf in zip(cols, taken, strict=True):
                col.extend(floats(buf))
        assert at == len(buffers)
    return out


@pytest.fixture
def ticker() -> Iterator[iws.TickerServer]:
    with iws.TickerServer(rate=None, count=COUNT, symbols=SYMBOLS, seed=3) as srv:
        yield srv


def test_chart_draws_a_line_per_symbol(
    ticker: iws.TickerServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(ticker.url, reconnect=False, connect=False)
    chart = iws.Chart(ws, "price", "seq", by="symbol", window=None, points=150)
    sent = Sent(chart)
    ws.connect()
    eventually(
        lambda: ws.received == COUNT and chart.data().get("QRS", {}).get("seq", [])[-1:] == [COUNT],
        what="all ticks charted",
    )
    ticks = [m.json() for m in ws.messages if m.direction == "in"]
    assert chart.groups == [t["symbol"] for t in ticks[:3]]  # first-seen order
    data = chart.data()
    for symbol in SYMBOLS:
        mine = [t for t in ticks if t["symbol"] == symbol]
        # points=150 bounds each line: each symbol keeps its newest 150 ticks of its 200.
        assert data[symbol]["seq"] == [float(t["seq"]) for t in mine[-150:]]
        assert data[symbol]["price"] == [t["price"] for t in mine[-150:]]
    assert chart.ungrouped == chart.extra_groups == chart.ignored == 0

    # What the page was sent: every tick once, in its group, the labels when they grew.
    sent_groups = by_group(sent, 2)
    for index, symbol in enumerate(chart.groups):
        seq = sent_groups[index][2]
        assert seq == [float(t["seq"]) for t in ticks if t["symbol"] == symbol]
    told = [c["groups"] for c, _ in sent.of("points") if "groups" in c]
    assert told[-1] == chart.groups and all(told[-1][: len(g)] == g for g in told)
    assert len(sent.of("points")) < COUNT / 5  # coalesced

    # A new view gets the whole window of every group, with the labels.
    sent.messages.clear()
    chart._on_custom(chart, {"type": "hello", "id": "v"}, [])
    (content, _), *_ = sent.of("window")
    assert content["groups"] == chart.groups and content["id"] == "v"
    assert [n for _, n in content["parts"]] == [150, 150, 150]
    assert by_group(sent, 2, "window")[0][2] == data[chart.groups[0]]["seq"]


async def mixed_feed(ws: Any) -> None:
    """Four symbols under data.sym, a message without one, one with a list, a heartbeat."""
    for i in range(40):
        await ws.send(json.dumps({"data": {"sym": "ABCD"[i % 4], "px": i}}))
    await ws.send(json.dumps({"data": {"px": 1}}))  # a number, no group
    await ws.send(json.dumps({"data": {"sym": ["A"], "px": 1}}))  # not a scalar
    await ws.send(json.dumps({"type": "heartbeat"}))  # no number, no group
    await ws.send(json.dumps({"data": {"sym": 7, "px": 2}}))  # a number is a group's value
    await ws.wait_closed()


def test_groups_past_the_cap_and_messages_without_one_are_counted(
    make_server: Callable[..., Any], connect: Callable[..., iws.WebSocket]
) -> None:
    server = make_server(mixed_feed)
    ws = connect(server.url, reconnect=False, connect=False)
    chart = iws.Chart(ws, "data.px", by="data.sym", max_groups=2)
    values = iws.Values(ws, by="data.sym", max_groups=3)
    sent_chart, sent_values = Sent(chart), Sent(values)
    ws.connect()
    eventually(lambda: chart.extra_messages == 21 and values.extra_messages == 11, what="counts")
    assert chart.groups == ["A", "B"] and values.groups == ["A", "B", "C"]
    # Chart: C, D and 7 not drawn (21 messages); 2 with a number and no group; the
    # heartbeat has no number (ignored, as without by).
    assert (chart.extra_groups, chart.ungrouped, chart.ignored) == (3, 2, 1)
    # Values: D and 7 not shown (11 messages); 3 name no group (the heartbeat too).
    assert (values.extra_groups, values.ungrouped) == (2, 3)
    assert [len(v) for v in chart.data()["A"].values()] == [10, 10]
    last = sent_chart.messages[-1][0]
    assert (last["extra_groups"], last["extra_messages"], last["ungrouped"]) == (3, 21, 2)
    last = sent_values.messages[-1][0]
    assert (last["extra_groups"], last["extra_messages"], last["ungrouped"]) == (2, 11, 3)


def test_values_show_a_group_of_rows_per_symbol(
    ticker: iws.TickerServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(ticker.url, reconnect=False, connect=False)
    values = iws.Values(ws, by="symbol")
    chosen = iws.Values(ws, "price", by="symbol")
    sent = Sent(values)
    ws.connect()
    eventually(
        lambda: (
            ws.received == COUNT and str(COUNT) in [g.get("seq") for g in values.values.values()]
        ),
        what="the last tick shown",
    )
    ticks = [m.json() for m in ws.messages if m.direction == "in"]
    newest = {t["symbol"]: t for t in ticks}  # each symbol's newest tick
    assert list(values.values) == [t["symbol"] for t in ticks[:3]]
    for symbol, fields in values.values.items():
        assert fields == {k: json.dumps(v) for k, v in newest[symbol].items()}
    eventually(
        lambda: chosen.values == {s: {"price": json.dumps(newest[s]["price"])} for s in SYMBOLS},
        what="chosen paths per group",
    )
    assert values.ungrouped == values.extra_groups == values.overflow == 0

    # Rows travel with their group's index; a new view gets every group's rows.
    rows = [row for content, _ in sent.of("values") for row in content["rows"]]
    assert {row[3] for row in rows} == {0, 1, 2}
    symbols = [(json.loads(row[1]), values.groups[row[3]]) for row in rows if row[0] == "symbol"]
    assert len(symbols) == 3 and all(shown == group for shown, group in symbols)
    sent.messages.clear()
    values._on_custom(values, {"type": "hello", "id": "v"}, [])
    (content, _), *_ = sent.of("table")
    assert content["groups"] == values.groups
    assert [(r[3], r[0]) for r in content["rows"]][:6] == [
        (0, "type"),
        (0, "seq"),
        (0, "time"),
        (0, "symbol"),
        (0, "price"),
        (1, "type"),
    ]


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (lambda ws: iws.Chart(ws, "p", by="a..b"), "by='a..b' is not a field path"),
        (lambda ws: iws.Chart(ws, "p", by=""), "by='' is not a field path"),
        (lambda ws: iws.Chart(ws, "p", by=3), "by= names a field"),
        (lambda ws: iws.Values(ws, by=".sym"), "by='.sym' is not a field path"),
        (lambda ws: iws.Chart(ws, "p", by="s", max_groups=0), "max_groups must be from 1"),
        (lambda ws: iws.Values(ws, by="s", max_groups="9"), "max_groups must be an int"),
        (lambda ws: iws.Values(ws, max_groups=0), "max_groups must be from 1"),
    ],
)
def test_bad_by_arguments_are_said_at_construction(
    make: Callable[[iws.WebSocket], Any], text: str, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect("ws://127.0.0.1:9", connect=False)
    with pytest.raises(ValueError, match=text):
        make(ws)
