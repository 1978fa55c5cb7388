"""The benchmarks run at tiny sizes, so they cannot rot (figures come from `make bench`)."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest

BENCH = pathlib.Path(__file__).parent.parent / "bench"


def _load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ingest_smoke() -> None:
    result = _load("ingest").main(count=2_000, repeat=1)
    assert result["count"] == 2_000
    assert result["bare_msgs_per_s"] > 0 and result["widget_msgs_per_s"] > 0


# JupyterLab and Chromium, in a process of its own: it runs last, with the browser tests.
@pytest.mark.e2e
def test_views_page_smoke() -> None:
    args = ["--seconds", "2", "--rate", "200", "--no-baseline", "--json"]
    out = subprocess.run(
        [sys.executable, str(BENCH / "views_page.py"), *args],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    views = json.loads(out.stdout.strip().splitlines()[-1])["views"]
    assert views["msgs_per_s"] > 0 and views["chart_points"] > 0 and views["value_rows"] >= 5
    assert views["chart_redraws_per_s"] > 0 and views["heap_end_mb"] > 0
