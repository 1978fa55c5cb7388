"""A paced WebSocket source whose messages carry their send time, in its own process.

Usage: python bench/latency_server.py --rate R [--count N]
(prints its URL, then sends each client N messages (0: endless) at R per second,
each ``{"type":"tick","seq":n,"t":<epoch ms at send>,"p":"ABC"}`` (~60 bytes),
then closes with 1000; exits when stdin closes).

``t`` is ``time.time() * 1000`` taken for each message just before it is written,
so a late send (the server's own scheduling) never counts as latency. The client
is on the same machine: its wall clock is the same.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from websockets.asyncio.server import ServerConnection

from fast_server import serve_until_stdin_closes

TICK = '{"type":"tick","seq":%d,"t":%.3f,"p":"ABC"}'


async def main(count: int, rate: float) -> None:
    async def pace(ws: ServerConnection) -> None:
        seq = 0
        start = time.monotonic()
        while count == 0 or seq < count:
            due = int((time.monotonic() - start) * rate) + 1
            if count:
                due = min(due, count)
            while seq < due:
                await ws.send(TICK % (seq, time.time() * 1000))
                seq += 1
            # Sleep until the next message is due (at least a loop turn).
            await asyncio.sleep(max(0.0, start + seq / rate - time.monotonic()))
        await ws.close(1000, "done")

    await serve_until_stdin_closes(pace)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--rate", type=float, required=True)
    a = p.parse_args()
    asyncio.run(main(a.count, a.rate))
