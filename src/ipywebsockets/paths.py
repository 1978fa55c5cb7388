"""Field paths into decoded JSON messages: ``"data.bids.0.price"``. Pure: no I/O, no widgets.

A path is dot-separated keys; a part made of digits indexes a list (``"0"``,
``"-1"`` counts from the end) and is also tried as a key of an object, so
``{"0": x}`` is reachable too. ``Path.get`` returns :data:`MISSING` when the
message does not carry the field (not an error: streams mix message types).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

__all__ = ["MISSING", "Path", "flatten"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()
"""What :meth:`Path.get` returns when a message does not carry the field."""


class Path:
    """A parsed field path.

    Raises:
        ValueError: the path is empty or has an empty part (``"a..b"``, ``".a"``).
    """

    __slots__ = ("parts", "text")

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"a field path is a str like 'data.price', not {type(text).__name__}")
        parts = text.split(".")
        if not text or any(p == "" for p in parts):
            raise ValueError(
                f"bad field path {text!r}: use dot-separated keys and list indices, "
                "e.g. 'price' or 'data.bids.0.price'"
            )
        self.text = text
        # Each part as written (a dict key) and as a list index, if it is one.
        self.parts: tuple[tuple[str, int | None], ...] = tuple((p, _index(p)) for p in parts)

    def __repr__(self) -> str:
        return f"Path({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Path) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def get(self, value: Any) -> Any:
        """The field in a decoded JSON value, or :data:`MISSING`."""
        for key, index in self.parts:
            if isinstance(value, dict):
                if key not in value:
                    return MISSING
                value = value[key]
            elif isinstance(value, list) and index is not None:
                if not -len(value) <= index < len(value):
                    return MISSING
                value = value[index]
            else:
                return MISSING
        return value


def _index(text: str) -> int | None:
    """``text`` as a list index (``"0"``, ``"-1"``), or None (ASCII digits only: not ``"¹"``)."""
    body = text[1:] if text.startswith("-") else text
    return int(text) if body.isascii() and body.isdigit() else None


def flatten(value: Any, limit: int = 1000) -> Iterator[tuple[str, Any]]:
    """``(path, leaf)`` for every scalar in a decoded JSON value, at most ``limit`` of them.

    Empty objects and lists are leaves too (``{}``, ``[]``). A scalar message
    (a number, a string) yields ``("", value)``.
    """
    count = 0
    stack: list[tuple[str, Any]] = [("", value)]
    while stack and count < limit:
        prefix, item = stack.pop()
        if isinstance(item, dict) and item:
            for key in reversed(list(item)):
                stack.append((f"{prefix}.{key}" if prefix else str(key), item[key]))
        elif isinstance(item, list) and item:
            for i in range(len(item) - 1, -1, -1):
                stack.append((f"{prefix}.{i}" if prefix else str(i), item[i]))
        else:
            count += 1
            yield prefix, item
