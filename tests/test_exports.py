from __future__ import annotations

import ipywebsockets


def isort_key(name: str) -> tuple[int, str]:
    """The order ruff (RUF022) keeps ``__all__`` in: CONSTANTS, then Classes, then the rest."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    names = ipywebsockets.__all__
    assert names == sorted(names, key=isort_key)
    public = {n for n in dir(ipywebsockets) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(names)
    for name in names:
        assert hasattr(ipywebsockets, name)
