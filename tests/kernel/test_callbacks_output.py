"""on_message output and tracebacks appear under the cell that registered the handler."""

from __future__ import annotations

import pytest

from conftest import Kernel, result_line

pytestmark = pytest.mark.kernel

REGISTER = """\
import json, time
import ipywebsockets as iws
srv = iws.EchoServer().start()
ws = iws.WebSocket(srv.url)
handled = []
@ws.on_message
def h(m):
    handled.append(m.data)
    if m.data == "bad":
        raise ValueError("boom")
    print("GOT", m.data)

def until(cond, within=10):
    deadline = time.monotonic() + within
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
"""


def _stream_under(kernel: Kernel, msg_id: str, name: str) -> str:
    return "".join(
        e.content["text"]
        for e in kernel.entries()
        if e.msg_type == "stream" and e.content["name"] == name and e.parent_id == msg_id
    )


def test_callback_output_under_registering_cell(kernel: Kernel) -> None:
    a = kernel.run(REGISTER)
    # The handler prints while cell B is the one running (B waits until it has run).
    b = kernel.run('ws.send("ping-1"); until(lambda: "ping-1" in handled)')
    c = kernel.run("x = 1 + 1")

    kernel.wait_entry(
        lambda e: e.msg_type == "stream" and "GOT ping-1" in e.content["text"],
        5,
        "the handler's print",
    )
    hits = [
        e for e in kernel.entries() if e.msg_type == "stream" and "GOT ping-1" in e.content["text"]
    ]
    assert [e.parent_id for e in hits] == [a.msg_id], (
        f"'GOT ping-1' went to {[e.parent_id for e in hits]}; registering cell A={a.msg_id}, "
        f"sending cell B={b.msg_id}, later cell C={c.msg_id}"
    )
    assert "GOT" not in b.stream() + c.stream()


def test_callback_exception_under_registering_cell(kernel: Kernel) -> None:
    a = kernel.run(REGISTER)
    d = kernel.run(
        'ws.send("bad"); ws.send("ping-2")\n'
        # Handlers run in order: once "ping-2" is handled, "bad" has raised and been counted.
        'until(lambda: "ping-2" in handled)\n'
        "ws.messages\n" + result_line("ws.callback_errors")
    )
    kernel.wait_entry(
        lambda e: e.msg_type == "stream" and "GOT ping-2" in e.content["text"],
        5,
        "the handler kept running after it raised",
    )
    assert d.result() == 1

    err = _stream_under(kernel, a.msg_id, "stderr")
    assert "Traceback" in err and "ValueError: boom" in err, f"stderr under cell A: {err!r}"
    assert "GOT ping-2" in _stream_under(kernel, a.msg_id, "stdout")
    # Nothing leaked to the cell that sent, nor to no cell at all.
    assert "boom" not in d.stream("stderr") + d.stream("stdout")
    orphan = [
        e
        for e in kernel.entries()
        if e.msg_type == "stream" and "boom" in e.content["text"] and e.parent_id != a.msg_id
    ]
    assert not orphan, f"traceback also published under other parents: {orphan}"
    kernel.run("ws.close(); srv.stop()")
