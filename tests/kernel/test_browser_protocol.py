"""Browser mode's kernel half, driven over the real comm by a front end without subshells.

This test is the front end: it speaks the widget's wire protocol
(src/ipywebsockets/_jupyter/browser.py) over jupyter_client, on the main shell, the way
VS Code or an older JupyterLab delivers widget messages. JupyterLab itself
(with subshells) is covered by tests/e2e/test_browser_mode.py.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from conftest import Entry, Kernel, result_line
from timing import timeout_s

pytestmark = pytest.mark.kernel


def custom(kernel: Kernel, comm_id: str, content: dict[str, Any], buffers: Any = None) -> None:
    """A widget custom message from the "front end", with no subshell id (the main shell)."""
    data = {"comm_id": comm_id, "data": {"method": "custom", "content": content}}
    kc = kernel.kc
    kc.session.send(kc.shell_channel.socket, "comm_msg", data, buffers=buffers or [])


def sent_to_front_end(kind: str) -> Any:
    def match(entry: Entry) -> bool:
        if entry.msg_type != "comm_msg":
            return False
        data = entry.content.get("data", {})
        return data.get("method") == "custom" and data.get("content", {}).get("type") == kind

    return match


def run_while_sending(
    kernel: Kernel, code: str, comm_id: str, content: dict[str, Any], delay: float = 0.7
) -> None:
    """Start ``code``, send ``content`` while it runs, wait for the cell to end."""
    kc = kernel.kc
    msg_id = kc.execute(code, store_history=True, allow_stdin=False)
    time.sleep(delay)
    custom(kernel, comm_id, content)
    deadline = time.monotonic() + timeout_s(30)
    while True:
        msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            assert msg["content"]["status"] == "ok", msg["content"]
            return


def batch(first: int, events: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "batch",
        "client": "fe-1",
        "gen": 1,
        "first": first,
        "running": True,
        "status": "open",
        "error": "",
        "events": events,
        **extra,
    }


def test_protocol_over_the_main_shell(kernel: Kernel) -> None:
    comm_id = kernel.run(
        "import asyncio, json, time\n"
        "import ipywebsockets as iws\n"
        'ws = iws.WebSocket("ws://127.0.0.1:9/feed?token=SECRET", mode="browser", '
        'protocols=["chat"])\n' + result_line("ws.model_id")
    ).result()
    start = len(kernel.entries())

    # A front end appears: the kernel gives it the socket, with the full URL.
    custom(kernel, comm_id, {"type": "hello", "client": "fe-1"})
    owner = kernel.wait_entry(sent_to_front_end("owner"), 10, "owner message", start)
    told = owner.content["data"]["content"]
    assert told["client"] == "fe-1" and told["connect"] is True
    assert told["url"] == "ws://127.0.0.1:9/feed?token=SECRET"
    assert told["protocols"] == ["chat"] and told["seq"] == 1
    gen = told["gen"]

    # The browser opened and received a text and a binary frame.
    now = time.time() * 1000
    events = [
        {"e": "status", "status": "connecting", "error": ""},
        {"e": "open", "subprotocol": "chat"},
        {"e": "status", "status": "open", "error": ""},
        {"e": "in", "t": now, "text": "a"},
        {"e": "in", "t": now + 1, "buf": 0},
    ]
    kc = kernel.kc
    kc.session.send(
        kc.shell_channel.socket,
        "comm_msg",
        {
            "comm_id": comm_id,
            "data": {"method": "custom", "content": batch(1, events, gen=gen)},
        },
        buffers=[b"\x00\xff"],
    )
    state = kernel.run(
        "time.sleep(0.3)\n"
        "first, second = ws.recv(timeout=0), ws.recv(timeout=0)\n"
        "t0 = time.monotonic()\n"
        "try:\n"
        "    ws.recv(timeout=20)\n"
        "    blocking = ['nothing']\n"
        "except Exception as exc:\n"
        "    blocking = [type(exc).__name__, str(exc), time.monotonic() - t0]\n"
        + result_line(
            "dict(status=ws.status, subprotocol=ws.subprotocol, received=ws.received, "
            "first=first.data, second=list(second.data), blocking=blocking)"
        )
    ).result()
    assert state["status"] == "open" and state["subprotocol"] == "chat", state
    assert state["received"] == 2 and state["first"] == "a" and state["second"] == [0, 255]
    kind, text, took = state["blocking"]
    # Over the main shell nothing can arrive while the cell blocks: say so at once.
    assert kind == "FrontendUnavailable", state["blocking"]
    assert "await ws.arecv()" in text and "no kernel subshells" in text, text
    assert took < 1, f"gave up after {took:.1f} s instead of at once"

    # An awaiting cell is served: ipykernel handles comm messages while it awaits.
    run_while_sending(
        kernel,
        "m = await ws.arecv(timeout=20)\n",
        comm_id,
        batch(3, [{"e": "in", "t": time.time() * 1000, "text": "c"}], gen=gen),
    )
    assert kernel.run(result_line("m.data")).result() == "c"

    # A send from a cell goes to the owner; the browser reports it sent.
    start = len(kernel.entries())
    kernel.run('ws.send({"x": 1})')
    order = kernel.wait_entry(sent_to_front_end("ws_send"), 10, "ws_send", start)
    sent = order.content["data"]["content"]
    assert sent["client"] == "fe-1" and sent["text"] == '{"x":1}'
    custom(
        kernel,
        comm_id,
        batch(4, [{"e": "out", "t": time.time() * 1000, "ref": sent["id"]}], gen=gen),
    )
    # Messages 5-9 never arrive: the next batch starts at 10.
    custom(kernel, comm_id, batch(10, [{"e": "in", "t": time.time() * 1000, "text": "j"}], gen=gen))
    state = kernel.run(
        "time.sleep(0.3)\n"
        + result_line(
            "dict(sent=ws.sent, out=[m.data for m in ws.messages if m.direction == 'out'], "
            "lost=ws.lost, error=ws.error, received=ws.received)"
        )
    ).result()
    assert state["sent"] == 1 and state["out"] == ['{"x":1}'], state
    assert state["lost"] == 5 and "never reached the kernel" in state["error"], state
    assert state["received"] == 4

    # ws.close() asks the owner; its report ends the connection for good.
    start = len(kernel.entries())
    kernel.run("ws.close(4000, 'done')")
    order = kernel.wait_entry(sent_to_front_end("ws_close"), 10, "ws_close", start)
    assert order.content["data"]["content"]["code"] == 4000
    custom(
        kernel,
        comm_id,
        batch(
            11,
            [
                {"e": "status", "status": "closing", "error": ""},
                {"e": "closed", "code": 4000, "reason": "done", "error": ""},
            ],
            gen=gen,
            running=False,
            status="closed",
        ),
    )
    state = kernel.run(
        "time.sleep(0.3)\n"
        + result_line("dict(status=ws.status, code=ws.close_code, reason=ws.close_reason)")
    ).result()
    assert state == {"status": "closed", "code": 4000, "reason": "done"}
