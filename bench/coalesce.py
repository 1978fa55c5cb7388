"""Coalescing under load: comm messages per second a widget publishes at the highest input rate.

A real jupyter_server (JupyterLab's, as the e2e tests start it) runs a real
kernel; this script talks to the kernel the way a browser does, over the
server's ``/api/kernels/<id>/channels`` WebSocket, and counts what the server
forwards. A second subscriber reads the kernel's IOPub socket directly
(jupyter_client), to count what the kernel published before the server's
rate limit (``iopub_msg_rate_limit`` 1000/s over ``rate_limit_window`` 3 s,
docs/jupyter-internals.md#iopub-rate-limit) dropped anything.

Two kernels, one after the other, each reading the fast source (as fast as
it can) for SECONDS with no cell running:

* ipywebsockets: ``ws = WebSocket(url)`` (max_fps=30, history=1000), displayed;
* naive: a plain websockets loop on a thread that sets an ipywidgets
  ``IntText.value`` for every message (one comm message per message).

Usage: python bench/coalesce.py [--seconds 10] [--server auto|node|python] [--json]
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import queue
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import _common
from _common import Result, emit, load, say

E2E = Path(__file__).resolve().parent.parent / "tests" / "e2e"
RATE_EXCEEDED = "IOPub message rate exceeded"
MAX_FPS = 30
SLACK = 3  # comm messages/s above max_fps: the once-a-second update and the status flushes

SETUPS = {
    "ipywebsockets": (
        "import ipywebsockets as iws\n"
        f"w = iws.WebSocket(URL, max_fps={MAX_FPS}, history=1000, reconnect=False)\n"
        "from IPython.display import display\n"
        "display(w)  # shown: its rows go to the page (an undisplayed one sends ~1/s)\n"
        "_bench_result = w.model_id\n"
    ),
    "naive": (
        "import asyncio, json, threading\n"
        "import ipywidgets as W\n"
        "from websockets.asyncio.client import connect\n"
        "w = W.IntText(value=-1)\n"  # every seq (from 0) a change: one message each
        "state = {'n': 0, 'sent': 0, 'stop': False}\n"
        "_send = w._send\n"
        "def _counted(*args, **kwargs):  # the comm messages it publishes, counted at the source\n"
        "    state['sent'] += 1\n"
        "    return _send(*args, **kwargs)\n"
        "w._send = _counted\n"
        "async def naive(url):\n"
        "    async with connect(url, proxy=None, compression=None) as ws:\n"
        "        async for data in ws:\n"
        "            w.value = json.loads(data)['seq']  # one comm message per message\n"
        "            state['n'] += 1\n"
        "            if state['stop']:\n"
        "                break\n"
        "threading.Thread(target=lambda: asyncio.run(naive(URL)), daemon=True).start()\n"
        "_bench_result = w.model_id\n"
    ),
}
COLLECT = {
    "ipywebsockets": (
        "import time\n"
        "n = w._stream.stats.received\n"
        "w.close()\n"
        "time.sleep(0.5)  # the publisher's last flush\n"
        "_bench_result = {'received': n, 'total': w._stream.stats.received}\n"
    ),
    "naive": (
        "import time\n"
        "n = state['n']\nstate['stop'] = True\ntime.sleep(0.2)\n"
        "_bench_result = {'received': n, 'total': state['n'], 'sent': state['sent']}\n"
    ),
}


def _e2e() -> Any:
    """JupyterEnv / JupyterServer from the e2e harness (imported by path, as views_page does)."""
    sys.path.insert(0, str(E2E))
    sys.path.insert(0, str(E2E.parent))  # tests/timing.py, which the e2e harness imports
    spec = importlib.util.spec_from_file_location("iws_e2e_conftest", E2E / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _post(url: str, body: dict[str, Any] | None = None, method: str = "POST") -> Any:
    data = json.dumps(body or {}).encode()
    req = urllib.request.Request(url, data=data if method == "POST" else None, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read()
    return json.loads(text) if text else None


class ZmqCounter:
    """Counts comm_msg per comm id on the kernel's own IOPub socket (before the server)."""

    def __init__(self, connection_file: Path) -> None:
        from jupyter_client.blocking.client import BlockingKernelClient

        self.kc = BlockingKernelClient(connection_file=str(connection_file))
        self.kc.load_connection_file()
        self.kc.start_channels(shell=False, stdin=False, hb=False, control=False)
        self.times: dict[str, list[float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.kc.iopub_channel.get_msg(timeout=0.1)
            except queue.Empty:
                continue
            if msg["header"]["msg_type"] == "comm_msg":
                comm = msg["content"]["comm_id"]
                self.times.setdefault(comm, []).append(time.monotonic())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.kc.stop_channels()


class Channels:
    """The kernel seen through jupyter_server's WebSocket, as JupyterLab sees it."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.session = uuid.uuid4().hex
        self.replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.comm: dict[str, list[tuple[float, dict[str, Any]]]] = {}
        self.exceeded: list[float] = []

    async def read(self) -> None:
        async for raw in self.ws:
            msg = json.loads(raw)
            kind = msg["header"]["msg_type"]
            if msg["channel"] == "shell" and kind == "execute_reply":
                fut = self.replies.pop(msg["parent_header"]["msg_id"], None)
                if fut is not None and not fut.done():
                    fut.set_result(msg["content"])
            elif kind == "comm_msg":
                data = msg["content"]["data"]
                self.comm.setdefault(msg["content"]["comm_id"], []).append((time.monotonic(), data))
            elif kind == "stream" and RATE_EXCEEDED in msg["content"]["text"]:
                self.exceeded.append(time.monotonic())

    async def execute(self, code: str) -> Any:
        msg_id = uuid.uuid4().hex
        expr = "__import__('json').dumps(globals().get('_bench_result'))"
        header = {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "bench",
            "session": self.session,
            "version": "5.3",
            "date": "",
        }
        content = {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {"r": expr},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        msg = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
        fut = asyncio.get_running_loop().create_future()
        self.replies[msg_id] = fut
        await self.ws.send(json.dumps({**msg, "channel": "shell", "buffers": []}))
        reply = await asyncio.wait_for(fut, 120)
        if reply["status"] != "ok":
            raise RuntimeError(f"{reply.get('ename')}: {reply.get('evalue')}\n{code}")
        import ast

        return json.loads(ast.literal_eval(reply["user_expressions"]["r"]["data"]["text/plain"]))


async def _one(base: str, runtime: Path, how: str, url: str, seconds: float) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    kernel = _post(f"{base}/api/kernels", {"name": "python3"})
    kid = kernel["id"]
    zmq = None
    try:
        ch_url = base.replace("http", "ws", 1) + f"/api/kernels/{kid}/channels"
        async with connect(ch_url, proxy=None, max_size=None, compression=None) as ws:
            ch = Channels(ws)
            reader = asyncio.ensure_future(ch.read())
            await ch.execute("_bench_result = 1")  # the kernel is up
            zmq = ZmqCounter(runtime / f"kernel-{kid}.json")
            await asyncio.sleep(0.5)  # the subscription reaches the kernel's XPUB
            comm = await ch.execute(SETUPS[how].replace("URL", repr(url)))
            t0 = time.monotonic()
            await asyncio.sleep(seconds)  # no cell runs: no idle status resets the limiter
            t1 = time.monotonic()
            counts = await ch.execute(COLLECT[how])
            await asyncio.sleep(1.0)
            reader.cancel()
        msgs = ch.comm.get(comm, [])
        window = t1 - t0
        forwarded = sum(1 for t, _ in msgs if t0 <= t <= t1)
        published = sum(1 for t in zmq.times.get(comm, []) if t0 <= t <= t1)
        frames = [d["content"] for _, d in msgs if d.get("method") == "custom"]
        frames = [f for f in frames if f.get("type") == "frames"]
        # Rows travel as columns (_rows.wire_rows): "seq" lists each row's number.
        accounted = sum(len(f["frames"]["seq"]) + f["omitted"] for f in frames)
        # Stronger than the sum: each batch starts right after the last one's rows + omitted.
        anomalies, last = [], 0
        for f in frames:
            seqs = f["frames"]["seq"]
            if seqs:
                if seqs[0] != last + f["omitted"] + 1 and len(anomalies) < 5:
                    anomalies.append({"after": last, "omitted": f["omitted"], "first": seqs[0]})
                last = seqs[-1]
        # Whole-run totals (setup to the end), for what the server dropped.
        published_all = len(zmq.times.get(comm, []))
        return {
            "published_all": published_all,
            # What the widget itself sent (the naive one counts it): the IOPub reader
            # above may miss some of a flood (its socket's high-water mark).
            "sent_by_widget": counts.get("sent"),
            "forwarded_all": len(msgs),
            "received": counts["received"],
            "in_per_s": counts["received"] / (window + 0.0),
            "published_per_s": published / window,
            "forwarded_per_s": forwarded / window,
            "published": published,
            "forwarded": forwarded,
            "exceeded": len(ch.exceeded),
            "accounted": accounted,
            "anomalies": anomalies,
            "total": counts["total"],
            "window": window,
        }
    finally:
        if zmq is not None:
            zmq.stop()
        _post(f"{base}/api/kernels/{kid}", method="DELETE")


def main(seconds: float = 10.0, server: str = "auto", as_json: bool = False) -> dict[str, Any]:
    kind = _common.pick_server(server)
    e2e = _e2e()
    import tempfile

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="iws-bench-coalesce-") as tmp:
        env = e2e.JupyterEnv(Path(tmp))
        srv = e2e.JupyterServer("lab", env)
        try:
            srv.wait_ready(60)
            with _common.source(kind, count=0) as url:
                for how in ("ipywebsockets", "naive"):
                    say(f"coalesce: {how}, {seconds} s from {kind} (load {load()})")
                    results[how] = asyncio.run(
                        _one(srv.base_url, env.runtime_dir, how, url, seconds)
                    )
        finally:
            srv.stop()
    iws, naive = results["ipywebsockets"], results["naive"]
    # ipywebsockets publishes every count at the end: rows shown + omitted = messages.
    exact = iws["accounted"] == iws["total"] and not iws["anomalies"]

    def dropped(r: dict[str, Any]) -> float:
        return 100.0 * max(0, r["published_all"] - r["forwarded_all"]) / max(1, r["published_all"])

    rows = [
        Result(
            "coalesce",
            "input msgs/s into the kernel",
            iws["in_per_s"],
            naive["in_per_s"],
            iws["in_per_s"] / naive["in_per_s"] if naive["in_per_s"] else None,
            "",
            None,
            "msg/s",
        ),
        Result(
            "coalesce",
            "comm msgs/s per widget forwarded (naive: 1/msg)",
            iws["forwarded_per_s"],
            naive["forwarded_per_s"],
            None,
            f"<= {MAX_FPS + SLACK}/s",
            iws["forwarded_per_s"] <= MAX_FPS + SLACK,
            "msg/s",
        ),
        Result(
            "coalesce",
            "'IOPub message rate exceeded' notices",
            iws["exceeded"],
            naive["exceeded"],
            None,
            "0",
            iws["exceeded"] == 0,
        ),
        Result(
            "coalesce",
            "updates dropped by the server (%)",
            dropped(iws),
            dropped(naive),
            None,
            "0 (rows+omitted == received)",
            iws["published_all"] <= iws["forwarded_all"] and exact,
            "%",
        ),
    ]
    return emit(rows, as_json, server=kind, seconds=seconds, results=results, exact=exact)


if __name__ == "__main__":
    p = _common.parser(__doc__)
    p.add_argument("--seconds", type=float, default=10.0)
    args = p.parse_args()
    main(args.seconds, args.server, args.json)
