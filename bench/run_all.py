"""Run every benchmark, each in its own process, and print one table.

Each script runs with ``--json`` and prints its rows as the last stdout line
(the contract in ``_common.py``); a script that is missing or fails gets a
row that says so, and the others still run.

Usage: python bench/run_all.py [--size full|small] [--only NAME ...] [--lock FILE] [--json]
(``--lock FILE``: run each script under ``flock FILE``, so that measurements
on a shared machine do not overlap.)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import load, table

HERE = Path(__file__).resolve().parent

# name: (full-size arguments, small-size arguments)
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    "ingest": (["--count", "200000", "--repeat", "3"], ["--count", "20000", "--repeat", "1"]),
    "coalesce": (["--seconds", "10"], ["--seconds", "3"]),
    "memory": (["--count", "1000000"], ["--count", "100000"]),
    "many_sockets": (
        ["--sockets", "100", "--rate", "100", "--seconds", "20"],
        ["--sockets", "20", "--rate", "50", "--seconds", "4"],
    ),
    # NAME@LABEL: the script NAME again with other arguments (full size only: SIZE=small
    # runs the 20 x 50 one above).
    "many_sockets@20x50": (["--sockets", "20", "--rate", "50", "--seconds", "20"], []),
    "browser_mode": ([], ["--count", "20000", "--repeat", "1"]),
    "latency": ([], ["--seconds", "3"]),
    "dataframes": (["--count", "1000000"], ["--count", "100000"]),
    "requests": (["--count", "2000", "--repeat", "3"], ["--count", "300", "--repeat", "1"]),
    "protocols": (["--count", "100000", "--repeat", "3"], ["--count", "10000", "--repeat", "1"]),
    "views_page": (["--seconds", "30", "--rate", "10000"], ["--seconds", "5", "--rate", "2000"]),
}


def _failed(name: str, why: str) -> dict[str, Any]:
    return {
        "bench": name,
        "figure": why,
        "value": None,
        "baseline": None,
        "ratio": None,
        "target": "",
        "ok": False,
        "unit": "",
    }


def run(name: str, args: list[str], lock: str | None) -> tuple[list[dict[str, Any]], str]:
    """Run one script; return its rows and a note (server, load, time)."""
    script = HERE / f"{name.split('@')[0]}.py"
    if not script.exists():
        return [_failed(name, f"not run: bench/{name}.py is missing")], ""
    cmd = [sys.executable, str(script), *args, "--json"]
    if lock:
        cmd = ["flock", lock, *cmd]
    started = time.monotonic()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    took = time.monotonic() - started
    lines = done.stdout.strip().splitlines()
    try:
        out = json.loads(lines[-1])
        rows = out["rows"]
    except (IndexError, ValueError, KeyError, TypeError):
        why = f"failed (exit {done.returncode}): no JSON result line; see its stderr above"
        return [_failed(name, why)], f"{name}: {took:.0f} s"
    if done.returncode != 0:
        rows.append(_failed(name, f"exited with {done.returncode}"))
    extra = ", ".join(
        f"{k}={out[k]}" for k in ("server", "count", "seconds", "repeat", "rate") if k in out
    )
    return rows, f"{name}: {took:.0f} s, load {out.get('load', '?')}; {extra}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", choices=("full", "small"), default="full")
    p.add_argument(
        "--only", nargs="*", choices=sorted({n.split("@")[0] for n in BENCHES}), default=None
    )
    p.add_argument("--lock", default=None, help="run each script under `flock LOCK`")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    if a.lock and shutil.which("flock") is None:
        p.error("--lock needs the flock command (util-linux)")
    rows: list[dict[str, Any]] = []
    notes = []
    for name, (full, small) in BENCHES.items():
        if a.only and name.split("@")[0] not in a.only:
            continue
        args = full if a.size == "full" else small
        if "@" in name and not args:
            continue
        print(f"[run_all] {name} {' '.join(full if a.size == 'full' else small)}", file=sys.stderr)
        got, note = run(name, full if a.size == "full" else small, a.lock)
        print(f"{table(got)}\n{note}", file=sys.stderr)  # as each ends: a long run shows progress
        rows += got
        if note:
            notes.append(note)
    if a.json:
        print(json.dumps({"rows": rows, "notes": notes, "load": load()}))
    else:
        print(table(rows))
        print("\n".join(notes))
    # A missed target is a figure, not an error: only scripts that failed fail the run.
    return 1 if any(r.get("value") is None for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
