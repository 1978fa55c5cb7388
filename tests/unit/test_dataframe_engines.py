"""Columns into pandas and polars frames (ipywebsockets.dataframes): dtypes, chunks, errors."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

import ipywebsockets as iws
from ipywebsockets.dataframes import dataframe
from ipywebsockets.message import Message
from ipywebsockets.record import encode_message

T0 = 1764115200.123456
MIXED = [
    '{"price": 1.5, "n": 1, "ok": true, "sym": "A", "bids": [{"p": 1}]}',
    "not json",
    b"\x00\xff",
    '{"price": 2, "n": 2, "ok": false, "sym": 3}',
    "7",
]


def messages(datas: list[str | bytes]) -> list[Message]:
    return [Message.make(i, T0 + i, "out" if i % 2 else "in", d) for i, d in enumerate(datas, 1)]


def rows(frame: Any) -> list[dict[str, Any]]:
    """Rows as dicts, nulls as None, whichever engine."""
    if isinstance(frame, pl.DataFrame):
        return frame.to_dicts()
    return [
        {
            k: (None if not isinstance(v, (bytes, list, dict)) and pd.isna(v) else v)
            for k, v in r.items()
        }
        for r in frame.to_dict("records")
    ]


def test_pandas_dtypes() -> None:
    df = dataframe(messages(MIXED), engine="pandas")
    assert list(df.columns) == [
        *("seq", "time", "direction", "kind", "size"),
        *("price", "n", "ok", "sym", "bids.0.p", "json", "text", "bytes"),
    ]
    assert str(df["time"].dtype) == "datetime64[ns, UTC]"
    assert df["time"][0] == pd.Timestamp(datetime.fromtimestamp(T0 + 1, timezone.utc))
    assert df["seq"].dtype == "int64" and df["size"].dtype == "int64"
    assert df["price"].dtype == "float64" and df["n"].dtype == "float64"  # gaps: NaN
    assert df["ok"].dtype == object and df["sym"].dtype == object  # gaps / mixed
    assert df["bytes"][2] == b"\x00\xff" and df["text"][1] == "not json"
    assert df["json"][4] == 7


def test_polars_dtypes() -> None:
    df = dataframe(messages(MIXED), engine="polars")
    schema = dict(df.schema)
    assert schema["time"] == pl.Datetime("us", "UTC") and schema["seq"] == pl.Int64
    assert schema["price"] == pl.Float64 and schema["n"] == pl.Int64
    assert schema["ok"] == pl.Boolean and schema["bytes"] == pl.Binary
    assert schema["sym"] == pl.String and df["sym"].to_list() == ["A", None, None, "3", None]
    assert df["time"][0] == datetime.fromtimestamp(T0 + 1, timezone.utc)


@pytest.mark.parametrize("engine", ["pandas", "polars"])
def test_chunks_make_the_same_frame(engine: str) -> None:
    many = messages([f'{{"a": {i}, "b{i % 3}": "x"}}' if i % 4 else "txt" for i in range(50)])
    whole = dataframe(many, engine=engine)
    chunked = dataframe(many, engine=engine, chunk=7)
    assert list(chunked.columns) == list(whole.columns)
    assert rows(chunked) == rows(whole)


def test_a_kind_that_changes_between_chunks_is_a_string_in_polars() -> None:
    df = dataframe(messages(['{"a": 1}', '{"a": true}', '{"a": "x"}']), engine="polars", chunk=1)
    assert df["a"].to_list() == ["1", "true", "x"]
    pdf = dataframe(messages(['{"a": 1}', '{"a": true}']), engine="pandas", chunk=1)
    assert pdf["a"].tolist() == [1, True]


@pytest.mark.parametrize("engine", ["pandas", "polars"])
def test_no_messages_make_an_empty_frame_with_the_columns(engine: str) -> None:
    df = dataframe([], ("price",), engine=engine)
    assert list(df.columns) == ["seq", "time", "direction", "kind", "size", "price"]
    assert len(df) == 0


def test_a_bad_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="engine must be 'pandas' or 'polars', got 'arrow'"):
        dataframe([], engine="arrow")


def test_what_is_cut_is_warned() -> None:
    wide = "{" + ",".join(f'"k{i}": {i}' for i in range(1200)) + "}"
    with pytest.warns(iws.IPyWebSocketsWarning, match="to_pandas\\(\\): .*1 messages had more"):
        df = dataframe(messages([wide]), engine="pandas")
    assert df.shape == (1, 5 + 1000)


@pytest.mark.parametrize("engine", ["pandas", "polars"])
def test_without_the_engine_the_error_says_what_to_install(engine: str, tmp_path: Path) -> None:
    rec = tmp_path / "r.jsonl"
    rec.write_text(encode_message(Message.make(1, T0, "in", "{}")) + "\n")
    code = (
        "import sys\n"
        f"sys.modules[{engine!r}] = None  # as if not installed\n"
        "import ipywebsockets as iws\n"
        "ws = iws.WebSocket('ws://127.0.0.1:9/', connect=False)\n"
        "for call in (lambda: iws.read_recording(sys.argv[1], engine=sys.argv[2]),\n"
        "             getattr(ws, 'to_' + sys.argv[2])):\n"
        "    try:\n"
        "        call()\n"
        "    except ImportError as exc:\n"
        "        print(exc)\n"
        "    else:\n"
        "        print('no error')\n"
        "ws.close(widget=True)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(rec), engine], capture_output=True, text=True, check=True
    )
    wanted = f'needs {engine}, which is not installed: pip install "ipywebsockets[{engine}]"'
    first, second = out.stdout.strip().splitlines()
    assert first.startswith(f"read_recording() {wanted}"), out.stderr
    assert second.startswith(f"to_{engine}() {wanted}"), out.stderr


def test_read_recording_streams_a_file(tmp_path: Path) -> None:
    rec = tmp_path / "r.jsonl"
    rec.write_text("".join(encode_message(m) + "\n" for m in messages(MIXED)))
    df = iws.read_recording(rec, "price", "sym", engine="polars", direction="out", chunk=1)
    assert df["seq"].to_list() == [1, 3, 5]
    assert df["price"].to_list() == [1.5, None, None]
    assert df["bytes"].to_list() == [None, b"\x00\xff", None]
    assert df.columns == ["seq", "time", "direction", "kind", "size", "price", "sym", "bytes"]
    with pytest.raises(FileNotFoundError):
        iws.read_recording(tmp_path / "none.jsonl")
