"""A demo feed that works like a real market API: nothing flows until you subscribe.

:class:`MarketServer` is what the session features are for: a client must send
``{"op": "subscribe", "symbols": [...]}`` after *every* connection (the
``on_open`` hook), may ask for a snapshot by request id (``request``), answers
JSON-RPC 2.0 calls (``call``) and, with ``tokens=``, wants a bearer token in
the handshake (``headers=``). It runs like the other demo servers
(:mod:`.servers`), in the kernel or as ``python -m ipywebsockets serve market``.

Messages from the server::

    {"type": "subscribed", "symbols": ["ABC"]}          # the answer to subscribe
    {"type": "tick", "seq": 7, "symbol": "ABC", "price": 100.1, "time": 1.7e9}
    {"type": "snapshot", "id": 3, "prices": {"ABC": 100.1, ...}}   # {"op": "snapshot", "id": 3}
    {"type": "error", "error": "..."}                  # a request it cannot serve

JSON-RPC methods: ``price(symbol)``, ``symbols()``, ``add(a, b)``; any other
name answers error -32601.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Collection, Sequence
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from .servers import _DemoServer

__all__ = ["MarketServer"]


class MarketServer(_DemoServer):
    """Ticks for the symbols each client subscribed to, plus snapshots and JSON-RPC.

    Args:
        rate: ticks per second per subscribed symbol and client.
        symbols: the symbols it quotes (each a random walk from 100).
        tokens: bearer tokens accepted in an ``Authorization: Bearer ...`` header
            (None: no authentication). The set is :attr:`tokens`: change it to
            rotate credentials; a handshake without a valid one gets HTTP 401.
        seed: seed for the random walks.
        host: where to listen (default: loopback).
        port: the port (default ``0``: a free one).
        origins: browser origins accepted besides the loopback ones, as every demo server.
        max_size: largest message a client may send, as every demo server (default 1 MiB).
    """

    def __init__(
        self,
        rate: float = 10,
        *,
        symbols: Sequence[str] = ("ABC", "XYZ", "QRS"),
        tokens: Collection[str] | None = None,
        seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        origins: Sequence[str] | str | None = None,
        max_size: int | None = 2**20,
    ) -> None:
        super().__init__(host, port, None, origins=origins, max_size=max_size)
        if not rate > 0:
            raise ValueError(f"rate must be positive (ticks per second per symbol), got {rate}")
        if not symbols:
            raise ValueError("symbols must name at least one symbol")
        self.rate = float(rate)
        self.symbols = tuple(symbols)
        self.tokens: set[str] | None = None if tokens is None else set(tokens)
        self.unauthorized = 0  # handshakes refused for a missing or wrong token
        self.subscribes = 0  # subscribe messages received, all clients
        self._rng = random.Random(seed)
        self._prices = dict.fromkeys(self.symbols, 100.0)
        self._seq = 0

    def _check_origin(self, connection: ServerConnection, request: Request) -> Response | None:
        refused = super()._check_origin(connection, request)
        if refused is not None or self.tokens is None:
            return refused
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[7:] in self.tokens:
            return None
        self.unauthorized += 1
        return connection.respond(401, "a valid 'Authorization: Bearer <token>' is needed\n")

    async def handler(self, ws: ServerConnection) -> None:
        wanted: list[str] = []
        ticking = asyncio.ensure_future(self._tick(ws, wanted))
        try:
            async for raw in ws:
                self.received += 1
                reply = self._answer(raw, wanted)
                if reply is not None:
                    await ws.send(json.dumps(reply))
        finally:
            ticking.cancel()

    def _answer(self, raw: str | bytes, wanted: list[str]) -> dict[str, Any] | None:
        try:
            msg = json.loads(raw)
        except ValueError:
            return {"type": "error", "error": "send JSON, e.g. {'op': 'subscribe', ...}"}
        if not isinstance(msg, dict):
            return {"type": "error", "error": "send a JSON object"}
        if msg.get("jsonrpc") == "2.0" and "method" in msg:
            return self._rpc(msg)
        op = msg.get("op")
        if op in ("subscribe", "unsubscribe"):
            symbols = msg.get("symbols", self.symbols)
            unknown = [s for s in symbols if s not in self._prices]
            if unknown:
                return {"type": "error", "error": f"unknown symbols {unknown}"}
            if op == "subscribe":
                self.subscribes += 1
                wanted.extend(s for s in symbols if s not in wanted)
            else:
                wanted[:] = [s for s in wanted if s not in symbols]
            return {"type": f"{op}d", "symbols": list(wanted)}
        if op == "snapshot":
            return {"type": "snapshot", "id": msg.get("id"), "prices": dict(self._prices)}
        return {"type": "error", "error": f"unknown op {op!r}: subscribe, unsubscribe, snapshot"}

    def _rpc(self, msg: dict[str, Any]) -> dict[str, Any] | None:
        method, params, id_ = msg["method"], msg.get("params", []), msg.get("id")
        try:
            if method == "price":
                result: Any = self._prices[params[0]]
            elif method == "symbols":
                result = list(self.symbols)
            elif method == "add":
                result = params[0] + params[1]
            else:
                error = {"code": -32601, "message": f"method not found: {method}"}
                return {"jsonrpc": "2.0", "id": id_, "error": error}
        except (KeyError, IndexError, TypeError) as exc:
            error = {"code": -32602, "message": "invalid params", "data": repr(exc)}
            return {"jsonrpc": "2.0", "id": id_, "error": error}
        return None if id_ is None else {"jsonrpc": "2.0", "id": id_, "result": result}

    async def _tick(self, ws: ServerConnection, wanted: list[str]) -> None:
        while True:
            await asyncio.sleep(1 / self.rate)
            for symbol in list(wanted):
                price = self._prices[symbol] * (1 + self._rng.gauss(0, 0.001))
                self._prices[symbol] = price = round(price, 4)
                self._seq += 1
                await ws.send(
                    f'{{"type":"tick","seq":{self._seq},"symbol":"{symbol}",'
                    f'"price":{price},"time":{time.time():.6f}}}'
                )
