"""Re-running a cell closes the sockets its previous run opened; close_all() closes the rest.

The cells are sent as JupyterLab sends them: an ``execute_request`` whose
metadata carries the cell's id (``cellId``).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from conftest import Kernel, RecordingServer, result_line
from timing import eventually, timeout_s

pytestmark = pytest.mark.kernel


def run_cell(kernel: Kernel, code: str, cell_id: str | None) -> dict[str, Any]:
    """Execute ``code`` as the cell ``cell_id`` (None: no cell id, as a plain client sends)."""
    kc = kernel.kc
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }
    msg = kc.session.msg(
        "execute_request", content, metadata={"cellId": cell_id} if cell_id else {}
    )
    kc.shell_channel.send(msg)
    deadline = time.monotonic() + timeout_s(30)
    while time.monotonic() < deadline:
        try:
            reply = kc.get_shell_msg(timeout=1)
        except Exception:
            continue
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            assert reply["content"]["status"] == "ok", reply["content"]
            return reply  # type: ignore[no-any-return]
    raise AssertionError(f"no execute_reply for {code!r}")


OPEN = (
    "import ipywebsockets as iws, time\n"
    "ws = iws.WebSocket({url!r})\n"
    "deadline = time.monotonic() + 10\n"
    "while ws.handshake is None and time.monotonic() < deadline:\n"
    "    time.sleep(0.02)\n"
)


def open_connections(kernel: Kernel) -> int:
    return int(
        kernel.run(
            "from ipywebsockets._jupyter.lifecycle import open_sockets\n"
            + result_line("sum(s._transport.running for s in open_sockets())")
        ).result()
    )


def test_rerunning_a_cell_closes_what_its_last_run_opened(
    kernel: Kernel, recording_server: RecordingServer
) -> None:
    for _ in range(5):
        run_cell(kernel, OPEN.format(url=recording_server.url), "cell-a")
    eventually(lambda: len(recording_server.closed) == 4, what="4 of 5 connections closed")
    assert {(c.code, c.reason) for c in recording_server.closed} == {
        (1001, "the cell that opened it ran again")
    }
    assert open_connections(kernel) == 1
    # Another cell's socket is its own: running cell b leaves cell a's socket open.
    run_cell(kernel, OPEN.format(url=recording_server.url).replace("ws =", "other ="), "cell-b")
    run_cell(kernel, "x = 1", "cell-a")  # a run that makes no socket closes nothing yet
    assert open_connections(kernel) == 2
    # Without a cell id nothing is closed for you; close_all() closes every socket.
    run_cell(kernel, OPEN.format(url=recording_server.url).replace("ws =", "third ="), None)
    assert open_connections(kernel) == 3
    assert kernel.run(result_line("iws.close_all()")).result() == 3
    assert open_connections(kernel) == 0
