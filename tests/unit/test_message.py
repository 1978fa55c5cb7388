from __future__ import annotations

import pytest

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
    assert Message.make(1, 0.0, "in", '{"x": NaN}').json() != {}
