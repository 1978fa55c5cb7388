"""bench/browser_mode.py and bench/latency.py at tiny sizes, so they cannot rot.

Each runs in a process of its own (JupyterLab, Chromium, a server process) and
must print, as its last stdout line, the JSON object `make bench` reads.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Any

import pytest

BENCH = pathlib.Path(__file__).parent.parent / "bench"
ROW_KEYS = {"bench", "figure", "value", "baseline", "ratio", "target", "ok", "unit"}

pytestmark = pytest.mark.e2e


def _run(script: str, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(BENCH / script), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["rows"], result
    for row in result["rows"]:
        assert set(row) == ROW_KEYS, row
        assert isinstance(row["value"], float | int) and isinstance(row["figure"], str)
    return dict(result)


def test_browser_mode_smoke() -> None:
    result = _run("browser_mode.py", "--count", "3000", "--repeat", "1")
    assert result["count"] == 3000
    # Nothing lost: the kernel holds exactly what the page's socket took.
    assert result["kernel_received"] == [3000] and result["kernel_lost"] == [0]
    assert result["bare_msgs_per_s"][0] > 0 and result["widget_msgs_per_s"][0] > 0
    throughput = result["rows"][0]
    assert throughput["unit"] == "msg/s" and throughput["ratio"] > 0
    assert throughput["ok"] is (throughput["ratio"] >= 0.9)


def test_latency_smoke() -> None:
    result = _run("latency.py", "--low", "20", "--high", "200", "--seconds", "1")
    # 20 and 200 messages: every one reached each bare client and the kernel's callback.
    for rate, count in (("20", 20), ("200", 200)):
        figures = result["results"][rate]
        assert figures["bare page: send → onmessage"]["n"] == count
        assert figures["bare Python: send → recv()"]["n"] == count
        assert figures["kernel mode: send → on_message"]["n"] == count
        assert figures["browser mode: send → on_message (batched)"]["n"] == count
        assert figures["kernel mode: send → DOM row"]["n"] > 0
        assert figures["browser mode: send → DOM row"]["n"] > 0
        for p in figures.values():
            assert 0 <= p["p50"] <= p["p99"] <= p["max"] < 10_000
