"""ws.to_pandas(), ws.to_polars() and iws.read_recording() after real traffic on real servers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import ipywebsockets as iws
from timing import eventually


def _ticks(connect: Callable[..., iws.WebSocket], count: int, record: Path | None = None):  # type: ignore[no-untyped-def]
    srv = iws.TickerServer(rate=None, count=count).start()
    try:
        ws = connect(srv.url, history=10_000, connect=False)
        rec = ws.record(record) if record is not None else None
        ws.connect()
        eventually(lambda: ws._stream.state["status"] == "closed", 20, "the ticker closes")
        if rec is not None:
            rec.stop()
            assert rec.written == count and rec.dropped == 0
    finally:
        srv.stop()
    return ws


def test_to_pandas_and_to_polars_after_a_real_ticker(connect: Callable[..., iws.WebSocket]) -> None:
    ws = _ticks(connect, 500)
    df = ws.to_pandas()
    assert len(df) == 500 == ws.received
    # The ticker's own seq and time are fields: they get the json. prefix.
    assert list(df.columns) == [
        *("seq", "time", "direction", "kind", "size"),
        *("type", "json.seq", "json.time", "symbol", "price"),
    ]
    assert df["seq"].tolist() == [m.seq for m in ws.messages]
    assert df["json.seq"].tolist() == list(range(1, 501))
    assert df["price"].dtype == "float64" and df["json.seq"].dtype == "int64"
    assert str(df["time"].dtype) == "datetime64[ns, UTC]" and df["time"].is_monotonic_increasing
    assert (df["direction"] == "in").all() and (df["size"] == [m.size for m in ws.messages]).all()

    pf = ws.to_polars("price", "symbol", direction="in")
    assert pf.columns == ["seq", "time", "direction", "kind", "size", "price", "symbol"]
    assert pf["price"].to_list() == df["price"].tolist()
    assert pf.schema["time"] == pl.Datetime("us", "UTC")
    assert ws.to_polars(direction="out").height == 0


def test_echo_both_directions_text_json_and_binary(
    connect: Callable[..., iws.WebSocket], echo_server
) -> None:  # type: ignore[no-untyped-def]
    ws = connect(echo_server.url)
    for data in ({"price": 1, "bids": [{"price": 0.5}]}, "plain words", b"\x01\x02\x03"):
        ws.send(data)
        ws.recv(timeout=10)
    df = ws.to_pandas()
    assert df["direction"].tolist() == ["out", "in"] * 3
    assert df["kind"].tolist() == ["text"] * 4 + ["binary"] * 2
    assert df["bids.0.price"].tolist()[:2] == [0.5, 0.5]
    assert df["text"].tolist()[2:4] == ["plain words"] * 2
    assert df["bytes"].tolist()[4:] == [b"\x01\x02\x03"] * 2 and df["size"].tolist()[4:] == [3, 3]
    incoming = ws.to_polars(direction="in")
    assert incoming["seq"].to_list() == df["seq"].tolist()[1::2]
    assert incoming["bytes"].to_list() == [None, None, b"\x01\x02\x03"]
    with pytest.raises(ValueError, match="direction must be"):
        ws.to_pandas(direction="both")


@pytest.mark.parametrize("engine", ["pandas", "polars"])
def test_read_recording_of_a_real_socket(
    connect: Callable[..., iws.WebSocket], tmp_path: Path, engine: str
) -> None:
    path = tmp_path / "ticks.jsonl"
    ws = _ticks(connect, 2000, record=path)
    df = iws.read_recording(path, engine=engine, chunk=300)
    live = ws.to_pandas() if engine == "pandas" else ws.to_polars()
    assert len(df) == 2000
    if engine == "pandas":
        assert isinstance(df, pd.DataFrame)
        pd.testing.assert_frame_equal(df, live)
    else:
        assert isinstance(df, pl.DataFrame) and df.equals(live)
    picked = iws.read_recording(str(path), "price", engine=engine, direction="in")
    assert list(picked.columns) == ["seq", "time", "direction", "kind", "size", "price"]
