from __future__ import annotations

import re

import pytest

from ipywebsockets.paths import MISSING, Path, flatten

BOOK = {"data": {"bids": [{"price": 1.5, "qty": 2}, {"price": 1.4}], "0": "key"}, "type": "book"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("type", "book"),
        ("data.bids.0.price", 1.5),
        ("data.bids.-1.price", 1.4),
        ("data.bids.1", {"price": 1.4}),
        ("data.0", "key"),  # a digit part is a key of an object too
        ("data.bids.2.price", MISSING),
        ("data.bids.-3", MISSING),
        ("data.asks", MISSING),
        ("type.x", MISSING),  # into a string
        ("data.bids.price", MISSING),  # a key into a list
    ],
)
def test_get(path: str, expected: object) -> None:
    assert (
        Path(path).get(BOOK) == expected
        if expected is not MISSING
        else (Path(path).get(BOOK) is MISSING)
    )


@pytest.mark.parametrize("bad", ["", ".a", "a.", "a..b"])
def test_bad_paths_say_what_to_write(bad: str) -> None:
    with pytest.raises(ValueError, match=re.escape("e.g. 'price' or 'data.bids.0.price'")):
        Path(bad)


def test_not_a_str() -> None:
    with pytest.raises(TypeError, match="a field path is a str"):
        Path(3)  # type: ignore[arg-type]


def test_missing_is_falsy_and_named() -> None:
    assert not MISSING and repr(MISSING) == "MISSING"


def test_flatten_in_order_with_limit() -> None:
    assert list(flatten(BOOK)) == [
        ("data.bids.0.price", 1.5),
        ("data.bids.0.qty", 2),
        ("data.bids.1.price", 1.4),
        ("data.0", "key"),
        ("type", "book"),
    ]
    assert len(list(flatten(BOOK, limit=2))) == 2
    assert list(flatten(7)) == [("", 7)]
    assert list(flatten({"a": {}, "b": []})) == [("a", {}), ("b", [])]
