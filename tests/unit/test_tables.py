"""Messages into table columns (ipywebsockets.tables): pure, no pandas needed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ipywebsockets.message import Message
from ipywebsockets.tables import COLUMNS, LEAVES, META, Tabulator, column_name, kind_of

T0 = 1764115200.0


def msgs(*items: tuple[str, str | bytes]) -> list[Message]:
    return [Message.make(i, T0 + i, d, data) for i, (d, data) in enumerate(items, 1)]  # type: ignore[arg-type]


def table(
    messages: list[Message], *paths: str, **kw: Any
) -> tuple[dict[str, list[Any]], Tabulator]:
    tab = Tabulator(paths, **kw)
    chunks = list(tab.chunks(messages))
    assert len(chunks) == 1
    return chunks[0], tab


def test_json_text_is_flattened_to_dot_paths_with_meta_first() -> None:
    cols, tab = table(
        msgs(("in", '{"price": 1.5, "book": {"bids": [{"price": 1}, {"price": 2}]}}'))
    )
    assert list(cols) == [*META, "price", "book.bids.0.price", "book.bids.1.price"]
    assert cols["seq"] == [1] and cols["time"] == [T0 + 1]
    assert cols["direction"] == ["in"] and cols["kind"] == ["text"] and cols["size"] == [62]
    assert cols["book.bids.1.price"] == [2] and tab.cut() == ""


def test_non_json_text_goes_to_text_and_binary_to_bytes() -> None:
    cols, _ = table(
        msgs(("in", b"\x00\x01\x02"), ("out", "hello"), ("in", '{"a": 1}'), ("in", "NaN"))
    )
    assert list(cols) == [*META, "a", "text", "bytes"]
    assert cols["bytes"] == [b"\x00\x01\x02", None, None, None]
    assert cols["text"] == [None, "hello", None, "NaN"]  # NaN is not strict JSON
    assert cols["a"] == [None, None, 1, None]
    assert cols["kind"] == ["binary", "text", "text", "text"] and cols["size"][0] == 3


def test_json_scalars_go_to_json_and_colliding_fields_get_a_prefix() -> None:
    cols, _ = table(
        msgs(("in", "42"), ("in", '"up"'), ("in", '{"seq": 7, "text": "x", "json": {"a": 1}}'))
    )
    assert list(cols) == [*META, "json", "json.seq", "json.text", "json.json.a"]
    assert cols["json"] == [42, "up", None]
    assert cols["json.seq"] == [None, None, 7] and cols["seq"] == [1, 2, 3]
    assert column_name("sequence") == "sequence" and column_name("time.s") == "json.time.s"


def test_empty_objects_and_lists_are_leaves() -> None:
    cols, _ = table(msgs(("in", '{"a": {}, "b": [], "c": null}')))
    assert cols["a"] == [{}] and cols["b"] == [[]] and cols["c"] == [None]


def test_paths_pick_fields_and_missing_is_none() -> None:
    messages = msgs(
        ("in", '{"price": 2, "bids": [{"price": 9}]}'), ("in", '{"other": 1}'), ("out", "hi")
    )
    cols, _ = table(messages, "price", "bids.0.price", "bids.5.price", "seq")
    assert list(cols) == [*META, "price", "bids.0.price", "bids.5.price", "json.seq", "text"]
    assert cols["price"] == [2, None, None] and cols["bids.0.price"] == [9, None, None]
    assert cols["bids.5.price"] == [None, None, None]
    assert "other" not in cols


def test_direction_filters() -> None:
    messages = msgs(("in", "1"), ("out", "2"), ("in", "3"))
    assert table(messages, direction="in")[0]["seq"] == [1, 3]
    assert table(messages, direction="out")[0]["json"] == [2]
    assert table(messages)[0]["seq"] == [1, 2, 3]
    with pytest.raises(ValueError, match="direction must be 'in', 'out' or None"):
        Tabulator((), "incoming")
    with pytest.raises(ValueError, match="bad field path"):
        Tabulator(("a..b",))


def test_chunks_carry_every_column_seen_so_far() -> None:
    tab = Tabulator(chunk=2)
    chunks = list(tab.chunks(msgs(("in", '{"a": 1}'), ("in", '{"b": 2}'), ("in", '{"a": 3}'))))
    assert [c["seq"] for c in chunks] == [[1, 2], [3]]
    assert chunks[0]["b"] == [None, 2] and chunks[1] == {**chunks[1], "a": [3], "b": [None]}
    assert tab.rows == 3 and tab.columns() == [*META, "a", "b"]
    empty = list(Tabulator().chunks([]))
    assert empty == [{name: [] for name in META}]


def test_a_message_past_the_leaf_bound_is_cut_and_counted() -> None:
    wide = json.dumps({f"k{i}": i for i in range(LEAVES + 5)})
    cols, tab = table(msgs(("in", wide), ("in", '{"k0": 1}')))
    assert len(cols) == len(META) + LEAVES
    assert tab.cut_messages == 1 and tab.cut_fields >= 1
    assert f"more than {LEAVES:,} fields" in tab.cut() and "to_pandas('price'" in tab.cut()


def test_columns_past_the_column_bound_are_cut_and_counted() -> None:
    many = [json.dumps({f"k{i}": i}) for i in range(COLUMNS + 3)]
    cols, tab = table(msgs(*(("in", m) for m in many)))
    assert len(cols) == len(META) + COLUMNS
    assert tab.cut_fields == 3 and tab.cut_messages == 0 and tab.cut()


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([1, None, 2], "int"),
        ([1, 2.5], "float"),
        ([True, None], "bool"),
        ([True, 1], "mixed"),
        (["a", None], "str"),
        (["a", 1], "mixed"),
        ([2**70], "mixed"),
        ([{}], "mixed"),
        ([b"x"], "bytes"),
        ([None, None], "null"),
    ],
)
def test_kinds(values: list[Any], kind: str) -> None:
    assert kind_of(values) == kind
