from __future__ import annotations

import json
import math

import pytest

from ipywebsockets import message
from ipywebsockets._jupyter import rows
from ipywebsockets.message import Message, encode_outgoing, preview


def test_make_text_counts_utf8_bytes() -> None:
    msg = Message.make(1, 0.0, "in", "héllo")
    assert (msg.kind, msg.size, msg.text()) == ("text", 6, "héllo")


def test_make_binary_copies_memoryview() -> None:
    msg = Message.make(2, 0.0, "in", memoryview(b"\x00\xff"))  # type: ignore[arg-type]
    assert (msg.kind, msg.data, msg.size) == ("binary", b"\x00\xff", 2)


def test_json_parses_and_names_the_message_when_invalid() -> None:
    assert Message.make(1, 0.0, "in", '{"a": [1, 2]}').json() == {"a": [1, 2]}
    with pytest.raises(ValueError, match=r"message #7 \(in, text, 8 bytes\) is not JSON"):
        Message.make(7, 0.0, "in", "not json").json()


def test_value_is_json_or_text() -> None:
    assert Message.make(1, 0.0, "in", "[1]").value() == [1]
    assert Message.make(1, 0.0, "in", "plain").value() == "plain"
    assert Message.make(1, 0.0, "in", b"ab").value() == "ab"


def test_encode_outgoing_kinds() -> None:
    assert encode_outgoing("x") == "x"
    assert encode_outgoing(b"\x01") == b"\x01"
    assert encode_outgoing(bytearray(b"\x02")) == b"\x02"
    assert encode_outgoing({"subscribe": "ABC"}) == '{"subscribe":"ABC"}'
    assert encode_outgoing([1, None, True]) == "[1,null,true]"


@pytest.mark.parametrize("value", [object(), {1, 2}, {"a": object()}, float("nan")])
def test_encode_outgoing_refuses_with_a_clear_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="cannot send"):
        encode_outgoing(value)


def test_preview_compacts_json_and_dumps_binary_as_hex() -> None:
    assert preview(Message.make(1, 0.0, "in", '{ "a" : 1 }')) == ('{"a":1}', True)
    text, is_json = preview(Message.make(1, 0.0, "in", bytes(range(100))))
    assert text.startswith("00 01 02") and text.endswith("(+52 bytes)") and not is_json
    long, _ = preview(Message.make(1, 0.0, "in", "x" * 600))
    assert long.endswith("… (+100 chars)")


def test_value_of_non_standard_json_is_its_text() -> None:
    # Python's parser takes NaN, but the browser's JSON cannot carry it.
    assert Message.make(1, 0.0, "in", '{"x": NaN}').value() == '{"x": NaN}'
    # .json() is Python's parser: NaN is a float there.
    parsed = Message.make(1, 0.0, "in", '{"x": NaN, "y": Infinity}').json()
    assert list(parsed) == ["x", "y"] and math.isnan(parsed["x"]) and parsed["y"] == math.inf


# Texts whose compact preview takes each path: already compact, spaces, a big integer,
# NaN (not strict JSON), a number beyond float range, escapes, not JSON at all.
PREVIEW_CASES = [
    '{"a":1,"b":[1,2]}',
    '{"a": 1, "b": [1,2]}',
    '{"big": 123456789012345678901234}',
    '{"n": NaN, "q": 2}',
    '[1, 2.50, "é"]',
    '{"x":1e400}',
    '{"s":"\\u00e9"}',
    '{"f":1e5}',
    "{bad",
]


@pytest.mark.parametrize("orjson", [True, False], ids=["orjson-if-installed", "stdlib"])
def test_preview_from_the_shared_parse_equals_a_fresh_compact(orjson: bool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    if not orjson:
        monkeypatch.setattr(message, "_orjson", None)
    for text in PREVIEW_CASES:
        rows._PARSED.clear()
        msg = Message.make(1, 0.0, "in", text)
        assert preview(msg) == message._compact(text), text
        assert preview(msg, parse=rows.parsed_value) == message._compact(text), text
        # A second reader (the chart, the values table) gets the same parse.
        assert rows.parsed_value(msg) is rows.parsed_value(msg)


def test_parsed_value_is_bounded_and_tells_messages_apart() -> None:
    first = Message.make(1, 0.0, "in", '{"a": 1}')
    value = rows.parsed_value(first)
    assert value == {"a": 1} and rows.parsed_value(first) is value
    same_text = Message.make(2, 0.0, "in", '{"a": 1}')
    assert rows.parsed_value(same_text) is not value, "one entry per message"
    for i in range(rows._PARSED_MAX + 10):
        rows.parsed_value(Message.make(i, 0.0, "in", f"[{i}]"))
    assert len(rows._PARSED) <= rows._PARSED_MAX
    big = Message.make(1, 0.0, "in", '{"a": "' + "x" * rows._PARSED_MAX_BYTES + '"}')
    rows._PARSED.clear()
    assert rows.parsed_value(big) == {"a": "x" * rows._PARSED_MAX_BYTES}
    assert rows._PARSED == {}, "large messages are parsed each time, not kept"


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 12345678901234567890123}',  # beyond 64 bits: orjson would give a float
        "[18446744073709551616, 1]",
        '{"t": 1700000000000, "n": 123456789, "x": 1.5}',  # 19+ digits, no run of 19
        '{"s": "\u00e9\u00e8", "n": 99999999999999999999}',  # non-ASCII before a long run
    ],
)
def test_json_is_exact_for_long_integers(text: str) -> None:
    assert Message.make(1, 0.0, "in", text).json() == json.loads(text)
    assert Message.make(1, 0.0, "in", text.encode()).json() == json.loads(text)
