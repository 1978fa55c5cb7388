"""mode="browser" at its limits, in a real JupyterLab: big bursts, a too-big message, a
server that accepts then closes. The servers run in the notebook's kernel on 127.0.0.1.
"""

from __future__ import annotations

import pytest
from iws_e2e_harness import run_cell, wait_for_cell_output, wait_open

pytestmark = pytest.mark.e2e

SERVERS = """\
import asyncio, os, threading, time
import ipywebsockets as iws
from websockets.asyncio.server import serve

loop = asyncio.new_event_loop()
threading.Thread(target=loop.run_forever, daemon=True).start()
payloads = [os.urandom(1_000_000) for _ in range(12)]
seen = {"flaky": 0}

async def burst(ws):
    async for cmd in ws:
        if cmd == "burst":
            for p in payloads:
                await ws.send(p)
        elif cmd == "big":
            await ws.send(os.urandom(2_000_000))

async def flaky(ws):
    seen["flaky"] += 1
    await ws.close(1011, "overloaded")

async def _serve(handler):
    return await serve(handler, "127.0.0.1", 0, max_size=None)

def start(handler):
    server = asyncio.run_coroutine_threadsafe(_serve(handler), loop).result()
    return f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"

burst_url, flaky_url = start(burst), start(flaky)
"""


def test_browser_mode_limits(page, notebook_runner):
    name = notebook_runner(
        [SERVERS, 'ws = iws.WebSocket(burst_url, mode="browser", max_fps=1)', "ws"], ui="lab"
    )
    wait_open(page, name)

    # 12 MB in about a second at max_fps=1: one batch would exceed jupyter_server's
    # 10 MiB websocket message limit (and close the notebook's kernel connection).
    # Batches split at 1 MiB: everything arrives, intact.
    idx = run_cell(
        page,
        name,
        "b0 = ws._transport.batches\n"
        'ws.send("burst")\n'
        "t0 = time.monotonic()\n"
        "while ws.received < 12 and time.monotonic() - t0 < 30:\n"
        "    time.sleep(0.05)\n"
        "got = [m.data for m in ws.messages if m.direction == 'in']\n"
        'print("BURST", ws.received, got == payloads, ws.lost, ws._transport.batches - b0, '
        "ws.status)",
    )
    m = wait_for_cell_output(page, name, idx, r"BURST (\d+) (True|False) (\d+) (\d+) (\w+)", 45)
    received, intact, lost, batches, status = m.groups()
    assert received == "12" and intact == "True" and lost == "0", m.group(0)
    assert int(batches) >= 12, f"12 MB came in {batches} batches: not split at 1 MiB"
    assert status == "open", m.group(0)

    # One message over max_size (1 MiB by default): closed, reported as 1009, as in
    # kernel mode, and the message is not delivered.
    idx = run_cell(
        page,
        name,
        'small = iws.WebSocket(burst_url, mode="browser")\n'
        "display(small)\n"
        "t0 = time.monotonic()\n"
        'while small.status != "open" and time.monotonic() - t0 < 20:\n'
        "    time.sleep(0.05)\n"
        'small.send("big")\n'
        'while small.status != "closed" and time.monotonic() - t0 < 20:\n'
        "    time.sleep(0.05)\n"
        'print("BIG", small.status, small.close_code, small.received, "|", small.error)',
    )
    m = wait_for_cell_output(page, name, idx, r"BIG (\w+) (\w+) (\d+) \| (.*)", 40)
    assert m.group(1) == "closed" and m.group(2) == "1009", m.group(0)
    assert m.group(3) == "0", "the too-big message was delivered"
    assert "max_size=1048576" in m.group(4) and "2000000 bytes" in m.group(4), m.group(4)

    # A server that accepts then closes (1011): the backoff grows and max_attempts ends it.
    idx = run_cell(
        page,
        name,
        "flaky = iws.WebSocket(flaky_url, mode='browser', "
        "reconnect=iws.Backoff(initial=0.2, factor=2, max_attempts=4, jitter=0))\n"
        "display(flaky)\n"
        "t0 = time.monotonic()\n"
        'while flaky.status != "closed" and time.monotonic() - t0 < 30:\n'
        "    time.sleep(0.05)\n"
        'print("FLAKY", flaky.status, flaky.close_code, seen["flaky"], '
        "round(time.monotonic() - t0, 2))",
    )
    m = wait_for_cell_output(page, name, idx, r"FLAKY (\w+) (\w+) (\d+) ([\d.]+)", 45)
    assert m.group(1) == "closed" and m.group(2) == "1011", m.group(0)
    assert m.group(3) == "5", f"{m.group(3)} connections: expected 1 + max_attempts=4"
    # 0.2 + 0.4 + 0.8 + 1.6 s of backoff: a delay reset on each open would take 0.8 s.
    assert float(m.group(4)) >= 3.0, f"gave up after {m.group(4)} s: the delays did not grow"
