from __future__ import annotations

import ipywebsockets


def test_all_is_sorted_and_complete() -> None:
    names = ipywebsockets.__all__
    assert names == sorted(names)
    public = {n for n in dir(ipywebsockets) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(names)
    for name in names:
        assert hasattr(ipywebsockets, name)
