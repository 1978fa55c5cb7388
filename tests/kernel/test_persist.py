"""The persisted tail: a saved notebook holds the last `persist` messages (updates only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from test_notebooks import KERNELSPEC, WIDGET_STATE, _execute

from conftest import Kernel, result_line

pytestmark = pytest.mark.kernel

ROW_KEYS = {"seq", "time", "dir", "kind", "size", "text", "json"}


def _websocket_states(text: str) -> dict[str, dict[str, Any]]:
    """Saved states of the WebSocket models, by their synced url."""
    meta = json.loads(text)["metadata"]["widgets"][WIDGET_STATE]["state"]
    return {
        m["state"]["url"]: m["state"]
        for m in meta.values()
        if m.get("model_name") == "AnyModel" and "persisted" in m["state"]
    }


def test_saved_notebook_holds_the_last_messages(tmp_path: Path) -> None:
    cells = [
        "import time\nimport ipywebsockets as iws\n"
        "srv = iws.TickerServer(rate=1000, count=300).start()\n"
        "ws = iws.WebSocket(srv.url + '/kept', persist=20)\n"
        "off = iws.WebSocket(srv.url + '/off', persist=0)\n"
        "ws",
        "deadline = time.monotonic() + 20\n"
        "while (ws.status, off.status) != ('closed', 'closed') and time.monotonic() < deadline:\n"
        "    time.sleep(0.05); ws.messages; off.messages\n"
        "last = ws.messages[-1]\n"
        "print(ws.received, off.received, last.seq, last.data)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = KERNELSPEC
    nb = _execute(nb, tmp_path)
    received, off_received, last_seq, last_data = nb.cells[1].outputs[0]["text"].split(" ", 3)
    assert received == off_received == "300"
    path = tmp_path / "persist.ipynb"
    nbformat.write(nb, path)

    states = _websocket_states(path.read_text("utf-8"))
    kept = next(s for url, s in states.items() if url.endswith("/kept"))
    off = next(s for url, s in states.items() if url.endswith("/off"))
    assert off["persisted"] == [], "persist=0 must save no messages"
    rows = kept["persisted"]
    assert len(rows) == 20
    assert all(set(row) == ROW_KEYS for row in rows), rows[0]
    assert [row["seq"] for row in rows] == list(range(281, 301))
    assert rows[-1]["seq"] == int(last_seq)
    # The preview is the JSON re-encoded compactly (1.330 -> 1.33): compare values.
    assert json.loads(rows[-1]["text"]) == json.loads(last_data)
    assert rows[-1]["dir"] == "in" and rows[-1]["kind"] == "text" and rows[-1]["json"] is True
    assert rows[-1]["size"] == len(last_data.strip())


def test_persisted_travels_in_updates_only(kernel: Kernel) -> None:
    model_id = kernel.run(
        "import json, time\nimport ipywebsockets as iws\n"
        "srv = iws.TickerServer(rate=5000).start()\n"
        "ws = iws.WebSocket(srv.url, persist=50, max_fps=30)\n"
        "ws.recv(timeout=10)\n" + result_line("ws.model_id")
    ).result()
    kernel.show(model_id)  # a page shows it: rows go out in frames messages
    window = kernel.run(
        "t0 = time.time(); time.sleep(3); t1 = time.time()\n" + result_line("{'t0': t0, 't1': t1}")
    ).result()
    kernel.run("ws.close(); srv.stop()")

    msgs = [
        e for e in kernel.entries() if e.msg_type == "comm_msg" and e.content["comm_id"] == model_id
    ]
    frames = [
        e.content["data"]["content"]
        for e in msgs
        if e.content["data"].get("method") == "custom"
        and e.content["data"]["content"].get("type") == "frames"
    ]
    assert frames and not any("persisted" in f["state"] for f in frames)
    updates = [
        e
        for e in msgs
        if e.content["data"].get("method") == "update"
        and "persisted" in e.content["data"]["state"]
        and window["t0"] <= e.date <= window["t1"]
    ]
    span = window["t1"] - window["t0"]
    # About once a second while streaming (the publisher's own update cadence), and
    # after a pause of 0.25 s, which a loaded machine's stalls can cause: far below
    # the 30 a second it would cost inside every frames message.
    assert 1 <= len(updates) <= 4 * span + 2, f"{len(updates)} persisted updates in {span:.1f} s"
    rows = updates[-1].content["data"]["state"]["persisted"]
    assert len(rows) == 50 and set(rows[0]) == ROW_KEYS
    assert [r["seq"] for r in rows] == list(range(rows[0]["seq"], rows[0]["seq"] + 50))


def test_saved_notebook_holds_no_sent_messages_and_persist_0_no_data(tmp_path: Path) -> None:
    cells = [
        "import ipywebsockets as iws\n"
        "srv = iws.EchoServer().start()\n"
        "ws = iws.WebSocket(srv.url + '/kept', persist=4)\n"
        "off = iws.WebSocket(srv.url + '/off', persist=0)\n"
        "for sock in (ws, off):\n"
        "    for data in [{'login': 'API-KEY-7x1'}, 'echo-0', 'echo-1', 'echo-2']:\n"
        "        sock.send(data)\n"
        "        sock.recv(timeout=20)\n"
        "print(ws.last_value, off.last_value, ws.sent, off.sent)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = KERNELSPEC
    nb = _execute(nb, tmp_path)
    # last_value stays readable in the kernel whatever persist says.
    assert nb.cells[0].outputs[0]["text"].split() == ["echo-2", "echo-2", "4", "4"]
    path = tmp_path / "sent.ipynb"
    nbformat.write(nb, path)
    text = path.read_text("utf-8")

    states = _websocket_states(text)
    kept = next(s for url, s in states.items() if url.endswith("/kept"))
    off = next(s for url, s in states.items() if url.endswith("/off"))
    # Incoming messages only (sent and received alternate): the echoed login is
    # kept, the login sent is not.
    assert [
        (r["dir"], json.loads(r["text"]) if r["json"] else r["text"]) for r in kept["persisted"]
    ] == [
        ("in", {"login": "API-KEY-7x1"}),
        ("in", "echo-0"),
        ("in", "echo-1"),
        ("in", "echo-2"),
    ]
    assert kept["last_value"] == "echo-2"
    # persist=0: no message data at all in what the notebook saves.
    assert off["persisted"] == [] and off.get("last_value") is None, off
    assert "echo-" not in json.dumps(off)
