"""The benchmarks run at tiny sizes, so they cannot rot (figures come from `make bench`)."""

from __future__ import annotations

import importlib.util
import pathlib

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
