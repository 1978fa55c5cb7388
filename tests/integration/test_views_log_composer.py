"""Log, Composer and Metrics on a real EchoServer; what they would send the page is checked.

Only the views' send method is replaced (there is no front end here); the
stream, the publisher thread and the views' bookkeeping are the real ones.
"""

from __future__ import annotations

import time
from typing import Any

import ipywebsockets as iws
from ipywebsockets._jupyter.rows import FLAG_BINARY, FLAG_OUT
from timing import eventually, timeout_s


class Sent:
    """Records what a view sends its page: (content, buffers)."""

    def __init__(self, view: Any) -> None:
        self.messages: list[tuple[dict[str, Any], list[bytes]]] = []
        view._send_view = lambda content, buffers=None: self.messages.append(
            (content, list(buffers or []))
        )


def test_log_answers_hello_with_its_history_and_get() -> None:
    with iws.EchoServer() as echo:
        ws = iws.WebSocket(echo.url)
        try:
            for text in ("early-1", "early-2"):
                ws.send(text)
                ws.recv(timeout=timeout_s(5))
            log = iws.Log(ws, rows=500, backlog=2)  # the last 2 of the 4 so far
            assert log._first == 3
            sent = Sent(log)
            # The socket's own frames messages, the witness that the publisher went on.
            flushed: list[int] = []
            ws._sync.send = lambda content, buffers=None: flushed.extend(
                content["frames"]["seq"] if content.get("type") == "frames" else []
            )
            ws._handle_custom_msg({"type": "hello"}, [])  # as the socket's view does
            ws.send(b"\x01\x02")
            ws.recv(timeout=timeout_s(5))
            # Two sentinels, each waited for in the socket's frames: the publisher's pass
            # that sent the first one, which asked the log too, has ended by the second.
            for sentinel in ("sentinel-1", "sentinel-2"):
                ws.send(sentinel)
                echo_seq = ws.recv(timeout=timeout_s(5)).seq
                eventually(lambda seq=echo_seq: seq in flushed, what=f"{sentinel} in frames")
            assert 5 in flushed and 6 in flushed, flushed
            # New rows reach the page with the socket's own frames: the log sends none.
            assert sent.messages == []

            log._on_custom(log, {"type": "hello"}, [])
            reset = sent.messages[-1][0]
            assert reset["type"] == "rows" and reset["reset"] is True
            cols = reset["rows"]
            # The history since the log's first message (7..10: the sentinels and echoes).
            assert cols["seq"] == list(range(3, 11))
            assert (
                cols["flags"]
                == [FLAG_OUT, 0, FLAG_OUT | FLAG_BINARY, FLAG_BINARY]
                + [
                    FLAG_OUT,
                    0,
                ]
                * 2
            )
            assert cols["text"][:2] == ["early-2", "early-2"]
            assert cols["size"] == [7, 7, 2, 2, 10, 10, 10, 10]
            times = [cols["t0"] + t for t in cols["time"]]
            assert times == sorted(times) and abs(times[0] / 1000 - time.time()) < 60
            log._on_custom(log, {"type": "get", "id": 5, "seq": 6}, [])
            content, buffers = sent.messages[-1]
            assert content["type"] == "get_result" and content["id"] == 5
            assert buffers == [b"\x01\x02"]
            assert log.skipped == 0

            # A page that cannot read the socket's rows asks the kernel to send them.
            log._on_custom(log, {"type": "follow"}, [])
            ws.send("later")
            ws.recv(timeout=timeout_s(5))

            def fed() -> list[int]:
                return [
                    seq
                    for c, _ in sent.messages
                    if c.get("type") == "rows" and not c["reset"]
                    for seq in c["rows"]["seq"]
                ]

            eventually(lambda: fed()[-1:] == [12], what=f"rows fed: {fed()}")
            assert fed() == list(range(3, 13)), "from the log's first message, each once"
        finally:
            ws.close(widget=True)


def test_a_late_hello_gets_the_rows_not_yet_flushed_beyond_a_short_history() -> None:
    # Shown, the socket sends rows before its view's hello; a hello that comes late
    # (a cell was running) is answered with the history's tail. Rows still waiting
    # for the next flush reach further back than a short history: they go too, or
    # the page would have a gap between what it had and the tail.
    with iws.EchoServer() as echo:
        ws = iws.WebSocket(echo.url, history=2)
        try:
            sent: list[dict[str, Any]] = []
            ws._sync.send = lambda content, buffers=None: sent.append(content)
            ws._sync.shown()
            with ws._sync.lock:  # no flush meanwhile: everything stays pending
                for k in range(4):
                    ws.send(f"m{k}")
                    ws.recv(timeout=timeout_s(5))
                ws._handle_custom_msg({"type": "hello"}, [])
            reset = [c for c in sent if c.get("type") == "frames" and c["reset"]]
            assert len(reset) == 1, sent
            assert reset[0]["frames"]["seq"] == list(range(1, 9)), reset[0]
            assert reset[0]["omitted"] == 0
        finally:
            ws.close()


def test_composer_sends_and_mirrors_status_metrics_measure() -> None:
    with iws.EchoServer() as echo:
        ws = iws.WebSocket(echo.url)
        try:
            composer = iws.Composer(ws, saved=[{"name": "a", "format": "text", "data": "x"}])
            metrics = iws.Metrics(ws)
            sent = Sent(composer)
            eventually(lambda: ws.status == "open")
            composer._on_custom(
                composer, {"type": "send", "id": 1, "format": "json", "data": "[1]"}, []
            )
            composer._on_custom(composer, {"type": "send", "id": 2, "format": "binary"}, [b"\xff"])
            composer._on_custom(
                composer, {"type": "send", "id": 3, "format": "json", "data": "{"}, []
            )
            results = {c["id"]: c["error"] for c, _ in sent.messages}
            assert results[1] is None and results[2] is None
            assert "not valid JSON" in results[3]
            assert ws.recv(timeout=timeout_s(5)).data == "[1]"
            assert ws.recv(timeout=timeout_s(5)).data == b"\xff"
            assert composer.saved == [{"name": "a", "format": "text", "data": "x"}]

            for i in range(20):
                ws.send(f"m{i}")
            rtt = ws.ping()
            eventually(lambda: metrics.gap_mean_ms is not None and metrics.latency is not None)
            assert abs((metrics.latency or 0) - rtt) < 1e-5 and ws.latency is not None
            ws.close()
            eventually(lambda: composer.status == "closed")
            eventually(lambda: metrics.timeline[-1]["status"] == "closed")
            assert [c["status"] for c in metrics.timeline][-2:] in (
                ["open", "closed"],
                ["closing", "closed"],
            )
        finally:
            ws.close(widget=True)
