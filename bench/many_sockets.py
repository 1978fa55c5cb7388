"""Many sockets: SOCKETS kernel-mode WebSockets at RATE msg/s each in one real kernel.

For SECONDS: the kernel's CPU (user + system, from /proc, as a share of one
core), whether every socket received exactly RATE x SECONDS messages in
order, and how many comm messages the kernel published on IOPub per second
in all (jupyter_server forwards at most 1000/s per kernel:
docs/jupyter-internals.md#iopub-rate-limit). The
baseline, in a fresh kernel: SOCKETS bare websockets clients on one asyncio
loop, each decoding every message.

Usage: python bench/many_sockets.py [--sockets 100] [--rate 100] [--seconds 20]
       [--server auto|node|python] [--json]
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import _common
from _common import Result, emit, load, say

# Imported before the CPU is measured: a one-time cost (~0.4 s for ipywebsockets and
# ipywidgets), not the cost of streaming.
IMPORTS = {
    "ipywebsockets": "import ipywebsockets as iws\n",
    "bare": "import asyncio, json, threading\nfrom websockets.asyncio.client import connect\n",
}
SETUPS = {
    "ipywebsockets": (
        "socks = [iws.WebSocket(URL, history=1000, reconnect=False) for _ in range(NSOCK)]\n"
        "def _progress():\n"
        "    return {'running': sum(s._transport.running for s in socks),\n"
        "            'counts': [s._stream.stats.received for s in socks],\n"
        "            'last': [s.last.json()['seq'] if s.last else -1 for s in socks]}\n"
    ),
    "bare": (
        "counts, last, alive = [0] * NSOCK, [-1] * NSOCK, [NSOCK]\n"
        "async def one(i):\n"
        "    try:\n"
        "        async with connect(URL, proxy=None, compression=None) as ws:\n"
        "            async for data in ws:\n"
        "                last[i] = json.loads(data)['seq']\n"
        "                counts[i] += 1\n"
        "    finally:\n"
        "        alive[0] -= 1\n"
        "async def all_():\n"
        "    await asyncio.gather(*(one(i) for i in range(NSOCK)))\n"
        "threading.Thread(target=lambda: asyncio.run(all_()), daemon=True).start()\n"
        "def _progress():\n"
        "    return {'running': alive[0], 'counts': list(counts), 'last': list(last)}\n"
    ),
}


# The issue "Faster where users feel it": kernel CPU against bare clients, per size.
LIMITS = {(100, 100): 1.2, (20, 50): 2.0}


def _count_comm(k: _common.Kernel, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        try:
            msg = k.kc.iopub_channel.get_msg(timeout=0.1)
        except queue.Empty:
            continue
        if msg["header"]["msg_type"] == "comm_msg":
            out.append(time.monotonic())


def measure(how: str, url: str, sockets: int, per_socket: int) -> dict[str, Any]:
    with _common.kernel() as k:
        stop, comm_times = threading.Event(), []
        counter = threading.Thread(target=_count_comm, args=(k, stop, comm_times), daemon=True)
        counter.start()
        k.run(IMPORTS[how])
        cpu0, t0 = k.cpu_seconds(), time.monotonic()
        k.run(SETUPS[how].replace("URL", repr(url)).replace("NSOCK", str(sockets)))
        while True:
            time.sleep(0.5)
            p = k.run("_bench_result = _progress()")
            if not p["running"]:
                break
        cpu, wall = k.cpu_seconds() - cpu0, time.monotonic() - t0
        stop.set()
        counter.join(2)
    exact = all(c == per_socket for c in p["counts"]) and all(
        s == per_socket - 1 for s in p["last"]
    )
    return {
        "cpu_share": cpu / wall,
        "cpu_s": cpu,
        "wall_s": wall,
        "exact": exact,
        "min_count": min(p["counts"]),
        "max_count": max(p["counts"]),
        "comm_per_s": len(comm_times) / wall,
    }


def main(
    sockets: int = 100,
    rate: int = 100,
    seconds: float = 20.0,
    server: str = "auto",
    as_json: bool = False,
) -> dict[str, Any]:
    kind = _common.pick_server(server)
    per_socket = int(rate * seconds)
    results = {}
    with _common.source(kind, count=per_socket, rate=rate) as url:
        for how in ("bare", "ipywebsockets"):
            say(f"many_sockets: {how}, {sockets} x {rate}/s for {seconds} s (load {load()})")
            results[how] = measure(how, url, sockets, per_socket)
    iws, bare = results["ipywebsockets"], results["bare"]
    ratio = iws["cpu_share"] / bare["cpu_share"] if bare["cpu_share"] else None
    limit = LIMITS.get((sockets, rate))
    rows = [
        Result(
            "many_sockets",
            f"kernel CPU, {sockets} sockets x {rate} msg/s (share of one core)",
            100 * iws["cpu_share"],
            100 * bare["cpu_share"],
            ratio,
            f"<= {limit} x bare" if limit else "report",
            ratio <= limit if limit and ratio is not None else None,
            "%",
        ),
        Result(
            "many_sockets",
            f"every count exact ({per_socket:,} per socket, in order)",
            float(iws["exact"]),
            float(bare["exact"]),
            None,
            "1 (exact)",
            iws["exact"],
        ),
        Result(
            "many_sockets",
            "comm msgs/s on IOPub, all widgets",
            iws["comm_per_s"],
            None,
            None,
            "< 1000/s (jupyter_server's limit)",
            iws["comm_per_s"] < 1000,
            "msg/s",
        ),
    ]
    return emit(rows, as_json, server=kind, sockets=sockets, rate=rate, results=results)


if __name__ == "__main__":
    p = _common.parser(__doc__)
    p.add_argument("--sockets", type=int, default=100)
    p.add_argument("--rate", type=int, default=100)
    p.add_argument("--seconds", type=float, default=20.0)
    args = p.parse_args()
    main(args.sockets, args.rate, args.seconds, args.server, args.json)
