"""pandas and polars DataFrames from a socket's history or a recording (docs/dataframes.md).

The rows come from :class:`~.tables.Tabulator` (pure), a chunk at a time;
each chunk becomes a frame and the frames are concatenated at the end, so a
recording is never in memory as messages, only as the frame being built.
pandas and polars are optional: ``pip install "ipywebsockets[pandas]"`` (or
``[polars]``).

dtypes: ``seq`` and ``size`` are 64-bit integers, ``time`` a UTC datetime
(nanoseconds in pandas, microseconds in polars), ``direction`` and ``kind``
strings. A field column is what its values are: pandas infers it as its
``DataFrame`` constructor does (integers with gaps become ``float64``,
booleans with gaps and mixed values ``object``); polars gets ``Boolean``,
``Int64``, ``Float64`` (integers and floats mixed), ``String``, ``Binary``
(the ``bytes`` column) or ``Null``, and mixed values as ``String`` (JSON text).
"""

from __future__ import annotations

import importlib
import json
import os
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from .exceptions import IPyWebSocketsWarning
from .message import Message
from .replay import read
from .tables import META, Chunk, Tabulator, kind_of

__all__ = ["ENGINES", "dataframe", "read_recording"]

ENGINES = ("pandas", "polars")
CHUNK = 50_000  # rows per chunk: a few MB of Python objects at a time


def engine_module(engine: str, what: str) -> Any:
    """The ``pandas`` or ``polars`` module.

    Raises:
        ValueError: not one of :data:`ENGINES`.
        ImportError: it is not installed; the text says what to install.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be 'pandas' or 'polars', got {engine!r}")
    try:
        return importlib.import_module(engine)
    except ImportError as exc:
        raise ImportError(
            f"{what} needs {engine}, which is not installed: "
            f'pip install "ipywebsockets[{engine}]" (or pip install {engine})'
        ) from exc


def dataframe(
    messages: Iterable[Message],
    paths: Sequence[str] = (),
    direction: str | None = None,
    engine: str = "pandas",
    *,
    chunk: int = CHUNK,
    what: str = "to_pandas()",
) -> Any:
    """The messages as a DataFrame of ``engine``: a row per message (see the module docs).

    Raises:
        ValueError: a bad path, direction or engine.
        ImportError: the engine is not installed.
    """
    module = engine_module(engine, what)
    table = Tabulator(paths, direction, chunk)  # checks paths and direction first
    build = _pandas if engine == "pandas" else _polars
    parts: list[Any] = [build(module, part) for part in table.chunks(messages)]
    columns = table.columns()
    if engine == "pandas":
        frame = parts[0] if len(parts) == 1 else module.concat(parts, ignore_index=True)
        frame = frame.reindex(columns=columns)
    else:
        frame = _concat_polars(module, parts).select(columns)
    cut = table.cut()
    if cut:
        warnings.warn(f"{what}: {cut}", IPyWebSocketsWarning, stacklevel=3)
    return frame


def read_recording(
    path: str | os.PathLike[str],
    *paths: str,
    engine: str = "pandas",
    direction: str | None = None,
    chunk: int = CHUNK,
) -> Any:
    """A recording made by ``ws.record(path)`` as a DataFrame, read a line at a time.

    The columns and dtypes are those of ``ws.to_pandas()`` (docs/dataframes.md):
    ``seq``, ``time``, ``direction``, ``kind``, ``size``, then every JSON field by
    its dot path, or only ``paths``. ``engine``: ``"pandas"`` or ``"polars"``;
    ``direction``: ``"in"``, ``"out"`` or None (both). ``chunk`` rows are built
    at a time and the chunks concatenated: memory holds the frame, not the messages.

    Raises:
        ImportError: the engine is not installed (``pip install "ipywebsockets[pandas]"``).
        FileNotFoundError: no such file.
        ValueError: a bad path, direction or engine, or a line that is not a recorded
            message (the error names the file and line).
    """
    engine_module(engine, "read_recording()")  # before reading anything
    return dataframe(read(path), paths, direction, engine, chunk=chunk, what="read_recording()")


def _pandas(pd: Any, part: Chunk) -> Any:
    # A column without a value in this chunk is left out: concat() fills it in with
    # the other chunks' dtype (an all-None object column would make it object).
    frame = pd.DataFrame(
        {k: v for k, v in part.items() if k in META or any(x is not None for x in v)}
    )
    micros = (frame["time"].astype("float64") * 1e6).round().astype("int64")
    frame["time"] = pd.to_datetime(micros, unit="us", utc=True).astype("datetime64[ns, UTC]")
    for name in ("seq", "size"):
        frame[name] = frame[name].astype("int64")
    return frame


def _concat_polars(pl: Any, parts: list[tuple[Any, dict[str, str]]]) -> Any:
    """The chunks as one frame; a column of other kinds in other chunks becomes String."""
    seen: dict[str, set[str]] = {}
    for _, kinds in parts:
        for name, kind in kinds.items():
            seen.setdefault(name, set()).add(kind)
    mixed = [n for n, k in seen.items() if len(k - {"null"}) > 1 and not k <= _NUMBERS]
    frames = [
        f.with_columns(pl.col(n).cast(pl.String) for n in mixed if n in kinds) for f, kinds in parts
    ]
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")


_NUMBERS = {"int", "float", "null"}


def _polars(pl: Any, part: Chunk) -> tuple[Any, dict[str, str]]:
    dtypes = {
        "bool": pl.Boolean,
        "int": pl.Int64,
        "float": pl.Float64,
        "str": pl.String,
        "bytes": pl.Binary,
        "null": pl.Null,
    }
    series = []
    kinds: dict[str, str] = {}
    for name, values in part.items():
        if name == "time":
            micros = pl.Series(name, values, dtype=pl.Float64) * 1e6
            series.append(micros.round().cast(pl.Int64).cast(pl.Datetime("us", "UTC")))
            continue
        kind = "int" if name in ("seq", "size") else "str" if name in META else kind_of(values)
        if kind == "mixed":
            values = [v if v is None or isinstance(v, str) else _json(v) for v in values]
            kind = "str"
        kinds[name] = kind
        series.append(pl.Series(name, values, dtype=dtypes[kind], strict=False))
    return pl.DataFrame(series), kinds


def _json(value: Any) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except ValueError:  # NaN never reaches here (strict JSON); keep it total anyway
        return repr(value)
