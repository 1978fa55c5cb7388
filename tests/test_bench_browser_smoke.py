"""bench/browser_mode.py and bench/latency.py at tiny sizes, so they cannot rot.

Each runs in a process of its own (JupyterLab, Chromium, a server process) and
must print, as its last stdout line, the JSON object `make bench` reads.
"""

from __future__ import annotations

import pytest

from test_bench_smoke import _run

pytestmark = pytest.mark.e2e


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
