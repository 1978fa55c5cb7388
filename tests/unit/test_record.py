"""Recording format and the bounded recorder queue, fed as the I/O loop feeds a stream."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from ipywebsockets._jupyter.stream import Stream
from ipywebsockets.exceptions import IPyWebSocketsWarning
from ipywebsockets.message import Message
from ipywebsockets.record import Recorder, decode_line, encode_message
from ipywebsockets.replay import load


def _stream(history: int = 1000) -> Stream:
    return Stream(
        "ws://h", history=history, view_rows=50, callback_queue=100, on_change=lambda: None
    )


def test_lines_round_trip_text_binary_and_unicode() -> None:
    for msg in (
        Message.make(1, 1764115200.123456, "in", '{"price": 1.5}'),
        Message.make(2, 1764115200.5, "out", 'héllo \u2603 \n"quoted"'),
        Message.make(3, 1764115201.0, "in", bytes(range(256))),
        Message.make(4, 1764115201.25, "out", b""),
        Message.make(5, 1764115202.0, "in", ""),
    ):
        line = encode_message(msg)
        assert "\n" not in line
        assert decode_line(line) == msg


def test_line_format_is_documented_json() -> None:
    item = json.loads(encode_message(Message.make(7, 12.5, "in", b"\x00\x01\x02")))
    assert item == {"seq": 7, "time": 12.5, "dir": "in", "kind": "binary", "data": "AAEC"}
    item = json.loads(encode_message(Message.make(8, 13.0, "out", "hi")))
    assert item == {"seq": 8, "time": 13.0, "dir": "out", "kind": "text", "data": "hi"}


def test_recorder_writes_every_message_in_order(tmp_path: Path) -> None:
    stream = _stream(history=10)  # the recording does not depend on the history
    path = tmp_path / "s.jsonl"
    stream.on_message("before")  # not recorded: it came before record()
    with Recorder(stream, path) as rec:
        for i in range(5000):
            stream.on_message(json.dumps({"i": i}))
            if i % 1000 == 0:
                stream.on_sent(b"\x00" + bytes([i % 256]))
    assert rec.written == 5005 and rec.dropped == 0 and not rec.recording
    messages = load(path)
    assert [m.seq for m in messages] == list(range(2, 5007))
    incoming = [m for m in messages if m.direction == "in"]
    assert [json.loads(m.data)["i"] for m in incoming] == list(range(5000))
    outgoing = [m for m in messages if m.direction == "out"]
    assert [m.data for m in outgoing] == [b"\x00" + bytes([i % 256]) for i in range(0, 5000, 1000)]
    assert stream.sinks == ()
    stream.on_message("after")
    assert len(load(path)) == 5005


def test_a_full_queue_counts_what_is_dropped_and_says_so(tmp_path: Path) -> None:
    stream = _stream()
    rec = Recorder(stream, tmp_path / "s.jsonl", queue=100)
    with stream.lock:  # faster than any writer: the messages arrive while it cannot drain
        for i in range(1000):
            stream._append(Message.make(i + 1, 0.0, "in", str(i)))
    with pytest.warns(IPyWebSocketsWarning, match="misses 900 messages"):
        rec.stop()
    assert rec.written == 100 and rec.dropped == 900
    assert [m.data for m in load(rec.path)] == [str(i) for i in range(100)]


def test_bad_files_name_the_line(tmp_path: Path) -> None:
    good = encode_message(Message.make(1, 1.0, "in", "ok"))
    cases = {
        "not json": (f"{good}\n{{oops\n", "line 2: not valid JSON"),
        "not an object": (f"{good}\n\n[1, 2]\n", "line 3: a JSON object was expected"),
        "missing field": ('{"seq": 1, "time": 1, "dir": "in", "data": "x"}\n', "line 1: no 'kind'"),
        "bad dir": (
            '{"seq": 1, "time": 1, "dir": "up", "kind": "text", "data": "x"}\n',
            "line 1: dir must be 'in' or 'out'",
        ),
        "bad base64": (
            '{"seq": 1, "time": 1, "dir": "in", "kind": "binary", "data": "***"}\n',
            "line 1: binary data is not valid base64",
        ),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.jsonl"
        path.write_text(text, "utf-8")
        with pytest.raises(ValueError, match=expected) as info:
            load(path)
        assert str(path) in str(info.value), name
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.jsonl")


def test_binary_is_base64_in_the_file(tmp_path: Path) -> None:
    stream = _stream()
    path = tmp_path / "b.jsonl"
    with Recorder(stream, path):
        stream.on_message(b"\xff\xfe")
    (line,) = path.read_text("utf-8").splitlines()
    assert json.loads(line)["data"] == base64.b64encode(b"\xff\xfe").decode()


def test_a_line_nested_too_deep_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 3000 + "]" * 3000 + "\n", "utf-8")
    with pytest.raises(
        ValueError, match=r"deep\.jsonl, line 1: not valid JSON \(nested too deeply"
    ):
        load(path)
