"""Session-wide test setup. Timeouts and polling: ``timing.py`` (``from timing import ...``)."""

from __future__ import annotations


def pytest_collection_modifyitems(items: list) -> None:  # type: ignore[type-arg]
    """Run the browser tests last.

    Playwright's sync API keeps an event loop running on the main thread for
    the whole session once it starts, and ``asyncio.run()`` refuses to run
    under it; every other test must therefore come first
    (docs/jupyter-internals.md#playwright-event-loop).
    """
    items.sort(key=lambda item: "e2e" in item.keywords)
