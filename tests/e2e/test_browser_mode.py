"""mode="browser" in a real JupyterLab: the socket is Chromium's, the kernel mirrors it.

Servers run inside the notebook's kernel on 127.0.0.1; JupyterLab is served from
127.0.0.1 too, so Chromium's Local Network Access checks allow the connection.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from iws_e2e_harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    assert_ticker_live,
    int_text,
    run_cell,
    run_notebook,
    wait_for_cell_output,
    wait_for_text,
    wait_open,
)

from timing import timeout_ms, timeout_s

pytestmark = pytest.mark.e2e


def test_browser_ticker_same_stream_in_view_and_kernel(page, notebook_runner):
    name = notebook_runner(
        [
            "import ipywebsockets as iws",
            "srv = iws.TickerServer(rate=50).start()",
            'ws = iws.WebSocket(srv.url, mode="browser")',
            "ws",
            "ws",  # shown twice: still one socket
        ],
        ui="lab",
    )
    wait_open(page, name)
    assert page.locator(".iws-widget").count() == 2
    assert_ticker_live(page)
    page.locator('.iws-row[data-dir="in"] .iws-text').filter(has_text='"symbol"').first.wait_for(
        timeout=timeout_ms(10)
    )

    # Closing a view (clearing the output that holds it) keeps the socket.
    page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.widgets[4].model.outputs.clear()"
    )
    page.wait_for_function("() => document.querySelectorAll('.iws-widget').length === 1")
    before = int_text(page, ".iws-received")
    time.sleep(1.0)
    assert int_text(page, ".iws-received") > before, "the stream stopped with the second view"

    # A blocking recv() in a cell gets the browser's frames while the cell runs: drain
    # what is buffered, then it must get a message newer than the call.
    idx = run_cell(
        page,
        name,
        "import time\n"
        "drained = 0\n"
        "while True:\n"
        "    try:\n"
        "        ws.recv(timeout=0)\n"
        "        drained += 1\n"
        "    except TimeoutError:\n"
        "        break\n"
        "before = max(m.seq for m in ws.messages)\n"
        "first = ws.recv(timeout=10)\n"
        "r0 = ws.received\n"
        "time.sleep(1.5)\n"
        'print("CLIENTS", srv.clients, "RECV", first.json()["symbol"], "NEWER", '
        'first.seq > before, "DURING", ws.received - r0, "DRAINED", drained)',
    )
    m = wait_for_cell_output(
        page, name, idx, r"CLIENTS (\d+) RECV (\w+) NEWER (\w+) DURING (\d+) DRAINED (\d+)"
    )
    assert m.group(1) == "1", f"the ticker sees {m.group(1)} connections for one model"
    assert int(m.group(5)) > 0, "nothing was buffered: the drain proved nothing"
    assert m.group(3) == "True", f"recv() returned a message older than the call: {m.group(0)}"
    # 50 messages/s for 1.5 s while the main thread sleeps: they arrive during the cell.
    assert int(m.group(4)) >= 20, f"only {m.group(4)} messages reached the kernel in 1.5 s"

    # Frames reach the kernel in batches: at most max_fps messages a second, however
    # fast they come (the heartbeat rides on them).
    idx = run_cell(
        page,
        name,
        "ws.max_fps = 5\n"
        "fast = iws.TickerServer(rate=3000).start()\n"
        'busy = iws.WebSocket(fast.url, mode="browser", max_fps=5)\n'
        "display(busy)\n"
        "busy.recv(timeout=10)\n"
        "b0, r0, t0 = busy._transport.batches, busy.received, time.monotonic()\n"
        "time.sleep(3)\n"
        "b1, r1, t1 = busy._transport.batches, busy.received, time.monotonic()\n"
        'print("BATCHES", (b1 - b0) / (t1 - t0), "MSGS", (r1 - r0) / (t1 - t0))\n'
        # A stream of 1,000 msg/s or more: at most 10 batches a second (STREAM_HZ in
        # js/src/bridge.ts), each costing the Jupyter server about four messages.
        "busy.max_fps = 30\n"
        "time.sleep(0.5)\n"
        "b0, r0, t0 = busy._transport.batches, busy.received, time.monotonic()\n"
        "time.sleep(3)\n"
        "b1, r1, t1 = busy._transport.batches, busy.received, time.monotonic()\n"
        'print("STREAMING", (b1 - b0) / (t1 - t0), "MSGS", (r1 - r0) / (t1 - t0))\n'
        "busy.close(widget=True)\n"
        "fast.stop()",
    )
    m = wait_for_cell_output(page, name, idx, r"BATCHES ([\d.]+) MSGS ([\d.]+)", 30)
    batches, msgs = float(m.group(1)), float(m.group(2))
    print(f"browser mode at max_fps=5: {batches:.1f} batches/s carrying {msgs:.0f} msg/s")
    assert msgs > 200, f"only {msgs:.0f} msg/s reached the kernel"
    assert batches <= 5 + 1.5, f"{batches:.1f} batch messages/s at max_fps=5 ({msgs:.0f} msg/s)"
    m = wait_for_cell_output(page, name, idx, r"STREAMING ([\d.]+) MSGS ([\d.]+)", 30)
    batches, msgs = float(m.group(1)), float(m.group(2))
    print(f"browser mode at max_fps=30: {batches:.1f} batches/s carrying {msgs:.0f} msg/s")
    assert msgs > 1000, f"only {msgs:.0f} msg/s reached the kernel: not a stream"
    assert batches <= 10 + 1.5, f"{batches:.1f} batch messages/s streaming ({msgs:.0f} msg/s)"

    # Stop the stream, then compare what the page counted with what the kernel has.
    idx = run_cell(page, name, "ws.close()\nimport time; time.sleep(1)\nprint('CLOSED', ws.status)")
    wait_for_cell_output(page, name, idx, r"CLOSED closed")
    wait_for_text(page, ".iws-status", ("closed",), 10)
    shown = int_text(page, ".iws-received")
    last_row = page.locator('.iws-row[data-dir="in"]').last
    last_seq = int(last_row.get_attribute("data-seq") or "0")
    last_text = last_row.locator(".iws-text").inner_text()
    idx = run_cell(
        page,
        name,
        "import json\n"
        "by_seq = {m.seq: m for m in ws.messages}\n"
        f"m = by_seq.get({last_seq})\n"
        'print("KERNEL", json.dumps({"received": ws.received, "kept": len(ws.messages), '
        '"lost": ws.lost, "text": m and json.dumps(m.json(), separators=(",", ":"))}))',
    )
    kernel = json.loads(wait_for_cell_output(page, name, idx, r"KERNEL (\{.*\})").group(1))
    assert kernel["received"] == shown, f"page counted {shown}, kernel {kernel}"
    assert kernel["lost"] == 0
    # Both sides re-encode the JSON (Python says 101.0 where JavaScript says 101): compare values.
    assert json.loads(kernel["text"]) == json.loads(last_text), (
        f"row {last_seq}: page {last_text!r}, kernel {kernel}"
    )


def test_browser_echo_send_binary_and_reconnect(page, notebook_runner):
    name = notebook_runner(
        [
            "import ipywebsockets as iws",
            "echo = iws.EchoServer().start()",
            'ws = iws.WebSocket(echo.url, mode="browser", protocols=[], '
            "reconnect=iws.Backoff(initial=0.3, jitter=0))",
            "ws",
        ],
        ui="lab",
    )
    wait_open(page, name)

    # Sent from a cell, through the browser's socket, echoed back; waited for
    # with a blocking call right after the cell's own send.
    idx = run_cell(
        page,
        name,
        'ws.send({"hello": 1})\n'
        'm = ws.wait_for(lambda m: m.kind == "text", timeout=10)\n'
        "payload = bytes(range(256)) * 3\n"
        "ws.send(payload)\n"
        'b = ws.wait_for(lambda m: m.kind == "binary", timeout=10)\n'
        'print("ECHO", m.json(), b.data == payload, len(b.data), ws.sent)',
    )
    m = wait_for_cell_output(page, name, idx, r"ECHO (.*) (True|False) (\d+) (\d+)")
    assert m.group(1) == "{'hello': 1}", m.group(0)
    assert m.group(2) == "True" and m.group(3) == "768", f"binary did not round-trip: {m.group(0)}"
    assert m.group(4) == "2"
    page.locator('.iws-row[data-dir="in"][data-kind="binary"] .iws-text').first.wait_for(
        timeout=timeout_ms(10)
    )
    hex_text = page.locator('.iws-row[data-dir="in"][data-kind="binary"] .iws-text').first
    assert hex_text.inner_text().startswith("00 01 02 03"), hex_text.inner_text()

    # Awaiting works in a cell too.
    idx = run_cell(
        page,
        name,
        'ws.send("async-1")\n'
        'a = await ws.wait_for_async(lambda m: m.data == "async-1", timeout=10)\n'
        'print("ASYNC", a.data)',
    )
    wait_for_cell_output(page, name, idx, r"ASYNC async-1")

    # The server restarts on the same port: the browser reconnects, and a send
    # made while it is away is queued and delivered.
    idx = run_cell(
        page,
        name,
        "port = echo.port\n"
        "echo.stop()\n"
        "import time\n"
        "t0 = time.monotonic()\n"
        'while ws.status == "open" and time.monotonic() - t0 < 10:\n'
        "    time.sleep(0.05)\n"
        'ws.send("while-away")\n'
        'print("AWAY", ws.status)',
    )
    wait_for_cell_output(page, name, idx, r"AWAY (reconnecting|connecting)")
    wait_for_text(page, ".iws-status", ("reconnecting",), 10)
    idx = run_cell(
        page,
        name,
        "echo = iws.EchoServer(port=port).start()\n"
        'm = ws.wait_for(lambda m: m.data == "while-away", timeout=15)\n'
        'print("BACK", ws.status, ws.reconnects, m.data)',
    )
    wait_for_cell_output(page, name, idx, r"BACK open 1 while-away", within=20)
    wait_for_text(page, ".iws-status", ("open",), 10)
    assert int_text(page, ".iws-reconnects") == 1
    time.sleep(0.2)
    assert page.locator('.iws-row[data-dir="in"]').filter(has_text="while-away").count() >= 1


def test_local_network_access_refusal_is_explained(browser, jupyter_server, jupyter_env):
    """Lab served from a "public" address; the browser-side socket targets 127.0.0.1.

    Chromium is told to treat the Lab server's endpoint as public
    (``--ip-address-space-overrides``), as for a JupyterHub on the internet, so
    its Local Network Access checks refuse the connection to the in-kernel server.
    """
    port = int(jupyter_server("lab").rsplit(":", 1)[1])
    remote = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--host-resolver-rules=MAP lab.example 127.0.0.1",
            f"--ip-address-space-overrides=127.0.0.1:{port}=public",
        ],
    )
    name = "browser_mode_lna"
    try:
        page = remote.new_page(viewport={"width": 1400, "height": 1000})
        page._iws_console = []
        run_notebook(
            page,
            f"http://lab.example:{port}",
            [
                "import ipywebsockets as iws",
                "echo = iws.EchoServer().start()",
                'ws = iws.WebSocket(echo.url, mode="browser")',
                "ws",
            ],
            name,
            notebooks_root=jupyter_env.notebooks,
        )
        wait_for_text(page, ".iws-status", ("closed",), 20)
        shown = page.locator(".iws-error").first.inner_text()
        for words in ("Local Network Access", "lab.example", "mode='kernel'"):
            assert words in shown, f"{words!r} not in the error shown: {shown!r}"
        idx = run_cell(page, name, 'print("KERNEL", ws.status, "|", ws.error)')
        m = wait_for_cell_output(page, name, idx, r"KERNEL closed \| (.*Local Network Access.*)")
        assert "127.0.0.1" in m.group(1)
    finally:
        remote.close()
        _shutdown_kernels(f"http://127.0.0.1:{port}", f"{name}.ipynb")


def _shutdown_kernels(base_url: str, path: str) -> None:
    with urllib.request.urlopen(f"{base_url}/api/sessions", timeout=timeout_s(5)) as r:
        sessions = json.load(r)
    for session in sessions:
        if session.get("path") == path:
            url = f"{base_url}/api/sessions/{session['id']}"
            urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10).close()
