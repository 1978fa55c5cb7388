"""Front-end messages for a widget reach it on the front end's subshell while a cell blocks.

ipykernel 7.4 routes a comm's incoming messages to the shell that last
*published* on the comm (docs/jupyter-internals.md#comm-reply-routing-pin): a
widget that publishes from a cell or from the publisher thread would pin them
to the main shell, where they wait for the running cell to end.
``_jupyter/routing.py`` removes the pin after each publish.

This test is the front end, as JupyterLab is with ``commsOverSubshells``: it
asks the kernel for a subshell over the control channel and sends the view's
``send`` request on it, while a cell that has just published on the widget's
comm (a trait set from the cell, counters from the publisher thread) blocks
waiting for the echo of exactly that request.
"""

from __future__ import annotations

import queue
import time
from typing import Any

import pytest

from conftest import Entry, Kernel, result_line
from timing import timeout_s

pytestmark = pytest.mark.kernel


def create_subshell(kernel: Kernel) -> str:
    kc = kernel.kc
    request = kc.session.msg("create_subshell_request", {})
    kc.control_channel.send(request)
    deadline = time.monotonic() + timeout_s(10)
    while True:
        try:
            reply = kc.get_control_msg(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError("no create_subshell_reply") from None
        if reply["parent_header"].get("msg_id") == request["header"]["msg_id"]:
            assert reply["content"].get("status", "ok") == "ok", reply["content"]
            return str(reply["content"]["subshell_id"])


def custom_on_subshell(kernel: Kernel, comm_id: str, subshell_id: str, content: Any) -> None:
    """A widget custom message from the "front end", over ``subshell_id``."""
    kc = kernel.kc
    data = {"comm_id": comm_id, "data": {"method": "custom", "content": content}}
    msg = kc.session.msg("comm_msg", data)
    msg["header"]["subshell_id"] = subshell_id
    kc.shell_channel.send(msg)


def printed(text: str, parent: str) -> Any:
    def match(entry: Entry) -> bool:
        return (
            entry.msg_type == "stream"
            and entry.parent_id == parent
            and text in entry.content.get("text", "")
        )

    return match


def test_view_request_is_handled_while_a_cell_that_published_blocks(kernel: Kernel) -> None:
    comm_id = kernel.run(
        "import json, time\n"
        "import ipywebsockets as iws\n"
        "echo = iws.EchoServer().start()\n"
        "ws = iws.WebSocket(echo.url)\n"
        "ws.send('warm-up'); ws.recv(timeout=10)\n" + result_line("ws.model_id")
    ).result()
    subshell = create_subshell(kernel)
    kc = kernel.kc
    code = (
        # Publish on the comm from this cell (main shell) and from the publisher thread
        # (the echo moves the counters), then block until the view's send comes back.
        "ws.max_fps = 29\n"
        "ws.send('from-cell'); ws.recv(timeout=10)\n"
        "print('BLOCKING', flush=True)\n"
        "t0 = time.monotonic()\n"
        "try:\n"
        "    m = ws.wait_for(lambda m: m.data == 'from-view', timeout=8)\n"
        # One write per verdict: print's separate writes of its arguments can be flushed
        # to IOPub apart ('GOT' alone, then ' from-view ...').
        "    print(f'GOT {m.data} {round(time.monotonic() - t0, 2)}', flush=True)\n"
        "except TimeoutError:\n"
        "    print(f'STALLED {round(time.monotonic() - t0, 2)}', flush=True)\n"
    )
    msg_id = kc.execute(code, store_history=True, allow_stdin=False)
    kernel.wait_entry(printed("BLOCKING", msg_id), 15, "the cell published and blocks")
    custom_on_subshell(
        kernel, comm_id, subshell, {"type": "send", "id": 1, "format": "text", "data": "from-view"}
    )
    # The cell ends either way: at once (routed to the subshell) or after 8 s (pinned).
    end = kernel.wait_entry(
        lambda e: (
            e.parent_id == msg_id
            and e.msg_type == "stream"
            and ("GOT" in e.content["text"] or "STALLED" in e.content["text"])
        ),
        20,
        "the cell's verdict",
    )
    text = end.content["text"]
    assert text.startswith("GOT from-view"), (
        f"the view's send waited for the cell to end (pinned to the main shell): {text!r}"
    )
    waited = float(text.split()[-1])
    assert waited < 2, f"the view's send took {waited} s to go out while the cell blocked"
    answer = kernel.wait_entry(
        lambda e: (
            e.msg_type == "comm_msg"
            and e.content.get("data", {}).get("content", {}).get("type") == "send_result"
        ),
        5,
        "send_result for the view",
    )
    assert answer.content["data"]["content"] == {"type": "send_result", "id": 1, "error": None}
    assert (
        answer.index
        < kernel.wait_entry(
            lambda e: (
                e.parent_id == msg_id
                and e.msg_type == "status"
                and e.content["execution_state"] == "idle"
            ),
            15,
            "the cell ends",
        ).index
    ), "the answer came only after the cell ended"
