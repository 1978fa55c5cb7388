"""A recv() loop's cost beyond the read itself: the traits it keeps current.

The socket is a real WebSocket widget that never connects; its stream is fed
as the I/O loop feeds it, so what is counted is the reader's own work.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import ipywebsockets as iws
from ipywebsockets._jupyter import frontend

TICK = '{"type":"tick","seq":%d,"symbol":"ABC","price":101.25}'


@pytest.fixture
def ws() -> Iterator[iws.WebSocket]:
    sock = iws.WebSocket("ws://127.0.0.1:9", connect=False, reconnect=False, persist=20)
    try:
        yield sock
    finally:
        sock.close(widget=True)


def test_a_caught_up_reader_refreshes_the_counters_but_builds_no_saved_rows(
    ws: iws.WebSocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[int] = []  # rows built on the reading thread (the publisher has its own)
    row, reader = frontend.persisted_row, threading.current_thread()

    def counted(msg: iws.Message) -> dict[str, Any]:
        if threading.current_thread() is reader:
            built.append(msg.seq)
        return row(msg)

    monkeypatch.setattr(frontend, "persisted_row", counted)
    n = 0
    for _burst in range(5):
        for _ in range(100):
            ws._stream.on_message(TICK % n)
            n += 1
        for _ in range(100):
            ws.recv(0)
        # Caught up: the traits tell what was read.
        assert (ws.received, ws.last_value["seq"]) == (n, n - 1)
    # `persisted` (20 rows for the saved notebook) is the publisher's, about once a second.
    assert built == [], f"the reader built {len(built)} saved rows"
