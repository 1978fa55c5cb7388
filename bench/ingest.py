"""Kernel ingest: messages/s through ipywebsockets.WebSocket vs a bare websockets client.

Both run in one real ipykernel, each on a thread with its own asyncio loop,
and read the same COUNT small JSON messages (~60 bytes) from the same server
in another process (node's ``ws``; bench/fast_server.py without node), in
the same run, alternating, best of REPEAT. The bare client calls
``json.loads`` on each message. The WebSocket runs with everything on
(history=1000, counters, the comm batching to the kernel's IOPub at
max_fps) and is read three ways:

* ``on_message``: a callback decodes every message (``msg.json()``);
* ``recv``: the cell reads every message with ``ws.recv()`` and decodes it
  (history=COUNT here: with 1000 the I/O thread laps a recv() loop at full speed);
* ``counted``: nobody reads; only the counters, ``last_value`` and the view's rows.

Every run checks that the count is exact and the seqs come in order.

Usage: python bench/ingest.py [--count 200000] [--repeat 3] [--server auto|node|python] [--json]
"""

from __future__ import annotations

import _common
from _common import Result, emit, load, say

# The issue "Faster where users feel it": decoding paths >= 0.8 of bare, in a kernel
# and in a plain process; the counted path keeps the earlier 0.6.
TARGETS = {"on_message": 0.8, "recv": 0.8, "counted": 0.6}

# The same functions in a plain Python process (no kernel, no comm): what a script sees.
PLAIN = """
import json, sys
rates = {"bare": [], "on_message": [], "recv": [], "counted": []}
url, count, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(repeat):
    r = bare(url)
    assert r["n"] == count, r
    rates["bare"].append(count / r["dt"])
    for how in ("on_message", "recv", "counted"):
        r = widget(url, how, count)
        assert r["n"] == count and r["missed"] == 0, (how, r)
        rates[how].append(count / r["dt"])
print(json.dumps(rates))
"""

SETUP = r"""
import asyncio, json, threading, time
import ipywebsockets as iws
from websockets.asyncio.client import connect

def _on_thread(fn):
    out = {}
    def run():
        out["r"] = fn()
    th = threading.Thread(target=run)
    th.start()
    th.join()
    return out["r"]

def bare(url):
    async def main():
        n, last, start = 0, -1, time.perf_counter()
        async with connect(url, proxy=None, compression=None) as ws:
            async for data in ws:
                seq = json.loads(data)["seq"]
                n += 1
                if seq != last + 1:
                    raise AssertionError(f"seq {seq} after {last}")
                last = seq
        return {"n": n, "dt": time.perf_counter() - start}
    return _on_thread(lambda: asyncio.run(main()))

def widget(url, how, count):
    state = {"n": 0, "last": -1}
    def on_message(msg):
        seq = msg.json()["seq"]
        state["n"] += 1
        if seq != state["last"] + 1:
            raise AssertionError(f"seq {seq} after {state['last']}")
        state["last"] = seq
    # recv() reads from the history: one that holds every message, so nothing is evicted
    # before the cell reads it (with 1000 the I/O thread laps a recv() loop at full speed).
    history = count if how == "recv" else 1000
    ws = iws.WebSocket(url, reconnect=False, history=history, connect=False)
    if how == "on_message":
        ws.on_message(on_message)
    start = time.perf_counter()
    ws.connect()
    if how == "recv":
        while True:
            try:
                on_message(ws.recv(timeout=30))
            except iws.ConnectionClosed:
                break
    else:
        while ws._transport.running:
            time.sleep(0.01)
        if how == "on_message":
            ws._stream.stop_callbacks(wait=60)
    dt = time.perf_counter() - start
    received = ws._stream.stats.received
    n = state["n"] if how != "counted" else received
    ws.close(widget=True)
    if how == "counted":
        assert ws.last.json()["seq"] == received - 1
    return {"n": n, "dt": dt, "received": received, "missed": ws.missed}
"""

HOWS = ("on_message", "recv", "counted")


def plain(url: str, count: int, repeat: int) -> dict[str, list[float]]:
    """The same runs in a plain Python process."""
    import json
    import subprocess
    import sys

    code = SETUP + PLAIN
    done = subprocess.run(
        [sys.executable, "-c", code, url, str(count), str(repeat)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    rates: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return rates


def main(
    count: int = 200_000, repeat: int = 3, server: str = "auto", as_json: bool = False
) -> dict[str, object]:
    kind = _common.pick_server(server)
    rates: dict[str, list[float]] = {"bare": [], **{h: [] for h in HOWS}}
    with _common.kernel() as k, _common.source(kind, count=count) as url:
        k.run(SETUP)
        for i in range(repeat):
            say(f"ingest run {i + 1}/{repeat} ({count:,} msgs from {kind}, load {load()})")
            r = k.run(f"_bench_result = bare({url!r})")
            assert r["n"] == count, f"the bare client got {r['n']} of {count}"
            rates["bare"].append(count / r["dt"])
            for how in HOWS:
                r = k.run(f"_bench_result = widget({url!r}, {how!r}, {count})")
                assert r["n"] == count and r["missed"] == 0, f"WebSocket ({how}) got {r}"
                rates[how].append(count / r["dt"])
        say(f"ingest in a plain process ({count:,} msgs, best of {repeat}, load {load()})")
        in_plain = plain(url, count, repeat)
    rows = []
    for where, got in (("kernel", rates), ("plain process", in_plain)):
        best = {name: max(values) for name, values in got.items()}
        base = best["bare"]
        for how in HOWS:
            target = TARGETS[how]
            rows.append(
                Result(
                    "ingest",
                    f"msgs/s, WebSocket {how} vs bare+json.loads ({where})",
                    best[how],
                    base,
                    best[how] / base,
                    f">= {target} x bare",
                    best[how] / base >= target,
                    "msg/s",
                )
            )
    runs = {name: [round(v) for v in values] for name, values in rates.items()}
    runs.update({f"plain {name}": [round(v) for v in values] for name, values in in_plain.items()})
    return emit(rows, as_json, count=count, repeat=repeat, server=kind, runs=runs)


if __name__ == "__main__":
    p = _common.parser(__doc__)
    p.add_argument("--count", type=int, default=200_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    main(args.count, args.repeat, args.server, args.json)
