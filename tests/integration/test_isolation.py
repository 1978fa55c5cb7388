"""What user code and hostile peers cannot take down: the publisher, the view, the wire tap."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import ipywidgets
import pytest
from tests.integration.conftest import LocalServer, LoopThread, answer_handshake_by_hand, echo

import ipywebsockets as iws
from ipywebsockets.frames import encode_frame
from ipywebsockets.views._window import Latest
from ipywebsockets.wire import FrameReader
from timing import eventually, timeout_s

T = timeout_s(5)


class Stop(BaseException):
    """Not an Exception: what a careless transform might raise (like SystemExit)."""


def test_an_observer_that_raises_does_not_stop_the_view(
    connect: Callable[..., iws.WebSocket],
    echo_server: LocalServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ws = connect(echo_server.url)
    ws.observe(lambda change: 1 / 0, names="received")
    for i in range(5):
        ws.send(str(i))
    eventually(lambda: ws.received == 5, what="received reaches 5 despite the observer")
    eventually(lambda: ws.last_value == 4 and ws.sent == 5, what="the other traits still flow")
    eventually(lambda: ws.callback_errors >= 1, what="the failures counted")
    assert capsys.readouterr().err.count("an observer of WebSocket.received raised") == 1


def test_a_base_exception_in_a_transform_does_not_end_the_publisher(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url)
    slider = ipywidgets.IntSlider()

    def transform(value: Any) -> int:
        if value == 1:
            raise Stop("not an Exception")
        return int(value)

    binding = ws.bind("n", slider, transform=transform)
    ws.send({"n": 1})
    eventually(lambda: binding.failed == 1, what="the transform failed once")
    assert "Stop" in ws.binding_errors[0]
    # The one publisher thread of the process is alive: another socket's view still updates.
    other = connect(echo_server.url)
    other.send({"n": 2})
    ws.send({"n": 3})
    eventually(lambda: other.last_value == {"n": 2} and slider.value == 3, what="still publishing")


def test_values_remembers_a_bounded_number_of_refused_paths() -> None:
    latest = Latest(limit=10)
    for i in range(100_000):  # an order book keyed by price: no end of new paths
        latest._set(f"bids.{i}", i, 0.0)
    assert len(latest.fields) == 10
    assert latest.overflow >= 100_000 - 10
    assert len(latest._unknown) <= 40


def test_head_with_content_length_on_101_is_no_body() -> None:
    head = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    frame = encode_frame(1, b"hello")
    reader = FrameReader()
    out = reader.feed(head + frame)
    assert reader.head == head
    assert [f.payload for f in out] == [b"hello"]


def test_a_head_fed_a_byte_at_a_time_is_scanned_once() -> None:
    head = b"HTTP/1.1 101 Switching Protocols\r\n" + b"X-Pad: " + b"a" * 60_000 + b"\r\n\r\n"
    reader = FrameReader()
    started = time.perf_counter()
    for i in range(len(head)):
        reader.feed(head[i : i + 1])
    took = time.perf_counter() - started
    assert reader.head == head
    assert took < 1.0  # quadratic re-copying took minutes here


def test_a_head_that_never_ends_is_cut() -> None:
    reader = FrameReader()
    reader.feed(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 20_000)
    assert reader.head is not None and len(reader.head) == 64 * 1024


def test_wiretap_keeps_frames_by_bytes_too(
    connect: Callable[..., iws.WebSocket], make_server: Callable[..., LocalServer]
) -> None:
    ws = connect(make_server(echo, max_size=None).url, connect=False, max_size=None)
    tap = ws.inspect()
    tap.max_bytes = 3 * 2**20
    ws.connect()
    big = "x" * 2**20
    for _ in range(6):
        ws.send(big)
        assert ws.recv(timeout=T).size == 2**20
    capture = tap.current
    assert capture is not None
    eventually(lambda: capture.count >= 12, what="12 data frames seen")
    assert capture.kept_bytes <= 3 * 2**20
    kept = sum(len(f.frame.raw) + len(f.data or b"") for f in capture.frames)
    assert kept == capture.kept_bytes
    assert capture.evicted >= 12 - 3
    assert capture.count == len(capture.frames) + capture.evicted


def test_a_frame_larger_than_the_tap_is_counted_not_kept(
    connect: Callable[..., iws.WebSocket], echo_server: LocalServer
) -> None:
    ws = connect(echo_server.url, connect=False)
    tap = ws.inspect()
    tap.max_bytes = 1000
    ws.connect()
    ws.send("small")
    ws.send("x" * 5000)
    ws.send("after")
    for _ in range(3):
        ws.recv(timeout=T)
    capture = tap.current
    assert capture is not None
    eventually(lambda: capture.count >= 6, what="6 data frames tapped")
    assert all(len(f.frame.raw) < 1000 for f in capture.frames)
    assert capture.evicted >= 2 and capture.kept_bytes <= 1000
    assert capture.count == len(capture.frames) + capture.evicted


def test_a_101_with_content_length_from_a_real_server_is_tapped(
    connect: Callable[..., iws.WebSocket], loop_thread: LoopThread
) -> None:
    async def odd_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        extra = b"Content-Length: 500\r\n"
        await answer_handshake_by_hand(reader, writer, extra, then=encode_frame(1, b"first"))
        await asyncio.sleep(5)
        writer.close()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(odd_server, "127.0.0.1", 0)

    server = loop_thread.run(start())
    ws = connect(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}", inspect=True)
    assert ws.recv(timeout=T).data == "first"
    capture = ws._transport.tap.current
    eventually(lambda: capture.response_head is not None and capture.count >= 1, what="tapped")
    assert capture.frames[0].frame.payload == b"first"
    server.close()
