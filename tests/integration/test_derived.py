"""Derived sources: ws.filter() and ws.map() are live sockets of their own, fed by the parent."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.integration.conftest import LocalServer

import ipywebsockets as iws
from timing import eventually, timeout_s

T = timeout_s(5)


@pytest.fixture
def ticker() -> Iterator[iws.TickerServer]:
    with iws.TickerServer(rate=200, symbols=("ABC", "XYZ")) as server:
        yield server


def test_filter_and_map_see_the_stream_live_and_in_order(
    connect: Callable[..., iws.WebSocket], ticker: iws.TickerServer
) -> None:
    ws = connect(ticker.url)
    abc = ws.filter(lambda m: m.json()["symbol"] == "ABC")
    prices = ws.map(lambda m: m.json()["price"])
    got = [abc.recv(T).json() for _ in range(20)]
    assert {t["symbol"] for t in got} == {"ABC"}
    assert [t["seq"] for t in got] == sorted(t["seq"] for t in got)
    values = [prices.recv(T).json() for _ in range(20)]
    assert all(isinstance(v, float) for v in values)
    assert abc.mode == "derived" and abc.status == "open" and abc.url == ws.url
    eventually(lambda: prices.last_value is not None, what="last_value of the map")
    assert isinstance(prices.last_value, float)


def test_every_parent_message_reaches_the_derived_source_exactly_once(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    async def burst(ws: Any) -> None:
        for i in range(5000):
            await ws.send(json.dumps({"n": i, "even": i % 2 == 0}))
        await ws.close(1000, "done")

    ws = connect(make_server(burst).url, history=10_000, reconnect=False, connect=False)
    evens = ws.filter(lambda m: m.json()["even"])
    seen: list[int] = []
    evens.on_message(lambda m: seen.append(m.json()["n"]))
    ws.connect()  # a derived source sees what arrives from its making on
    with pytest.raises(iws.ConnectionClosed):
        while True:
            evens.recv(T)
    eventually(lambda: len(seen) == 2500, what=lambda: f"on_message saw {len(seen)} of 2500")
    assert seen == list(range(0, 5000, 2))
    assert evens.status == "closed" and evens.close_code == 1000 and evens.received == 2500


def test_a_derived_source_ends_after_the_parent_and_its_last_messages(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    async def three(ws: Any) -> None:
        for i in range(3):
            await ws.send(str(i))
        await ws.close(4001, "feed over")

    ws = connect(make_server(three).url, reconnect=False, connect=False)
    doubled = ws.map(lambda m: int(m.text()) * 2)
    ws.connect()
    assert [doubled.recv(T).json() for _ in range(3)] == [0, 2, 4]
    with pytest.raises(iws.ConnectionClosed, match="4001"):
        doubled.recv(T)


def test_errors_in_the_function_skip_and_count(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer], capfd: Any
) -> None:
    async def mixed(ws: Any) -> None:
        for item in ['{"price": 1}', "not json", '{"price": 2}', '{"other": 3}', '{"price": 4}']:
            await ws.send(item)
        await ws.wait_closed()

    ws = connect(make_server(mixed).url, connect=False)
    prices = ws.map(lambda m: m.json()["price"])
    ws.connect()
    assert [prices.recv(T).json() for _ in range(3)] == [1, 2, 4]
    eventually(lambda: prices.callback_errors == 2, what="two skipped")
    assert "map(" in prices.error and "2 message(s) skipped" in prices.error
    assert ws.callback_errors == 0 and ws.error == ""
    err = capfd.readouterr().err
    assert err.count("raised on message") == 1  # the first traceback only


def test_views_bindings_and_chained_derivations_work_on_a_derived_source(
    connect: Callable[..., iws.WebSocket], ticker: iws.TickerServer
) -> None:
    import ipywidgets

    ws = connect(ticker.url)
    abc = ws.filter(lambda m: m.json()["symbol"] == "ABC")
    chart = iws.Chart(abc, "price")
    log = iws.Log(abc)
    slider = ipywidgets.FloatSlider(min=0, max=1000)
    abc.bind("price", slider)
    big = abc.map(lambda m: {"p": m.json()["price"] * 10})
    assert big.recv(T).json()["p"] > 100
    eventually(lambda: slider.value > 50, what="the binding on the derived source")
    for view in (chart, log):
        view.close()


def test_send_goes_through_the_parent_and_close_leaves_the_parent_open(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    echoes = ws.filter(lambda m: True)
    echoes.send({"hello": 1})
    assert echoes.recv(T).json() == {"hello": 1}
    assert ws.recv(T).json() == {"hello": 1}
    echoes.close()
    assert echoes.status == "closed" and ws.status == "open"
    assert len(ws._stream.handlers) == 0 and ws._stream.watchers == ()
    echoes.connect()  # follows again
    ws.send("again")
    assert echoes.recv(T).text() == "again"


def test_closing_the_parent_widget_closes_what_was_derived_and_frees_it(
    echo_server: LocalServer,
) -> None:
    refs = []
    for _ in range(20):
        ws = iws.WebSocket(echo_server.url)
        derived = ws.map(lambda m: m.text()).filter(lambda m: True)
        refs.append(weakref.ref(derived))
        ws.close(widget=True)
        assert derived.comm is None and derived.status == "closed"
        del derived, ws
    gc.collect()
    # As test_faults' open/close cycles: the last one made may still be referenced for a moment.
    assert sum(ref() is not None for ref in refs) <= 1


def test_the_derived_history_is_as_long_as_the_parents(
    connect: Callable[..., iws.WebSocket], ticker: iws.TickerServer
) -> None:
    ws = connect(ticker.url, history=50)
    everything = ws.filter(lambda m: True)
    eventually(lambda: everything.received > 120, what="more than the history")
    assert len(everything.messages) == 50


def test_arecv_on_a_derived_source(
    connect: Callable[..., iws.WebSocket], ticker: iws.TickerServer
) -> None:
    ws = connect(ticker.url)
    xyz = ws.filter(lambda m: m.json()["symbol"] == "XYZ")

    async def three() -> list[str]:
        out = []
        async for msg in xyz:
            out.append(msg.json()["symbol"])
            if len(out) == 3:
                return out
        return out

    assert asyncio.run(three()) == ["XYZ"] * 3


def test_bad_functions_are_refused(connect: Callable[..., iws.WebSocket]) -> None:
    ws = connect("ws://127.0.0.1:9", connect=False)
    with pytest.raises(TypeError, match=r"filter\(\) takes a function of a Message"):
        ws.filter("symbol == 'ABC'")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"map\(\) takes a function"):
        ws.map(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs mode='kernel'"):
        ws.filter(lambda m: True).ping()


def test_a_slow_derived_consumer_does_not_stall_reception(
    connect: Callable[..., iws.WebSocket], ticker: iws.TickerServer
) -> None:
    ws = connect(ticker.url)
    gate = threading.Event()
    slow = ws.map(lambda m: gate.wait(T) and m.text())
    eventually(lambda: ws.received > 100, what="the parent keeps receiving")
    gate.set()
    eventually(lambda: slow.received > 100, what="the derived source catches up")


def test_a_source_derived_from_a_closed_socket_is_closed(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    eventually(lambda: ws.status == "open", what="open")
    ws.close(4002, "done here")
    late = ws.filter(lambda m: True)
    with pytest.raises(iws.ConnectionClosed, match="4002"):
        late.recv(timeout=T)
    ws.connect()  # the socket opens again: so does what was derived from it
    eventually(lambda: late.status == "open", what="the derived source follows")
    ws.send("back")
    assert late.recv(T).text() == "back"
