"""marimo: a value that re-runs the cells that read it as a stream goes on.

marimo re-runs a cell when a UI element's value changes *in the page* or when
a ``mo.state`` setter is called from cell code or from a ``mo.Thread``. A
trait that changes in Python (``ws.received``, ``ws.last_value``, a message
arriving) re-runs nothing, and a state setter called from any other thread
(such as the socket's I/O thread) is ignored by marimo. :func:`watch` bridges
the two: a ``mo.Thread`` of the calling cell waits for the socket to change and
sets a ``mo.state`` at most ``max_fps`` times a second, so every cell that
reads the getter re-runs with a newer value.

marimo is optional: this module imports it only when :func:`watch` is called
(``import ipywebsockets`` never does). See docs/marimo.md.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from .message import Message
from .widget import WebSocket

__all__ = ["watch"]

T = TypeVar("T")

# The traits whose change wakes the watcher: a message in or out, a status change.
_WAKE_ON = ["received", "sent", "status", "error", "lost", "evicted"]


_FAILED = "ipywebsockets.marimo.watch stopped: value(ws) raised\n"


def _last(ws: WebSocket) -> Message | None:
    return ws.last


def _marimo() -> Any:
    try:
        import marimo
    except ImportError as exc:
        raise ImportError(
            "ipywebsockets.marimo.watch needs marimo, which is not installed: "
            "pip install marimo (or use ipywebsockets in Jupyter, where traits "
            "update the views without it)"
        ) from exc
    return marimo


def watch(
    ws: WebSocket,
    value: Callable[[WebSocket], T] = _last,  # type: ignore[assignment]
    *,
    max_fps: float = 4,
) -> Callable[[], T]:
    """A marimo state getter that follows ``ws``: cells that call it re-run as data comes.

    Call it in a marimo cell and return the getter; every *other* cell that
    calls the getter re-runs when ``value(ws)`` changed, at most ``max_fps``
    times a second (the latest value wins; the values in between are not
    delivered, the history and the log still have every message)::

        latest = watch(ws, lambda ws: ws.last_value, max_fps=2)
        # another cell
        mo.md(f"price: {latest()['price']}")

    Args:
        ws: the :class:`~ipywebsockets.WebSocket` (kernel or browser mode) to follow.
        value: computes what the getter returns, from ``ws``; called on a marimo
            thread at most ``max_fps`` times a second, only after ``ws`` changed.
            The default is ``ws.last``, the last :class:`~ipywebsockets.Message`
            received (``None`` before the first). If it raises, the watch stops
            and its traceback is shown under the cell that called :func:`watch`.
        max_fps: most updates a second (0.1 to 60).

    Returns:
        The getter of a ``mo.state`` holding ``value(ws)``.

    Raises:
        ImportError: marimo is not installed.
        RuntimeError: not called from a running marimo cell.
        ValueError: ``max_fps`` outside 0.1 to 60.
        TypeError: ``ws`` is not a WebSocket or ``value`` is not callable.
    """
    if not isinstance(ws, WebSocket):
        raise TypeError(f"watch() follows an ipywebsockets.WebSocket, not {type(ws).__name__}")
    if not callable(value):
        raise TypeError(f"value must be a function of the WebSocket, not {type(value).__name__}")
    if not (isinstance(max_fps, (int, float)) and 0.1 <= max_fps <= 60):
        raise ValueError(f"max_fps must be between 0.1 and 60 updates a second, not {max_fps!r}")
    mo = _marimo()
    if not mo.running_in_notebook():
        raise RuntimeError(
            "ipywebsockets.marimo.watch() works in a running marimo notebook or app "
            "(marimo edit / marimo run): call it from a cell"
        )
    get, set_value = mo.state(value(ws))
    changed = threading.Event()

    def wake(_change: Any) -> None:
        changed.set()

    ws.observe(wake, names=_WAKE_ON)
    thread = mo.Thread(
        target=_follow,
        args=(ws, value, set_value, changed, 1.0 / max_fps, wake),
        name="ipywebsockets-marimo-watch",
        daemon=True,
    )
    thread.start()
    return get  # type: ignore[no-any-return]


def _follow(
    ws: WebSocket,
    value: Callable[[WebSocket], Any],
    set_value: Callable[[Any], None],
    changed: threading.Event,
    period: float,
    wake: Callable[[Any], None],
) -> None:
    """The watcher's loop, on a ``mo.Thread``: ends when its cell runs again or goes."""
    import marimo as mo

    me = mo.current_thread()
    pace = threading.Event()  # never set: an interruptible pause between updates
    last_set = time.monotonic()  # the initial value, computed just before, counts as one
    try:
        while not me.should_exit:
            if not changed.wait(0.25):
                continue
            wait = last_set + period - time.monotonic()
            while wait > 0 and not me.should_exit:
                pace.wait(min(wait, 0.25))
                wait = last_set + period - time.monotonic()
            if me.should_exit:
                break
            changed.clear()
            last_set = time.monotonic()
            try:
                new = value(ws)
            except Exception:
                # Said under the cell that called watch(), as text; the watch ends.
                mo.output.append(mo.plain_text(_FAILED + traceback.format_exc()))
                return
            # Wrapped: marimo's setter calls a bare function with the old value.
            set_value(lambda _old, new=new: new)
    finally:
        ws.unobserve(wake, names=_WAKE_ON)
