"""Protocol sockets: a GraphQL subscription through iws.graphql() vs the same by hand.

One server in another process (node's ``ws``, bench/node/server.mjs ``--graphql 1``)
speaks graphql-transport-ws: ``connection_ack``, then COUNT ``next`` results
(each a ~60-byte tick inside ``{"id","type":"next","payload":{"data":{"tick":...}}}``),
then ``complete``. Three clients read them in one plain Python process, each on a
thread with its own asyncio loop where it has one, alternating, best of REPEAT;
each checks that the count is exact and the seqs come in order:

* ``bare``: websockets and ``json.loads``, the handshake and the subscribe written by
  hand, every frame checked for ``type == "next"`` (the baseline);
* ``raw WebSocket``: ``iws.WebSocket`` offering the subprotocol, an ``on_open`` hook
  writing the handshake and the subscribe, ``on_message`` decoding each frame: what a
  user wrote before protocol sockets;
* ``graphql``: ``iws.graphql(url, query)``, ``on_message`` decoding each result
  (``msg.json()["data"]["tick"]``): the codec parses each frame, the stream keeps the
  results (history, counters, the view's rows), the handler decodes them again.

Usage: python bench/protocols.py [--count 100000] [--repeat 3] [--json]
"""

from __future__ import annotations

import json
import subprocess
import sys

import _common
from _common import Result, emit, load, say

# Not a target the issue sets: what a protocol socket costs against doing it by hand.
TARGET = 0.6

CODE = r"""
import asyncio, json, sys, threading, time
import ipywebsockets as iws
from websockets.asyncio.client import connect

QUERY = "subscription { tick { seq symbol price } }"

def on_thread(fn):
    out = {}
    th = threading.Thread(target=lambda: out.setdefault("r", fn()))
    th.start()
    th.join()
    return out["r"]

def bare(url):
    async def main():
        n, last, start = 0, -1, time.perf_counter()
        async with connect(url, proxy=None, compression=None,
                           subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send('{"type":"connection_init"}')
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                      "payload": {"query": QUERY}}))
            async for data in ws:
                packet = json.loads(data)
                if packet["type"] != "next":
                    continue
                seq = packet["payload"]["data"]["tick"]["seq"]
                n += 1
                if seq != last + 1:
                    raise AssertionError(f"seq {seq} after {last}")
                last = seq
        return {"n": n, "dt": time.perf_counter() - start}
    return on_thread(lambda: asyncio.run(main()))

def socket(url, how):
    state = {"n": 0, "last": -1}
    def check(seq):
        state["n"] += 1
        if seq != state["last"] + 1:
            raise AssertionError(f"seq {seq} after {state['last']}")
        state["last"] = seq
    if how == "graphql":
        ws = iws.graphql(url, QUERY, reconnect=False, connect=False)
        ws.on_message(lambda msg: check(msg.json()["data"]["tick"]["seq"]))
    else:
        ws = iws.WebSocket(url, protocols=["graphql-transport-ws"], reconnect=False,
                           connect=False)
        def hello(sock):
            sock.send({"type": "connection_init"})
            sock.send({"id": "1", "type": "subscribe", "payload": {"query": QUERY}})
        def on_message(msg):
            packet = msg.json()
            if packet["type"] == "next":
                check(packet["payload"]["data"]["tick"]["seq"])
        ws.on_open(hello)
        ws.on_message(on_message)
    start = time.perf_counter()
    ws.connect()
    while ws._transport.running:
        time.sleep(0.01)
    ws._stream.stop_callbacks(wait=60)
    dt = time.perf_counter() - start
    ws.close(widget=True)
    return {"n": state["n"], "dt": dt}

url, count, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rates = {"bare": [], "raw": [], "graphql": []}
for _ in range(repeat):
    r = bare(url)
    assert r["n"] == count, r
    rates["bare"].append(count / r["dt"])
    for how in ("raw", "graphql"):
        r = socket(url, how)
        assert r["n"] == count, (how, r)
        rates[how].append(count / r["dt"])
print(json.dumps(rates))
"""


def main(count: int = 100_000, repeat: int = 3, as_json: bool = False) -> dict[str, object]:
    node = _common.ensure_node()
    cmd = [node, str(_common.NODE_DIR / "server.mjs"), "--count", str(count), "--graphql", "1"]
    with _common.server_process(cmd, "the node GraphQL source") as url:
        say(f"protocols: {count:,} GraphQL results, best of {repeat} (load {load()})")
        done = subprocess.run(
            [sys.executable, "-c", CODE, url, str(count), str(repeat)],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
    rates: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    best = {name: max(values) for name, values in rates.items()}
    rows = [
        Result(
            "protocols",
            "msgs/s, iws.graphql() on_message vs websockets + json by hand",
            best["graphql"],
            best["bare"],
            best["graphql"] / best["bare"],
            f">= {TARGET} x bare",
            best["graphql"] / best["bare"] >= TARGET,
            "msg/s",
        ),
        Result(
            "protocols",
            "msgs/s, iws.graphql() vs iws.WebSocket speaking GraphQL by hand",
            best["graphql"],
            best["raw"],
            best["graphql"] / best["raw"],
            "",
            None,
            "msg/s",
        ),
    ]
    runs = {name: [round(v) for v in values] for name, values in rates.items()}
    return emit(rows, as_json, count=count, repeat=repeat, runs=runs)


if __name__ == "__main__":
    p = _common.parser(__doc__)
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    main(args.count, args.repeat, args.json)
