"""A WebSocket server in its own process that sends small JSON messages as fast as the client reads.

Usage: python bench/fast_server.py COUNT  (prints its URL, then serves each client COUNT messages)
"""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import ServerConnection, serve


async def main(count: int) -> None:
    async def blast(ws: ServerConnection) -> None:
        # ~60 bytes each, like a small market-data tick; built up front so the server is cheap.
        template = '{"type":"tick","seq":%d,"symbol":"ABC","price":101.25}'
        for start in range(0, count, 1000):
            for seq in range(start, min(start + 1000, count)):
                await ws.send(template % seq)
        await ws.close(1000, "done")

    async with serve(blast, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"ws://127.0.0.1:{port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
