"""Kernel-mode ingest: messages/s through ipywebsockets.WebSocket vs a bare websockets client.

Both read the same COUNT small JSON messages from the same server in another
process, in the same run, alternating; the bare client calls json.loads on
each message. Prints the best of REPEAT runs of each and their ratio.

Usage: python bench/ingest.py [COUNT] [REPEAT]
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import subprocess
import sys
import time

from websockets.asyncio.client import connect

import ipywebsockets as iws

HERE = pathlib.Path(__file__).parent


async def bare(url: str) -> tuple[int, float]:
    n = 0
    start = time.perf_counter()
    async with connect(url, proxy=None, compression=None) as ws:
        async for message in ws:
            json.loads(message)
            n += 1
    return n, time.perf_counter() - start


def widget(url: str) -> tuple[int, float]:
    start = time.perf_counter()
    ws = iws.WebSocket(url, reconnect=False, history=1000)
    try:
        while ws._conn.running:
            time.sleep(0.001)
        elapsed = time.perf_counter() - start
        ws.messages  # noqa: B018  (refresh the traits)
        assert ws.last is not None
        ws.last.json()  # the user-visible decode of what they read
        return ws.received, elapsed
    finally:
        ws.close(widget=True)


def main(count: int = 200_000, repeat: int = 3) -> dict[str, float]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "fast_server.py"), str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        bare_rates, widget_rates = [], []
        for _ in range(repeat):
            n, dt = asyncio.run(bare(url))
            assert n == count, f"bare client got {n} of {count}"
            bare_rates.append(n / dt)
            n, dt = widget(url)
            assert n == count, f"WebSocket got {n} of {count}"
            widget_rates.append(n / dt)
    finally:
        server.terminate()
        server.wait()
    result = {
        "count": count,
        "bare_msgs_per_s": max(bare_rates),
        "widget_msgs_per_s": max(widget_rates),
        "ratio": max(widget_rates) / max(bare_rates),
    }
    print(
        f"ingest  {count:>9,} msgs  bare {result['bare_msgs_per_s']:>9,.0f}/s  "
        f"WebSocket {result['widget_msgs_per_s']:>9,.0f}/s  ratio {result['ratio']:.2f}"
    )
    return result


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
