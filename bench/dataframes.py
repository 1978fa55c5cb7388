"""DataFrames from a recording: iws.read_recording() vs pandas.read_json and polars.read_ndjson.

A recording of COUNT messages is written as ``ws.record()`` writes it
(``encode_message`` lines): small JSON ticks (~60 bytes), one in 100 a
binary message, one in 100 sent. Each reader then runs in a fresh process
of its own, in the same run, and reports its time and its peak memory: the
peak RSS (``resource.getrusage``) minus the RSS once its modules are
imported, so imports do not count.

* ``read_recording(engine="pandas")`` and ``(engine="polars")``: every field
  of every message as a column (``type``, ``json.seq``, ``symbol``, ``price``,
  ``text``, ``bytes``), the recording read a line at a time;
* the baselines, ``pandas.read_json(path, lines=True)`` and
  ``polars.read_ndjson(path)``: the same file read whole, as its envelope
  only (``seq``, ``time``, ``dir``, ``kind``, ``data``): the payload stays a
  string, not parsed. They do less work; they are what a user would reach for.

Usage: python bench/dataframes.py [--count 1000000] [--keep FILE] [--json]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Result, emit, load, parser, say

READERS = {
    "read_recording pandas": ("import ipywebsockets as iws, pandas", "iws.read_recording(PATH)"),
    "read_recording polars": (
        "import ipywebsockets as iws, polars",
        "iws.read_recording(PATH, engine='polars')",
    ),
    "pandas.read_json": ("import pandas", "pandas.read_json(PATH, lines=True)"),
    "polars.read_ndjson": ("import polars", "polars.read_ndjson(PATH)"),
}
PAIRS = [
    ("read_recording pandas", "pandas.read_json"),
    ("read_recording polars", "polars.read_ndjson"),
]


def write(path: Path, count: int) -> None:
    """A recording of ``count`` messages, as ``ws.record()`` writes them."""
    from ipywebsockets.message import Message
    from ipywebsockets.record import encode_message

    t0 = 1764115200.0
    with path.open("w", encoding="utf-8") as out:
        lines = []
        for i in range(1, count + 1):
            if i % 100 == 0:
                data: str | bytes = bytes(range(16))
            else:
                price = 100 + (i % 997) / 100
                data = f'{{"type":"tick","seq":{i},"symbol":"ABC","price":{price:.2f}}}'
            lines.append(
                encode_message(
                    Message.make(i, t0 + i / 1000, "out" if i % 100 == 50 else "in", data)
                )
            )
            if len(lines) == 10_000:
                out.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            out.write("\n".join(lines) + "\n")


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def child(name: str, path: str) -> None:
    """Run one reader in this process; print its figures as JSON."""
    setup, call = READERS[name]
    exec(setup, globals())
    before = _rss_mb()
    started = time.perf_counter()
    frame = eval(call.replace("PATH", repr(path)), globals())
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    rows, cols = frame.shape
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak,
                "growth_mb": peak - before,
                "rows": rows,
                "columns": cols,
            }
        )
    )


def measure(name: str, path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(count: int = 1_000_000, keep: str | None = None, as_json: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(keep) if keep else Path(tmp) / "recording.jsonl"
        say(f"writing {count:,} messages to {path} (load {load()})")
        write(path, count)
        size_mb = path.stat().st_size / 2**20
        got: dict[str, dict[str, Any]] = {}
        for name in READERS:
            say(f"{name} ...")
            got[name] = measure(name, path)
            assert got[name]["rows"] == count, (name, got[name])
            say(f"  {got[name]}")
    assert got["read_recording pandas"]["columns"] == got["read_recording polars"]["columns"] == 10
    rows = []
    for ours, base in PAIRS:
        mine, theirs = got[ours], got[base]
        for figure, key, unit in (("time", "seconds", "s"), ("peak RSS growth", "growth_mb", "MB")):
            rows.append(
                Result(
                    "dataframes",
                    f"{ours}: {figure} vs {base}",
                    mine[key],
                    theirs[key],
                    mine[key] / theirs[key] if theirs[key] else None,
                    "",
                    None,
                    unit,
                )
            )
    return emit(rows, as_json, count=count, file_mb=round(size_mb, 1), results=got)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        sys.exit(0)
    p = parser(__doc__)
    p.add_argument("--count", type=int, default=1_000_000)
    p.add_argument("--keep", default=None, help="write the recording here (and keep it)")
    a = p.parse_args()
    main(a.count, a.keep, a.json)
