"""Sessions in mode="browser", in a real JupyterLab: Chromium holds the socket, the kernel
runs the on_open hook, and request/call/filter/map ride on the browser's stream.

The feed is a MarketServer in the kernel (nothing flows until a client subscribes)
that records what each connection sent, in order. One notebook, one kernel.
"""

from __future__ import annotations

import json

import pytest
from iws_e2e_harness import run_cell, wait_for_cell_output, wait_open

pytestmark = pytest.mark.e2e

SETUP = """\
import json, time
import ipywebsockets as iws

class Recording(iws.MarketServer):
    \"\"\"A MarketServer that keeps what each connection sent: (connection number, message).\"\"\"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log = []
        self.lists = []  # each connection's list of subscribed symbols: who is who

    def _answer(self, raw, wanted):
        if not any(w is wanted for w in self.lists):
            self.lists.append(wanted)
        conn = next(i for i, w in enumerate(self.lists, 1) if w is wanted)
        self.log.append((conn, json.loads(raw)))
        return super()._answer(raw, wanted)

    def sent_by(self, conn):
        return [m.get("op") or m.get("method") for c, m in self.log if c == conn]

srv = Recording(rate=20, symbols=("ABC", "XYZ")).start()

def tick_after(t, within=15):
    \"\"\"Wait for a tick received after t (epoch s); how long it took from now.\"\"\"
    t0 = time.monotonic()
    while time.monotonic() - t0 < within:
        last = ws.last
        if last is not None and last.time >= t and last.json().get("type") == "tick":
            break
        time.sleep(0.02)
    return round(time.monotonic() - t0, 2)
"""

SOCKET = """\
ws = iws.WebSocket(srv.url, mode="browser", connect=False,
                   reconnect=iws.Backoff(initial=0.2, max_delay=0.5, jitter=0))

@ws.on_open
def subscribe(sock):
    sock.send({"op": "subscribe", "symbols": ["ABC", "XYZ"]})

ws.connect()
"""

FIRST = """\
took = tick_after(0)
print("FIRST", json.dumps(dict(took=took, sent=srv.sent_by(1), status=ws.status)))
"""

REQUESTS = """\
add = ws.call("add", [1, 2], timeout=10)
try:
    ws.call("nope", timeout=10)
    blocking = None
except iws.RemoteError as exc:
    blocking = [exc.code, exc.message]
aadd = await ws.acall("add", [3, 4], timeout=10)
try:
    await ws.acall("nope", timeout=10)
    awaited = None
except iws.RemoteError as exc:
    awaited = exc.code
snap = ws.request({"op": "snapshot", "id": 7}, match=lambda m: m.json().get("id") == 7, timeout=10)
asnap = await ws.arequest({"op": "snapshot", "id": 8}, match=lambda m: m.json().get("id") == 8,
                          timeout=10)
t0 = time.monotonic()
for i in range(20):
    ws.call("add", [i, 1], timeout=10)
rtt = (time.monotonic() - t0) / 20
print("RPC", json.dumps(dict(add=add, blocking=blocking, aadd=aadd, awaited=awaited,
                             snap=[snap.json()["type"], snap.json()["id"]],
                             asnap=asnap.json()["id"], rtt_ms=round(rtt * 1000, 1))))
"""

DERIVED = """\
abc = ws.filter(lambda m: m.json().get("symbol") == "ABC")
prices = ws.map(lambda m: m.json().get("price", -1))
symbols = [abc.recv(timeout=10).json()["symbol"] for _ in range(10)]
mapped = [prices.recv(timeout=10).json() for _ in range(10)]
print("DERIVED", json.dumps(dict(mode=abc.mode, symbols=sorted(set(symbols)), n=len(symbols),
                                 numbers=all(isinstance(p, (int, float)) for p in mapped))))
"""

RESTARTS = """\
resumed, firsts = [], []
for k in range(3):
    srv.stop()
    t0 = time.monotonic()
    while ws.status == "open" and time.monotonic() - t0 < 15:
        time.sleep(0.02)
    ws.send({"op": "snapshot", "id": 100 + k})  # while away: the page queues it
    srv.start()
    resumed.append(tick_after(time.time()))
    firsts.append(srv.sent_by(len(srv.lists))[:2])
print("RESTARTS", json.dumps(dict(resumed=resumed, firsts=firsts, reconnects=ws.reconnects,
                                  status=ws.status, errors=ws.callback_errors,
                                  unsent=ws.unsent, error=ws.error)))
"""


def test_browser_sessions_hook_requests_derived_and_restarts(page, notebook_runner):
    name = notebook_runner([SETUP, SOCKET, "ws"], ui="lab")
    wait_open(page, name)

    # The hook ran in the kernel after the browser opened: the feed flows.
    idx = run_cell(page, name, FIRST)
    first = json.loads(wait_for_cell_output(page, name, idx, r"FIRST (\{.*\})", 20).group(1))
    assert first["sent"][:1] == ["subscribe"], first
    assert first["took"] < 15, f"no tick after the first open: {first}"

    # JSON-RPC and requests, blocking and awaited, through the browser's socket.
    idx = run_cell(page, name, REQUESTS)
    rpc = json.loads(wait_for_cell_output(page, name, idx, r"RPC (\{.*\})", 60).group(1))
    print(f"browser mode: ws.call round trip {rpc['rtt_ms']} ms (mean of 20)")
    assert rpc["add"] == 3 and rpc["aadd"] == 7, rpc
    assert rpc["blocking"] == [-32601, "method not found: nope"], rpc
    assert rpc["awaited"] == -32601, rpc
    assert rpc["snap"] == ["snapshot", 7] and rpc["asnap"] == 8, rpc

    # Derived sources read the browser's stream.
    idx = run_cell(page, name, DERIVED)
    derived = json.loads(wait_for_cell_output(page, name, idx, r"DERIVED (\{.*\})", 30).group(1))
    assert derived == {"mode": "derived", "symbols": ["ABC"], "n": 10, "numbers": True}, derived

    # The server restarts 3 times; a send made while it is away goes out after the
    # hook's subscription on the next connection, and data resumes with no user action.
    idx = run_cell(page, name, RESTARTS)
    out = json.loads(wait_for_cell_output(page, name, idx, r"RESTARTS (\{.*\})", 120).group(1))
    print("browser mode, server restart to data (s):", out["resumed"])
    assert out["firsts"] == [["subscribe", "snapshot"]] * 3, out
    assert all(t < 15 for t in out["resumed"]), out
    assert out["reconnects"] == 3 and out["status"] == "open", out
    assert out["errors"] == 0 and out["unsent"] == 0, out
