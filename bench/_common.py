"""What the bench scripts share: the streaming source, the result rows and their printing.

The contract with ``run_all.py``: every bench script accepts ``--json`` and
then prints, as its last stdout line, one JSON object ``{"rows": [row, ...],
...}`` where a row is ``{"bench", "figure", "value", "baseline", "ratio",
"target", "ok", "unit"}`` (``baseline``, ``ratio`` and ``ok`` may be null).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "node"

# One small tick, the same from both sources (~60 bytes).
TICK = '{"type":"tick","seq":%d,"symbol":"ABC","price":%.2f}'


@dataclass
class Result:
    """One row of the table."""

    bench: str
    figure: str
    value: float
    baseline: float | None = None
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None
    unit: str = ""


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with the options every bench script has."""
    p = argparse.ArgumentParser(
        description=(doc or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="last stdout line: the rows as JSON")
    p.add_argument(
        "--server",
        choices=("auto", "node", "python"),
        default="auto",
        help="the streaming source: node's ws (auto when node is there) or bench/fast_server.py",
    )
    return p


def load() -> str:
    """The 1/5/15-minute load averages, for the record that goes with each figure."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def say(*args: Any) -> None:
    """Progress and human-readable figures (stderr when the JSON line goes to stdout)."""
    print(*args, file=sys.stderr, flush=True)


def emit(rows: list[Result], as_json: bool, **extra: Any) -> dict[str, Any]:
    """Print the rows (a table, or the JSON line) and return the result object."""
    out = {"rows": [asdict(r) for r in rows], "load": load(), **extra}
    if as_json:
        print(json.dumps(out), flush=True)
    else:
        print(table([asdict(r) for r in rows]))
        print(f"load average {out['load']}; " + ", ".join(f"{k}={v}" for k, v in extra.items()))
    return out


def _num(x: Any, unit: str = "") -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and abs(x) < 100 and x != int(x):
        return f"{x:.2f}{unit}"
    return f"{x:,.0f}{unit}"


def table(rows: list[dict[str, Any]]) -> str:
    """Rows as a fixed-width text table."""
    head = ("bench", "figure", "ipywebsockets", "baseline", "ratio", "target", "")
    lines = [head]
    for r in rows:
        unit = f" {r['unit']}" if r.get("unit") else ""
        ok = {True: "pass", False: "MISS", None: ""}[r.get("ok")]
        ratio = "-" if r.get("ratio") is None else f"{r['ratio']:.2f}"
        lines.append(
            (
                r["bench"],
                r["figure"],
                _num(r.get("value"), unit),
                _num(r.get("baseline"), unit),
                ratio,
                r.get("target") or "",
                ok,
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


# --------------------------------------------------------------------------- the source


def ensure_node(node_dir: Path = NODE_DIR) -> str:
    """The node binary, with ``bench/node``'s ``ws`` installed (``npm ci`` on first use).

    Raises:
        RuntimeError: node or npm is missing, or the install failed.
    """
    node = shutil.which("node")
    if node is None:
        raise RuntimeError(
            "node is not installed: install Node.js 18+ (apt-get install -y nodejs npm) "
            "or pass --server python"
        )
    if not (node_dir / "node_modules" / "ws" / "package.json").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                f"npm is needed once to install the bench server's `ws` into {node_dir}: "
                "install npm (apt-get install -y npm) or pass --server python"
            )
        done = subprocess.run(
            [npm, "ci", "--prefix", str(node_dir), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm ci --prefix {node_dir} failed:\n{done.stderr[-2000:]}")
    return node


def pick_server(choice: str) -> str:
    """``node`` or ``python``: what ``--server`` asks for (auto: node when installed)."""
    if choice == "auto":
        return "node" if shutil.which("node") else "python"
    return choice


@contextlib.contextmanager
def source(kind: str, count: int = 0, rate: float = 0) -> Iterator[str]:
    """Run the streaming source in its own process and yield its URL.

    Every connection gets ``count`` messages (0: endless), as fast as it reads
    (``rate=0``) or ``rate`` per second, then a close with 1000.
    """
    opts = ["--count", str(count), "--rate", str(rate)]
    if kind == "node":
        cmd = [ensure_node(), str(NODE_DIR / "server.mjs"), *opts]
    else:
        cmd = [sys.executable, str(HERE / "fast_server.py"), *opts]
    with server_process(cmd, f"the {kind} server") as url:
        yield url


@contextlib.contextmanager
def server_process(cmd: list[str], what: str) -> Iterator[str]:
    """Run a server script that prints its ws:// URL first; yield the URL, stop it after."""
    # stdin is a pipe: the server exits when it closes, even if this process dies.
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("ws://"):
            raise RuntimeError(f"{what} did not start: {cmd}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()


# --------------------------------------------------------------------------- a real kernel


class Kernel:
    """A real ipykernel (jupyter_client) that runs bench code and hands back JSON results."""

    def __init__(self) -> None:
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name="python3")
        env = dict(os.environ, PYTHONUNBUFFERED="1", NO_PROXY="127.0.0.1,localhost")
        self.km.start_kernel(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.pid = int(self.run("import os; _bench_result = os.getpid()"))

    def run(self, code: str, timeout: float = 600) -> Any:
        """Run ``code``; return the JSON of what it left in ``_bench_result`` (None if unset).

        The result comes back in the execute reply (the shell channel), so a
        flooded IOPub channel cannot lose it.
        """
        import ast
        import queue

        expr = "__import__('json').dumps(globals().get('_bench_result'))"
        msg_id = self.kc.execute(code, user_expressions={"r": expr}, allow_stdin=False)
        while True:
            try:
                reply = self.kc.get_shell_msg(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no reply within {timeout} s to:\n{code}") from None
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content["status"] != "ok":
            tb = "\n".join(content.get("traceback", []))
            raise RuntimeError(
                f"the kernel raised {content.get('ename')}: {content.get('evalue')}\n{tb}"
            )
        r = content["user_expressions"]["r"]
        if r.get("status") != "ok":
            raise RuntimeError(f"cannot read the result: {r}")
        return json.loads(ast.literal_eval(r["data"]["text/plain"]))

    def rss_mb(self) -> float:
        """The kernel process's resident set size in MiB (from /proc)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS in /proc")

    def cpu_seconds(self) -> float:
        """User + system CPU time the kernel process used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=False)


@contextlib.contextmanager
def kernel() -> Iterator[Kernel]:
    k = Kernel()
    try:
        yield k
    finally:
        k.stop()
