"""Browser mode through faults: the server process is killed and restarted mid-stream.

The ticker runs as its own process (``python -m ipywebsockets serve ticker``),
started and SIGKILLed by the notebook's kernel on 127.0.0.1: Chromium's socket
sees the connection drop without a close frame (1006) and reconnects by itself.
"""

from __future__ import annotations

import pytest
from iws_e2e_harness import run_cell, wait_for_cell_output, wait_open

pytestmark = pytest.mark.e2e

SETUP = """\
import socket, subprocess, sys, time
import ipywebsockets as iws

with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]

def start():
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipywebsockets", "serve", "ticker", "--port", str(port),
         "--rate", "100"], stdout=subprocess.PIPE, text=True)
    assert "listening" in proc.stdout.readline()
    return proc

proc = start()
"""

CYCLES = """\
resumed, ticks = [], []
for k in range(5):
    t0 = time.monotonic()
    before = ws.received
    while ws.received < before + 20 and time.monotonic() - t0 < 15:
        time.sleep(0.02)
    proc.kill(); proc.wait()
    killed = time.monotonic()
    while ws.status == "open" and time.monotonic() - killed < 15:
        time.sleep(0.02)
    proc = start()
    count = ws.received
    while ws.received == count and time.monotonic() - killed < 15:
        time.sleep(0.02)
    resumed.append(round(time.monotonic() - killed, 2))
ins = [m for m in ws.messages if m.direction == "in"]
seqs = [m.seq for m in ins]
ordered = seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
ticks_ok = all(m.json()["type"] == "tick" for m in ins)
proc.kill(); proc.wait()
print("FAULTS", ws.reconnects, ordered, ticks_ok, ws.lost, resumed)
"""


def test_browser_mode_survives_five_server_kills(page, notebook_runner):
    name = notebook_runner(
        [
            SETUP,
            "ws = iws.WebSocket(f'ws://127.0.0.1:{port}', mode='browser', "
            "reconnect=iws.Backoff(initial=0.1, max_delay=0.5))",
            "ws",
        ],
        ui="lab",
    )
    wait_open(page, name)
    idx = run_cell(page, name, CYCLES)
    m = wait_for_cell_output(
        page, name, idx, r"FAULTS (\d+) (True|False) (True|False) (\d+) (\[.*\])", 120
    )
    reconnects, ordered, ticks_ok, lost, resumed = m.groups()
    print("browser mode, kill to data (s):", resumed)
    assert reconnects == "5", m.group(0)
    assert ordered == "True" and ticks_ok == "True", m.group(0)
    assert lost == "0", m.group(0)
    assert all(float(t) < 15 for t in resumed.strip("[]").split(",")), resumed
