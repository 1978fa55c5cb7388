"""Memory: RSS of a real kernel over COUNT messages through a kernel-mode WebSocket (history=1000).

The baseline, in a fresh kernel of its own: a bare websockets loop that
decodes every message and keeps the last 1000 in a deque. RSS is read from
/proc every 0.2 s; growth is the largest RSS after warm-up (the first WARMUP
messages) minus the RSS at warm-up.

Usage: python bench/memory.py [--count 1000000] [--server auto|node|python] [--json]
"""

from __future__ import annotations

import time
from typing import Any

import _common
from _common import Result, emit, load, say

TARGET_MB = 50.0

STREAMS = {
    "ipywebsockets": (
        "import ipywebsockets as iws\n"
        "w = iws.WebSocket(URL, history=1000, reconnect=False)\n"
        "def _progress():\n"
        "    return {'n': w._stream.stats.received, 'running': w._transport.running}\n"
    ),
    "bare": (
        "import asyncio, collections, json, threading\n"
        "from websockets.asyncio.client import connect\n"
        "kept = collections.deque(maxlen=1000)\n"
        "state = {'n': 0, 'running': True}\n"
        "async def bare(url):\n"
        "    async with connect(url, proxy=None, compression=None) as ws:\n"
        "        async for data in ws:\n"
        "            kept.append(json.loads(data))\n"
        "            state['n'] += 1\n"
        "def _run():\n"
        "    try:\n"
        "        asyncio.run(bare(URL))\n"
        "    finally:\n"
        "        state['running'] = False\n"
        "threading.Thread(target=_run, daemon=True).start()\n"
        "def _progress():\n"
        "    return dict(state)\n"
    ),
}


def measure(how: str, url: str, count: int, warmup: int) -> dict[str, Any]:
    with _common.kernel() as k:
        k.run("import gc; gc.collect()")
        start_mb = k.rss_mb()
        k.run(STREAMS[how].replace("URL", repr(url)))
        samples: list[tuple[int, float]] = []
        t0 = time.monotonic()
        while True:
            p = k.run("_bench_result = _progress()")
            samples.append((p["n"], k.rss_mb()))
            if not p["running"]:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - t0
        n = samples[-1][0]
        after = [mb for seen, mb in samples if seen >= warmup]
        at_warmup = after[0] if after else samples[-1][1]
        return {
            "received": n,
            "seconds": elapsed,
            "rss_start_mb": start_mb,
            "rss_warmup_mb": at_warmup,
            "rss_max_mb": max(after or [at_warmup]),
            "rss_end_mb": samples[-1][1],
            "growth_mb": max(after or [at_warmup]) - at_warmup,
            "samples": len(samples),
        }


def main(count: int = 1_000_000, server: str = "auto", as_json: bool = False) -> dict[str, Any]:
    kind = _common.pick_server(server)
    warmup = count // 10
    results = {}
    with _common.source(kind, count=count) as url:
        for how in ("bare", "ipywebsockets"):
            say(f"memory: {how}, {count:,} msgs from {kind} (load {load()})")
            results[how] = r = measure(how, url, count, warmup)
            assert r["received"] == count, f"{how} got {r['received']} of {count}"
    iws, bare = results["ipywebsockets"], results["bare"]
    rows = [
        Result(
            "memory",
            f"kernel RSS growth after warm-up, {count:,} msgs, history=1000",
            iws["growth_mb"],
            bare["growth_mb"],
            None,
            f"< {TARGET_MB:.0f} MB",
            iws["growth_mb"] < TARGET_MB,
            "MB",
        ),
        Result(
            "memory",
            "kernel RSS at the end",
            iws["rss_end_mb"],
            bare["rss_end_mb"],
            iws["rss_end_mb"] / bare["rss_end_mb"],
            "",
            None,
            "MB",
        ),
    ]
    return emit(rows, as_json, server=kind, count=count, results=results)


if __name__ == "__main__":
    p = _common.parser(__doc__)
    p.add_argument("--count", type=int, default=1_000_000)
    args = p.parse_args()
    main(args.count, args.server, args.json)
