"""The fallback streaming source (when node is missing): bench/node/server.mjs in Python.

Usage: python bench/fast_server.py [--count N] [--rate R]
(prints its URL, then serves each client N messages (0: endless), as fast as
it reads or R per second; exits when stdin closes). About 30k messages/s at
most here: the node server is the one that can outrun the client.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from collections.abc import Awaitable, Callable

from websockets.asyncio.server import ServerConnection, serve

# ~60 bytes each, like a small market-data tick (the same as the node server's).
TICK = '{"type":"tick","seq":%d,"symbol":"ABC","price":%.2f}'


def tick(seq: int) -> str:
    return TICK % (seq, 100 + (seq % 997) / 100)


async def serve_until_stdin_closes(handler: Callable[[ServerConnection], Awaitable[None]]) -> None:
    """Serve ``handler`` on a free 127.0.0.1 port, print the URL, return when stdin closes."""
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"ws://127.0.0.1:{port}", flush=True)
        loop = asyncio.get_running_loop()
        stop = loop.create_future()

        def watch_stdin() -> None:
            sys.stdin.read()  # returns when the parent closes our stdin (or dies)
            loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))

        threading.Thread(target=watch_stdin, daemon=True).start()
        await stop


async def main(count: int, rate: float) -> None:
    async def blast(ws: ServerConnection) -> None:
        seq = 0
        start = time.monotonic()
        while count == 0 or seq < count:
            if rate > 0:
                due = int((time.monotonic() - start) * rate)
                if count:
                    due = min(due, count)
                if seq >= due:
                    await asyncio.sleep(0.005)
                    continue
            else:
                due = seq + 1000 if count == 0 else min(seq + 1000, count)
            while seq < due:
                await ws.send(tick(seq))
                seq += 1
        await ws.close(1000, "done")

    await serve_until_stdin_closes(blast)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--rate", type=float, default=0)
    a = p.parse_args()
    asyncio.run(main(a.count, a.rate))
