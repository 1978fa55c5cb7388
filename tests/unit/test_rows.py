"""Rows for the page: the wire columns and the saved row objects describe the same messages."""

from __future__ import annotations

import json

from ipywebsockets._jupyter.rows import FLAG_BINARY, FLAG_JSON, FLAG_OUT, persisted_row, wire_rows
from ipywebsockets.message import Message


def _messages() -> list[Message]:
    return [
        Message.make(7, 1000.0005, "in", '{ "price": 1.5 }'),
        Message.make(8, 1000.25, "out", "hello"),
        Message.make(10, 1001.0, "in", b"\x00\xff"),
    ]


def test_wire_rows_are_columns_that_decode_to_the_saved_rows() -> None:
    msgs = _messages()
    cols = wire_rows(msgs)
    assert cols["seq"] == [7, 8, 10], "seqs travel as they are (gaps included)"
    assert cols["flags"] == [FLAG_JSON, FLAG_OUT, FLAG_BINARY]
    assert cols["text"] == ['{"price":1.5}', "hello", "00 ff"]
    assert cols["size"] == [16, 5, 2]
    assert cols["t0"] == 1000000.5 and cols["time"] == [0.0, 249.5, 999.5]
    # What the page rebuilds (js/src/rows.ts toRows) equals the row object of each message.
    for i, msg in enumerate(msgs):
        flags = cols["flags"][i]
        rebuilt = {
            "seq": cols["seq"][i],
            "time": cols["t0"] + cols["time"][i],
            "dir": "out" if flags & FLAG_OUT else "in",
            "kind": "binary" if flags & FLAG_BINARY else "text",
            "size": cols["size"][i],
            "text": cols["text"][i],
            "json": bool(flags & FLAG_JSON),
        }
        assert rebuilt == persisted_row(msg)


def test_wire_rows_are_smaller_than_row_objects() -> None:
    msgs = [Message.make(i, 1e9 + i / 1e4, "in", f'{{"t":{i},"p":{i / 7}}}') for i in range(1, 334)]
    columns = len(json.dumps(wire_rows(msgs), separators=(",", ":")))
    objects = len(json.dumps([persisted_row(m) for m in msgs], separators=(",", ":")))
    assert columns < 0.75 * objects, (columns, objects)


def test_no_messages_no_rows() -> None:
    assert wire_rows([]) == {"seq": [], "t0": 0.0, "time": [], "flags": [], "size": [], "text": []}
