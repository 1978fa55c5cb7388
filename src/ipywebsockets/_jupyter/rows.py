"""Messages as rows for the page: the wire columns, and the row objects saved with a notebook.

The publisher thread's readers (the rows here, the chart, the values table)
read the same messages in the same round; :func:`parsed_value` parses each
text once for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..history import History
from ..message import Message, preview

__all__ = [
    "FLAG_BINARY",
    "FLAG_JSON",
    "FLAG_OUT",
    "parsed_value",
    "persisted_row",
    "persisted_tail",
    "wire_rows",
]

# Bounded: a message's value is kept only while about one round of a fast stream
# passes, and only for small messages (4,096 values of at most 16 kB of text each).
_PARSED: dict[int, tuple[Message, Any]] = {}
_PARSED_MAX = 4096
_PARSED_MAX_BYTES = 16 * 1024


def parsed_value(msg: Message) -> Any:
    """``msg.value()``, parsed once for all the views that read it (do not mutate it)."""
    if msg.size > _PARSED_MAX_BYTES:
        return msg.value()
    key = id(msg)
    hit = _PARSED.get(key)
    if hit is not None and hit[0] is msg:
        return hit[1]
    value = msg.value()
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[key] = (msg, value)
    return value


def persisted_tail(history: History, n: int, sent: bool = False) -> list[Message]:
    """The messages the ``persisted`` trait keeps: the last ``n`` incoming ones, oldest first.

    ``sent=True``: the last ``n`` messages of both directions. Outgoing messages
    stay out by default: a login message may carry a key, and the notebook file
    would keep it.
    """
    if sent:
        return history.tail(n)
    found: list[Message] = []
    seq = history.next_seq - 1
    while seq >= history.first_seq and len(found) < n:
        msg = history.get(seq)
        if msg is not None and msg.direction == "in":
            found.append(msg)
        seq -= 1
    found.reverse()
    return found


def persisted_row(msg: Message) -> dict[str, Any]:
    """One message as a row object (the ``persisted`` trait, saved with the notebook)."""
    text, is_json = preview(msg, parse=parsed_value)
    return {
        "seq": msg.seq,
        "time": msg.time * 1000.0,
        "dir": msg.direction,
        "kind": msg.kind,
        "size": msg.size,
        "text": text,
        "json": is_json,
    }


# Bits of a wire row's ``flags``.
FLAG_OUT, FLAG_BINARY, FLAG_JSON = 1, 2, 4


def wire_rows(messages: Iterable[Message]) -> dict[str, Any]:
    """Rows for the page as columns: what ``frames`` and log messages carry.

    ``{"seq": [...], "t0": ms, "time": [ms after t0], "flags": [...], "size": [...],
    "text": [...]}`` (flags: :data:`FLAG_OUT` | :data:`FLAG_BINARY` | :data:`FLAG_JSON`).
    Columns of plain numbers and strings cost the page about half the decoding
    of one 7-key object per row (JupyterLab parses every comm message), and
    travel in about 60 % of the bytes.
    """
    seqs: list[int] = []
    times: list[float] = []
    flags: list[int] = []
    sizes: list[int] = []
    texts: list[str] = []
    t0 = 0.0
    for msg in messages:
        text, is_json = preview(msg, parse=parsed_value)
        ms = msg.time * 1000.0
        if not seqs:
            t0 = ms
        seqs.append(msg.seq)
        times.append(round(ms - t0, 3))
        flags.append(
            (FLAG_OUT if msg.direction == "out" else 0)
            | (FLAG_BINARY if msg.kind == "binary" else 0)
            | (FLAG_JSON if is_json else 0)
        )
        sizes.append(msg.size)
        texts.append(text)
    return {"seq": seqs, "t0": t0, "time": times, "flags": flags, "size": sizes, "text": texts}
