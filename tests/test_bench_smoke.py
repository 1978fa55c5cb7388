"""The benchmarks run at tiny sizes, so they cannot rot (figures come from `make bench`)."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import shutil
import subprocess
import sys
from typing import Any

import pytest

BENCH = pathlib.Path(__file__).parent.parent / "bench"
ROW_KEYS = {"bench", "figure", "value", "baseline", "ratio", "target", "ok", "unit"}


def _load(name: str):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _run(script: str, *args: str) -> dict[str, Any]:
    """Run a bench script with --json; check the contract run_all.py relies on."""
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
        assert isinstance(row["value"], (int, float)), row
        assert isinstance(row["figure"], str), row
        assert row["ok"] in (True, False, None), row
    return result


def _rows(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["figure"]: row for row in result["rows"]}


# Each script asserts inside that every count is exact (and seqs in order); it exits
# non-zero otherwise. Node's `ws` is installed into bench/node on first use.


def test_ingest_smoke() -> None:
    result = _run("ingest.py", "--count", "3000", "--repeat", "1", "--server", "node")
    assert result["server"] == "node"
    assert all(row["value"] > 0 and row["baseline"] > 0 for row in result["rows"])


def test_ingest_smoke_python_source() -> None:
    """The fallback source (no node): bench/fast_server.py."""
    result = _run("ingest.py", "--count", "2000", "--repeat", "1", "--server", "python")
    assert result["server"] == "python"
    assert all(row["value"] > 0 for row in result["rows"])


def test_coalesce_smoke() -> None:
    result = _run("coalesce.py", "--seconds", "2")
    rows = _rows(result)
    forwarded = next(r for f, r in rows.items() if f.startswith("comm msgs/s"))
    assert forwarded["ok"], forwarded  # <= max_fps + slack
    assert rows["'IOPub message rate exceeded' notices"]["value"] == 0
    assert result["exact"], result["results"]["ipywebsockets"]
    assert result["results"]["naive"]["received"] > 0


def test_memory_smoke() -> None:
    result = _run("memory.py", "--count", "20000")
    for name in ("ipywebsockets", "bare"):
        assert result["results"][name]["received"] == 20000


def test_many_sockets_smoke() -> None:
    result = _run("many_sockets.py", "--sockets", "5", "--rate", "50", "--seconds", "1")
    assert result["results"]["ipywebsockets"]["exact"], result["results"]
    assert result["results"]["bare"]["exact"], result["results"]


def test_run_all_reports_a_missing_script() -> None:
    run_all = _load("run_all")
    rows, _ = run_all.run("no_such_bench", [], None)
    assert rows[0]["value"] is None and "missing" in rows[0]["figure"]
    assert "no_such_bench" in run_all.table(rows)


def test_npm_ci_on_first_use(tmp_path: pathlib.Path) -> None:
    """A fresh clone has no bench/node/node_modules: the bench installs `ws` itself."""
    for name in ("package.json", "package-lock.json", "server.mjs"):
        shutil.copy(BENCH / "node" / name, tmp_path / name)
    common = _load("_common")
    assert common.ensure_node(tmp_path)
    assert (tmp_path / "node_modules" / "ws" / "package.json").exists()


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
