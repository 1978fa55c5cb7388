"""The tests' one timing unit and one polling helper.

Every duration in tests/ is written in seconds as they pass on an idle
development machine and is scaled once, here, by ``IPYWEBSOCKETS_TIMEOUT_SCALE``
(default 1; e.g. 2 on a loaded machine, to tell load from a real failure:
docs/jupyter-internals.md#vm-steal-time).

The rule:

* helpers written for these tests (``eventually``, the e2e harness's
  ``wait_*`` functions, the kernel harness's ``Kernel.execute`` /
  ``wait_entry``) take *unscaled* seconds and scale them themselves;
* calls into other libraries (Playwright's ``timeout=``, jupyter_client,
  ``Future.result``, ``Thread.join``, ``urlopen``) take ``timeout_s(...)`` or
  ``timeout_ms(...)``;
* a fixed ``time.sleep`` that is a measuring window ("how many redraws in
  1 s") is not a timeout and is not scaled.

Imported as ``from timing import ...``: ``tests/`` is on ``sys.path`` through
``pythonpath`` in ``[tool.pytest.ini_options]`` (and the benchmarks that reuse
the e2e harness put it there themselves).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["SCALE", "eventually", "timeout_ms", "timeout_s"]

T = TypeVar("T")

SCALE = float(os.environ.get("IPYWEBSOCKETS_TIMEOUT_SCALE", "") or 1)
"""How much slower than the development machine this one is taken to be."""


def timeout_s(seconds: float) -> float:
    """``seconds`` on this machine, in seconds (scaled)."""
    return seconds * SCALE


def timeout_ms(seconds: float) -> float:
    """``seconds`` on this machine, in milliseconds (scaled), e.g. for Playwright."""
    return seconds * SCALE * 1000.0


def eventually(
    check: Callable[[], T],
    within: float = 5.0,
    what: str | Callable[[], str] = "",
    *,
    interval: float = 0.01,
) -> T:
    """Call ``check`` until it returns something truthy, and return that.

    ``within`` is in unscaled seconds. ``check`` is called at least once, and
    once more after the deadline passes, so a slow poll cannot fail a condition
    that did come true. An exception from ``check`` propagates at once (a check
    may raise to fail early, e.g. when a notebook cell raised). On timeout this
    raises ``AssertionError`` naming ``what`` (a string, or a callable that
    describes the state at the time of failure) and the last value returned.
    ``interval`` is the pause between calls: keep it at 0.1 s or more when each
    call is a round trip to the browser.
    """
    limit = timeout_s(within)
    deadline = time.monotonic() + limit
    while True:
        expired = time.monotonic() > deadline
        value = check()
        if value:
            return value
        if expired:
            described = what() if callable(what) else what
            last = repr(value)
            if len(last) > 300:
                last = last[:300] + "..."
            raise AssertionError(
                f"not true within {limit:.1f} s: {described or check}; last value: {last}"
            )
        time.sleep(interval)
