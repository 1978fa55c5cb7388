"""Shared test helpers: timeouts scale with IPYWEBSOCKETS_TIMEOUT_SCALE."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

SCALE = float(os.environ.get("IPYWEBSOCKETS_TIMEOUT_SCALE", "1"))


def timeout(seconds: float) -> float:
    """A timeout of ``seconds`` on this machine, scaled for slower ones."""
    return seconds * SCALE


def eventually(check: Callable[[], object], within: float = 5.0, what: str = "") -> None:
    """Poll ``check`` until it returns truthy, or fail saying what did not happen."""
    deadline = time.monotonic() + timeout(within)
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout(within)} s: {what or check}")
        time.sleep(0.01)


def pytest_collection_modifyitems(items: list) -> None:  # type: ignore[type-arg]
    """Run the browser tests last.

    Playwright's sync API keeps an event loop running on the main thread for
    the whole session once it starts, and ``asyncio.run()`` refuses to run
    under it; every other test must therefore come first.
    """
    items.sort(key=lambda item: "e2e" in item.keywords)
