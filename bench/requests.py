"""Request round trips: ``ws.call()`` and ``ws.request()`` vs a bare websockets request loop.

One MarketServer in another process (``python -m ipywebsockets serve market``);
in this process, alternating, best of REPEAT: a bare ``websockets.sync`` client
sends a JSON-RPC ``add`` and waits for its reply, N times; then the same through
``WebSocket.call`` (ids, matching, the history and counters all on) and through
``WebSocket.request`` with a ``match`` function. Every reply is checked.

Usage: python bench/requests.py [--count 2000] [--repeat 3] [--json]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import _common
from _common import Result, emit, say


def serve() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipywebsockets", "serve", "market", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"the market server did not start: {line!r}")
    return proc, line.split("listening on ")[1].split()[0]


def bare(url: str, count: int) -> float:
    from websockets.sync.client import connect

    with connect(url, proxy=None) as ws:
        started = time.perf_counter()
        for i in range(count):
            ws.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "add", "params": [i, 1]}))
            if json.loads(ws.recv())["result"] != i + 1:
                raise AssertionError("wrong reply")
        return count / (time.perf_counter() - started)


def ours(url: str, count: int, how: str) -> float:
    import ipywebsockets as iws

    ws = iws.WebSocket(url)
    try:
        while ws.status != "open":
            time.sleep(0.01)
        started = time.perf_counter()
        for i in range(count):
            if how == "call":
                result = ws.call("add", [i, 1], timeout=10)
            else:
                msg = {"jsonrpc": "2.0", "id": i, "method": "add", "params": [i, 1]}
                reply = ws.request(msg, match=lambda m, i=i: m.json().get("id") == i, timeout=10)
                result = reply.json()["result"]
            if result != i + 1:
                raise AssertionError("wrong reply")
        return count / (time.perf_counter() - started)
    finally:
        ws.close(widget=True)


def main() -> None:
    p = _common.parser(__doc__)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    proc, url = serve()
    try:
        best = {"bare": 0.0, "call": 0.0, "request": 0.0}
        for _ in range(args.repeat):
            best["bare"] = max(best["bare"], bare(url, args.count))
            best["call"] = max(best["call"], ours(url, args.count, "call"))
            best["request"] = max(best["request"], ours(url, args.count, "request"))
    finally:
        proc.kill()
        proc.wait()
    rows = []
    for how in ("call", "request"):
        ratio = best[how] / best["bare"]
        say(f"{how}(): {best[how]:,.0f} round trips/s vs bare {best['bare']:,.0f} ({ratio:.2f})")
        rows.append(
            Result("requests", f"{how}() round trips/s vs bare websockets", best[how],
                   best["bare"], ratio, unit="/s")
        )  # fmt: skip
    emit(rows, args.json)


if __name__ == "__main__":
    main()
