"""Bindings against real servers, outside a kernel: ws.bind(...) and ws.bind_output(...)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets
import pytest
import traitlets
from tests.integration.conftest import LocalServer
from websockets.asyncio.server import ServerConnection

import ipywebsockets as iws
from ipywebsockets._jupyter.capture import capturing
from timing import eventually, timeout_s


async def burst(ws: ServerConnection) -> None:
    """Each request ``{"n": N, "field": f}`` is answered with N messages ``{f: i, "i": i}``."""
    async for request in ws:
        spec = json.loads(request)
        field = spec.get("field", "price")
        for i in range(spec["n"]):
            await ws.send(json.dumps({field: i, "i": i, "data": {"px": i * 2}}))


class Target(traitlets.HasTraits):
    value = traitlets.Float(-1.0)
    label = traitlets.Unicode("")
    fixed = traitlets.Int(0, read_only=True)


@pytest.fixture
def server(make_server: Callable[..., LocalServer]) -> LocalServer:
    return make_server(burst)


def _open(connect: Callable[..., iws.WebSocket], server: LocalServer, **kw: Any) -> iws.WebSocket:
    ws = connect(server.url, **kw)
    eventually(lambda: ws._stream.state["status"] == "open", what="the socket opens")
    return ws


def _burst(ws: iws.WebSocket, n: int, field: str = "price") -> None:
    before = ws._stream.stats.received
    ws.send({"n": n, "field": field})
    eventually(lambda: ws._stream.stats.received >= before + n, 10, f"{n} messages arrive")


def test_last_value_wins_after_a_burst(connect: Any, server: LocalServer) -> None:
    ws = _open(connect, server, history=100_000, max_fps=10)
    target = Target()
    changes: list[float] = []
    target.observe(lambda change: changes.append(change["new"]), names=["value"])
    binding = ws.bind("price", target, "value")
    started = time.monotonic()
    _burst(ws, 20_000)
    eventually(lambda: target.value == 19_999, what="the last price reaches the target")
    elapsed = time.monotonic() - started
    # Coalesced: at most max_fps sets a second (plus the first one), never one per message.
    assert binding.applied <= 10 * elapsed + 2, (binding, elapsed)
    assert len(changes) == binding.applied
    assert changes == sorted(changes), "values went backwards"
    eventually(
        lambda: binding.applied + binding.coalesced + binding.unmatched + binding.skipped == 20_000,
        what="every incoming message is accounted for",
    )
    assert binding.unmatched == 0 and binding.skipped == 0
    assert ws.binding_errors == []


def test_evicted_messages_are_counted_and_the_last_still_wins(
    connect: Any, make_server: Callable[..., LocalServer]
) -> None:
    go = threading.Event()

    async def push_when_told(ws: ServerConnection) -> None:
        """20,000 messages, and nothing goes out: every message the binding sees is incoming."""
        await asyncio.to_thread(go.wait, timeout_s(10))
        for i in range(20_000):
            await ws.send(json.dumps({"price": i, "i": i}))
        await ws.wait_closed()

    ws = _open(connect, make_server(push_when_told), history=50, max_fps=5)
    target = Target()
    binding = ws.bind("price", target)
    go.set()
    eventually(lambda: target.value == 19_999, 10, "the last price reaches the target")
    assert binding.skipped > 0, "a 50-message history must have evicted some before a read"
    assert binding.unmatched == 0 and binding.failed == 0
    eventually(
        lambda: binding.applied + binding.coalesced + binding.skipped == 20_000,
        what="every message applied, coalesced or counted as skipped",
    )
    assert ws._stream.stats.received == 20_000


def test_drives_a_float_slider_with_transform(connect: Any, server: LocalServer) -> None:
    ws = _open(connect, server)
    slider = ipywidgets.FloatSlider(min=0, max=100_000)
    label = Target()
    ws.bind("data.px", slider, "value")
    ws.bind("price", label, "label", transform=lambda v: f"${v:,}")
    _burst(ws, 3000)
    eventually(lambda: slider.value == 5998, what="slider gets data.px of the last message")
    eventually(lambda: label.label == "$2,999", what="the transform applies")
    slider.close()


def test_current_value_applies_at_bind_time(connect: Any, server: LocalServer) -> None:
    ws = _open(connect, server)
    _burst(ws, 10)
    target = Target()
    ws.bind("price", target)
    eventually(lambda: target.value == 9, what="the newest message already received applies")


def test_bind_time_errors(connect: Any, server: LocalServer) -> None:
    ws = _open(connect, server)
    target = Target()
    with pytest.raises(ValueError, match="bad field path"):
        ws.bind("data..px", target)
    slider = ipywidgets.FloatSlider()
    with pytest.raises(ValueError, match="FloatSlider has no trait 'valu'; did you mean 'value'"):
        ws.bind("price", slider, "valu")
    with pytest.raises(ValueError, match="read-only"):
        ws.bind("price", target, "fixed")
    with pytest.raises(TypeError, match="not a dict"):
        ws.bind("price", {}, "value")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="transform must be callable"):
        ws.bind("price", target, transform=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_fps"):
        ws.bind("price", target, max_fps=0)
    assert ws.bindings == []
    slider.close()


def test_missing_field_reported_once_with_a_hint(connect: Any, server: LocalServer) -> None:
    ws = _open(connect, server)
    target = Target()
    binding = ws.bind("pricee", target)
    _burst(ws, 500)
    eventually(lambda: ws.binding_errors, what="the missing field is reported")
    (error,) = ws.binding_errors
    assert error.startswith("bind('pricee' → Target.value): no message carried 'pricee'"), error
    assert "did you mean 'price'?" in error
    assert binding.error == error
    _burst(ws, 500)
    # Wait until the binding has read all 1,000 (none carries the field), then look.
    eventually(lambda: binding.unmatched == 1000, what="the binding read the second burst")
    assert ws.binding_errors == [error], "reported once per binding, not once per message"
    assert target.value == -1.0


def test_raising_transform_reported_once_and_stream_goes_on(
    connect: Any, server: LocalServer
) -> None:
    ws = _open(connect, server, max_fps=20)
    target = Target()
    good = Target()

    def odd_only(v: int) -> float:
        if v % 2 == 0:
            raise ValueError(f"{v} is even")
        return float(v)

    binding = ws.bind("i", target, transform=odd_only)
    ws.bind("i", good)
    for n in range(5):
        _burst(ws, 2 if n % 2 == 0 else 1)  # ends on 1 (odd) or 0 (even) alternately
        # The binding reads each burst on its own: it ends on 0 twice, so it fails twice.
        eventually(lambda: not binding._cursor.pending, what=f"the binding read burst {n}")
    assert binding.failed >= 2 and binding.applied >= 3, binding
    errors = ws.binding_errors
    assert len(errors) == 1, errors
    assert "transform raised ValueError: 0 is even" in errors[0]
    assert "the binding goes on" in errors[0]
    _burst(ws, 8)
    eventually(lambda: target.value == 7.0, what="values that transform still apply")
    eventually(lambda: good.value == 7.0, what="the other binding is unaffected")
    assert ws._stream.stats.received == 2 + 1 + 2 + 1 + 2 + 8
    assert ws._stream.state["status"] == "open"


def test_unbind_stops_and_clears_its_error(connect: Any, server: LocalServer) -> None:
    ws = _open(connect, server)
    target = Target()
    binding = ws.bind("price", target)
    broken = ws.bind("nope", Target())
    _burst(ws, 200)
    eventually(lambda: target.value == 199, what="bound")
    eventually(lambda: ws.binding_errors, what="the broken binding is reported")
    binding.unbind()
    broken.unbind()
    applied = binding.applied
    assert ws.binding_errors == []
    assert ws.bindings == []
    # A witness bound now, on the same publisher: once it has seen a sentinel burst sent
    # after the first, the publisher has gone past the 50 messages for every binding.
    witness = Target()
    ws.bind("price", witness)
    eventually(lambda: witness.value == 199, what="the witness starts current")
    _burst(ws, 50)
    eventually(lambda: witness.value == 49, what="the witness saw the burst")
    _burst(ws, 1)  # the sentinel: price 0
    eventually(lambda: witness.value == 0, what="the witness saw the sentinel")
    assert target.value == 199, "an unbound binding must not set the target"
    assert not binding.active and binding.applied == applied


def test_bind_output_prints_into_the_output_widget(connect: Any, server: LocalServer) -> None:
    ws = _open(connect, server, max_fps=10, history=100_000)
    out = ipywidgets.Output()
    calls: list[int] = []

    def show(msg: iws.Message) -> None:
        calls.append(msg.json()["i"])
        print("price", msg.json()["price"])

    binding = ws.bind_output(out, show, keep=5)
    started = time.monotonic()
    _burst(ws, 5000)
    eventually(lambda: calls and calls[-1] == 4999, what="fn sees the last message")
    elapsed = time.monotonic() - started
    assert len(calls) <= 10 * elapsed + 2, f"{len(calls)} calls in {elapsed:.2f} s at max_fps=10"
    eventually(
        lambda: out.outputs and out.outputs[-1]["text"] == "price 4999\n",
        what="the last print is in the Output widget",
    )
    assert len(out.outputs) <= 5
    assert all(o["output_type"] == "stream" and o["name"] == "stdout" for o in out.outputs)
    assert binding.calls == len(calls)
    assert binding.skipped == 0
    assert binding.calls + binding.coalesced == 5000
    binding.unbind()
    out.close()


def test_bind_output_clear_and_errors(connect: Any, server: LocalServer) -> None:
    ws = _open(connect, server, max_fps=20)
    out = ipywidgets.Output()

    def panel(msg: iws.Message) -> None:
        i = msg.json()["i"]
        print(f"i={i}")
        if i % 2 == 0:
            raise RuntimeError(f"even {i}")

    binding = ws.bind_output(out, panel, clear=True)
    _burst(ws, 1)  # i=0: raises
    eventually(lambda: binding.failed == 1, what="fn raised")
    eventually(lambda: ws.binding_errors, what="reported")
    assert "raised RuntimeError: even 0" in ws.binding_errors[0]
    eventually(lambda: len(out.outputs) == 2, what="output and traceback shown")
    assert out.outputs[0]["text"] == "i=0\n"
    assert "RuntimeError: even 0" in out.outputs[1]["text"]
    _burst(ws, 2)  # ends with i=1: fine, and replaces the panel
    eventually(lambda: [o["text"] for o in out.outputs] == ["i=1\n"], what="clear=True replaces")
    _burst(ws, 1)  # i=0 again: raises, no second report
    eventually(lambda: binding.failed == 2, what="raised again")
    assert len(ws.binding_errors) == 1
    binding.unbind()
    out.close()


def test_bind_output_checks_arguments(connect: Any, server: LocalServer) -> None:
    ws = _open(connect, server)
    with pytest.raises(TypeError, match=r"ipywidgets\.Output"):
        ws.bind_output(Target(), print)
    out = ipywidgets.Output()
    with pytest.raises(TypeError, match="fn must be callable"):
        ws.bind_output(out, None)  # type: ignore[arg-type]
    out.close()


def test_final_value_after_the_stream_stops(connect: Any, server: LocalServer) -> None:
    """The last value arrives even when nothing follows it (the binding looks again)."""
    ws = _open(connect, server, max_fps=1)
    target = Target()
    ws.bind("price", target)
    _burst(ws, 1)
    eventually(lambda: target.value == 0, 3, "first")
    _burst(ws, 3)  # within the same second: coalesced, then delivered after the interval
    eventually(lambda: target.value == 2, 3, "the last value after a pause")


def test_closing_the_widget_ends_its_bindings(connect: Any, server: LocalServer) -> None:
    ws = _open(connect, server)
    out = ipywidgets.Output()
    value = ws.bind("price", Target())
    shown = ws.bind_output(out, print)
    assert ws.bindings == [value, shown]
    ws.close(widget=True)
    assert ws.bindings == [] and not value.active and not shown.active
    shown._thread.join(timeout_s(2))
    assert not shown._thread.is_alive(), "bind_output's thread must end with the widget"
    out.close()


def test_capturing_takes_only_the_calling_threads_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    inside = threading.Event()
    release = threading.Event()
    results: list[Any] = []

    def worker() -> None:
        with capturing() as captured:
            print("captured line")
            inside.set()
            release.wait(timeout_s(5))
            print("more", end="")
        results.append(captured.outputs)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(timeout_s(5))
    print("main thread line")  # while the worker captures
    release.set()
    thread.join(timeout_s(5))
    assert results == [[{"output_type": "stream", "name": "stdout", "text": "captured line\nmore"}]]
    out = capsys.readouterr().out
    assert "main thread line" in out and "captured" not in out
