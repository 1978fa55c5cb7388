"""Push versus polling, measured: one event stream served over HTTP polling and a WebSocket.

I/O only, no widgets. :func:`run_lab` starts, on loopback, an HTTP server
that answers ``GET /events?after=N`` and a WebSocket server that pushes each
event as it happens; an HTTP client polls every ``interval`` seconds (one
keep-alive connection) while a WebSocket client listens. Both see the same
events, stamped when made, so latency is arrival minus creation on one
clock. Bytes are counted as they cross each client's socket (request and
response heads included for HTTP; frame bytes from the wire tap for the
WebSocket, handshake counted apart).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, broadcast, serve

from ..wiretap import Wiretap

__all__ = ["LabResult", "run_lab"]


@dataclass
class Side:
    """What one client measured."""

    latency_ms: list[float] = field(default_factory=list)
    bytes: int = 0  # on the wire for the events (both directions)
    setup_bytes: int = 0  # connection setup (the WebSocket handshake)
    requests: int = 0
    empty: int = 0  # polls that brought nothing new

    def summary(self, events: int) -> dict[str, Any]:
        lat = sorted(self.latency_ms)
        med = lat[len(lat) // 2] if lat else None
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))] if lat else None
        return {
            "latency_ms": [round(x, 3) for x in self.latency_ms],
            "median_ms": med,
            "p95_ms": p95,
            "bytes": self.bytes,
            "setup_bytes": self.setup_bytes,
            "bytes_per_event": round(self.bytes / events, 1) if events else None,
            "requests": self.requests,
            "empty": self.empty,
            "received": len(self.latency_ms),
        }


@dataclass
class LabResult:
    events: int
    rate: float
    interval: float
    polling: Side = field(default_factory=Side)
    push: Side = field(default_factory=Side)

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "rate": self.rate,
            "interval": self.interval,
            "polling": self.polling.summary(self.events),
            "push": self.push.summary(self.events),
        }


async def run_lab(events: int, rate: float, interval: float, timeout: float) -> LabResult:
    """Make ``events`` events at ``rate`` a second; deliver them both ways; measure."""
    result = LabResult(events, rate, interval)
    log: list[dict[str, Any]] = []  # every event so far, for the polling server
    ws_clients: set[ServerConnection] = set()

    async def http_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1].decode()
                after = int(target.rpartition("after=")[2] or -1)
                body = json.dumps([e for e in log if e["seq"] > after]).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\n"
                    + f"Date: {email.utils.formatdate(usegmt=True)}\r\n".encode()
                    + b"Server: ipywebsockets-lab\r\nContent-Type: application/json\r\n"
                    + b"Cache-Control: no-store\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def ws_handler(ws: ServerConnection) -> None:
        ws_clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            ws_clients.discard(ws)

    async def produce() -> None:
        start = time.monotonic()
        for seq in range(events):
            await asyncio.sleep(max(0.0, start + seq / rate - time.monotonic()))
            event = {"seq": seq, "t": time.monotonic(), "price": round(100 + seq * 0.01, 2)}
            log.append(event)
            broadcast(ws_clients, json.dumps(event))

    async def poll(port: int) -> None:
        side = result.polling
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        after = -1
        try:
            while after < events - 1:
                began = time.monotonic()
                request = (
                    f"GET /events?after={after} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    "User-Agent: ipywebsockets-lab\r\nAccept: application/json\r\n\r\n"
                ).encode()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                body = await reader.readexactly(length)
                now = time.monotonic()
                side.requests += 1
                side.bytes += len(request) + len(head) + len(body)
                got = json.loads(body)
                side.empty += not got
                for event in got:
                    side.latency_ms.append((now - event["t"]) * 1000)
                    after = event["seq"]
                await asyncio.sleep(max(0.0, began + interval - time.monotonic()))
        finally:
            writer.close()

    async def listen(url: str, ready: asyncio.Event) -> None:
        side = result.push
        tap = Wiretap(keep=1)  # only the byte counters are needed
        async with connect(
            url, compression=None, proxy=None, create_connection=tap.connection_class()
        ) as ws:
            ready.set()
            for _ in range(events):
                event = json.loads(await ws.recv())
                side.latency_ms.append((time.monotonic() - event["t"]) * 1000)
            capture = tap.current
            assert capture is not None
            # Counted before the close handshake: the heads once, then the frames.
            heads = len(capture.request_head or b""), len(capture.response_head or b"")
            side.setup_bytes = sum(heads)
            side.bytes = capture.bytes_out + capture.bytes_in - side.setup_bytes

    http_server = await asyncio.start_server(http_handler, "127.0.0.1", 0)
    ws_server = await serve(ws_handler, "127.0.0.1", 0, compression=None)
    try:
        http_port = http_server.sockets[0].getsockname()[1]
        ws_port = ws_server.sockets[0].getsockname()[1]
        ready = asyncio.Event()
        listener = asyncio.ensure_future(listen(f"ws://127.0.0.1:{ws_port}", ready))
        await asyncio.wait_for(ready.wait(), timeout)
        await asyncio.wait_for(
            asyncio.gather(produce(), poll(http_port), listener), timeout + events / rate
        )
    finally:
        http_server.close()
        ws_server.close()
    return result
