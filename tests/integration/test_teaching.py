"""Teaching views on real connections: handshake, inspector, close codes, anatomy, the lab."""

from __future__ import annotations

import http
import time
from collections.abc import Callable
from typing import Any

from tests.integration.conftest import LocalServer, echo
from websockets.asyncio.server import ServerConnection

import ipywebsockets as iws
from ipywebsockets.teaching._base import REDACTED
from timing import eventually, timeout_s


class Sent:
    """Records what a widget sends to its front end (the comm has no front end here)."""

    def __init__(self, widget: Any) -> None:
        self.messages: list[dict[str, Any]] = []
        widget.send = lambda content, buffers=None: self.messages.append(content)

    def frames(self) -> list[dict[str, Any]]:
        batches = [m["frames"] for m in self.messages if m.get("type") == "frames"]
        return [f for batch in batches for f in batch if "reset" not in f]


def ask(widget: Any, sent: Sent, content: dict[str, Any]) -> dict[str, Any]:
    """A custom message as the view sends it; returns the widget's reply."""
    widget._on_custom(widget, {**content, "id": "t1"}, [])
    return next(m for m in reversed(sent.messages) if m.get("id") == "t1")


def test_handshake_view_shows_the_real_exchange_redacted(
    echo_server: LocalServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(
        echo_server.url + "/room?token=tok-123",
        headers={"Authorization": "Bearer sec-456", "X-Tenant": "t-789"},
        inspect=True,
    )
    view = iws.Handshake(ws)
    eventually(lambda: view.state == "open", what="handshake state open")
    assert view.source == "wire"
    assert view.request_line == "GET /room?token=*** HTTP/1.1"
    assert view.response_line == "HTTP/1.1 101 Switching Protocols"
    request = dict(map(tuple, view.request_headers))
    assert request["Authorization"] == REDACTED and request["X-Tenant"] == REDACTED
    assert request["Upgrade"] == "websocket" and request["Sec-WebSocket-Version"] == "13"
    assert sorted(view.redacted) == ["Authorization", "X-Tenant"]
    state = repr(view.get_state())
    for secret in ("tok-123", "sec-456", "t-789"):
        assert secret not in state, f"{secret} reached the synced state"
    accept = view.accept
    assert accept["ok"] is True and accept["expected"] == accept["received"]
    assert accept["key"] == request["Sec-WebSocket-Key"]
    assert "permessage-deflate" in view.extensions


def test_handshake_view_explains_a_refusal(
    make_server: Callable[..., LocalServer], connect: Callable[..., iws.WebSocket]
) -> None:
    def refuse(conn: ServerConnection, request: Any) -> Any:
        return conn.respond(http.HTTPStatus.FORBIDDEN, "Origin http://evil.example not allowed\n")

    server = make_server(echo, process_request=refuse)
    ws = connect(server.url, inspect=True, reconnect=False)
    view = iws.Handshake(ws)
    eventually(lambda: view.state == "refused", what="state refused")
    assert view.status_code == 403
    assert view.response_line == "HTTP/1.1 403 Forbidden"
    assert "Origin" in view.explanation
    assert "evil.example not allowed" in view.response_body


def test_handshake_view_of_a_socket_opened_before_the_tap(
    echo_server: LocalServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(echo_server.url)
    ws.send("x")
    ws.recv(timeout=timeout_s(5))
    view = iws.Handshake(ws)
    assert view.source == "parsed" and view.state == "open"
    assert view.accept["ok"] is True


def test_inspector_batches_frames_with_control_frames(
    echo_server: LocalServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(echo_server.url, inspect=True, connect=False)
    view = iws.Inspector(ws, rows=50)
    sent = Sent(view)
    ws.connect()
    for i in range(300):  # a burst: the view gets batches, never a message per frame
        ws.send(f"m{i}")
    for _ in range(300):
        ws.recv(timeout=timeout_s(5))
    reply = ask(view, sent, {"type": "ping", "payload": "rtt?"})
    assert 0 < reply["rtt"] < 5
    reply = ask(view, sent, {"type": "close", "code": 1001, "reason": "class is over"})
    assert reply["closed"] == 1001
    eventually(lambda: view.frames_seen >= 604, what="all 604 frames seen")
    eventually(lambda: any(f.get("opname") == "close" for f in sent.frames()), what="close sent")
    batches = [m for m in sent.messages if m.get("type") == "frames"]
    assert len(batches) < 60, f"{len(batches)} frame messages for 600 frames: not batched"
    shown = sent.frames()
    assert len(shown) + view.skipped == view.frames_seen, "every frame shown or counted"
    assert view.skipped > 0, "50 rows per batch cannot show a 600-frame burst"
    kinds = {(f["dir"], f["opname"]) for f in shown}
    assert {("out", "ping"), ("in", "pong"), ("out", "close"), ("in", "close")} <= kinds
    close = next(f for f in shown if f["opname"] == "close" and f["dir"] == "out")
    assert close["close"][:2] == [1001, "class is over"]
    assert close["masked"] and close["mask_key"]
    assert view.close_code == 1001 or ws.close_code == 1001
    snapshot = ask(view, sent, {"type": "snapshot"})["frames"]
    assert [f["seq"] for f in snapshot] == [f.seq for f in view.frames][-50:]


def test_inspector_shows_fragments_and_the_reassembled_message(
    make_server: Callable[..., LocalServer], connect: Callable[..., iws.WebSocket]
) -> None:
    async def fragmenting(ws: ServerConnection) -> None:
        async for _ in ws:
            await ws.send(["one ", "two ", "three"])

    server = make_server(fragmenting, compression=None)
    ws = connect(server.url, inspect=True, connect=False)
    view = iws.Inspector(ws)
    sent = Sent(view)
    ws.connect()
    ws.send("go")
    assert ws.recv(timeout=timeout_s(5)).data == "one two three"
    eventually(lambda: any("message" in f for f in sent.frames()), what="the reassembled message")
    parts = [f for f in sent.frames() if f["dir"] == "in" and "fragment" in f]
    assert parts[0]["opname"] == "text" and not parts[0]["fin"]
    assert parts[-1]["opname"] == "continuation" and parts[-1]["fin"]
    assert parts[-1]["message"]["text"] == "one two three"


def test_inspector_created_late_says_so(
    echo_server: LocalServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(echo_server.url)
    ws.send("x")
    ws.recv(timeout=timeout_s(5))
    view = iws.Inspector(ws)
    assert "opened before the inspector" in view.note
    ws.close()
    ws.connect()
    eventually(lambda: view.attempt == 1 and view.note == "", what="the next connection tapped")


def test_close_codes_highlight_and_close_control(
    echo_server: LocalServer, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(echo_server.url)
    ws.send("x")
    ws.recv(timeout=timeout_s(5))
    table = iws.CloseCodes(ws)
    sent = Sent(table)
    assert {1000, 1001, 1002, 1003, 1006, 1007, 1008, 1009, 1011} <= {r[0] for r in table.codes}
    too_long = ask(table, sent, {"type": "close", "code": 1000, "reason": "é" * 70})
    assert "123 bytes" in too_long["error"] and ws.status == "open"
    assert ask(table, sent, {"type": "close", "code": 1008, "reason": "policy"})["closed"] == 1008
    eventually(lambda: table.close_code == 1008, what="close_code 1008")
    assert table.close_reason == "policy"


def test_frame_anatomy_builds_and_explains() -> None:
    pg = iws.FrameAnatomy(payload="Hello", kind="text", mask=True, mask_key="37fa213d")
    assert pg.built["bytes"] == "81 85 37 fa 21 3d 7f 9f 4d 51 58"  # RFC 6455 §5.7
    sent = Sent(pg)
    built = ask(
        pg,
        sent,
        {
            "type": "encode",
            "payload": "abcdefgh",
            "kind": "binary",
            "mask": False,
            "fragment_size": 3,
        },
    )["result"]
    assert [f["opname"] for f in built["frames"]] == ["binary", "continuation", "continuation"]
    assert [f["fin"] for f in built["frames"]] == [False, False, True]
    ping = ask(
        pg,
        sent,
        {
            "type": "encode",
            "payload": "x" * 126,
            "kind": "ping",
            "mask": True,
            "mask_key": "00 00 00 00",
        },
    )["result"]
    assert "at most 125 bytes" in ping["frames"][0]["problems"][0]
    for hextext, from_client, words in [
        ("81 05 48 65 6c 6c 6f", True, "must be masked"),
        ("81 02 c3 28", False, "UTF-8"),
        ("85 00", False, "reserved"),
    ]:
        got = ask(pg, sent, {"type": "decode", "hex": hextext, "from_client": from_client})
        assert words in " ".join(got["result"]["frames"][0]["problems"]), got
    bad = ask(pg, sent, {"type": "decode", "hex": "81 05 48", "from_client": False})["result"]
    assert "incomplete frame" in bad["error"] and "4 more bytes" in bad["error"]
    assert "not a hex digit" in ask(pg, sent, {"type": "decode", "hex": "zz"})["result"]["error"]
    assert [f.opcode_name for f in pg.decode("89 00 8a 00")] == ["ping", "pong"]


def test_polling_vs_push_measures_both() -> None:
    lab = iws.PollingVsPush(events=20, rate=40, interval=0.2)
    started = time.monotonic()
    result = lab.run(timeout=15)
    assert time.monotonic() - started < 10
    poll, push = result["polling"], result["push"]
    assert poll["received"] == push["received"] == 20
    assert poll["requests"] >= 2 and push["setup_bytes"] > 100
    # Push delivers at once; a poll waits on average half an interval (here 100 ms).
    assert push["median_ms"] < poll["median_ms"]
    # Events every 25 ms against polls every 200 ms: latencies spread over 0..175 ms,
    # median about 100 ms (measured: 101.5 ms three times); push takes about 1 ms.
    assert push["median_ms"] < 50
    assert 75 <= poll["median_ms"] <= 1000 * timeout_s(0.175), poll
    assert push["bytes_per_event"] < poll["bytes_per_event"]
    assert lab.state == "done" and lab.results == result
