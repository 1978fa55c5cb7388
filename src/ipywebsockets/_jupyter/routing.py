"""Where the kernel handles front-end messages for a widget, and keeping them off a busy shell.

ipykernel 7.4 routes a comm's incoming messages to the shell (main or
subshell) that last *published* on that comm (``BaseComm._reply_subshell_id``).
A widget that publishes from a cell or from a background thread therefore
pins every later browser message to the main shell, where it waits until the
running cell ends (docs/jupyter-internals.md#comm-reply-routing-pin: 0 of
100 browser messages seen during an 8 s cell that had called ``send``). For
a socket that lives in the browser that would stall ``recv()``,
acknowledgements and heartbeats, so the widget's comm forgets the pin after
each publish and lets the front end choose: JupyterLab
sends widget messages over a subshell of their own, which runs concurrently
with the cell.

Everything here degrades to a no-op on kernels without that routing.

marimo's kernel handles front-end messages on the thread that runs cells, and
only between cells (docs/marimo.md#browser-mode): a cell running there counts
as a busy main shell. marimo is looked up in ``sys.modules`` only: it is never
imported from here.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any

from ..exceptions import FrontendUnavailable
from .callbacks import shell

__all__ = [
    "between_cells_only",
    "cannot_wait_text",
    "cell_running",
    "incoming_subshell",
    "on_busy_main_shell",
    "refuse_between_cells",
    "track_cells",
    "unpin_replies",
    "when_marimo_cell_reruns",
]


def unpin_replies(comm: Any) -> None:
    """Let the front end choose the shell for this comm's incoming messages."""
    if comm is None or not hasattr(comm, "_reply_subshell_lock"):
        return  # not ipykernel >= 7.4's comm: nothing is pinned
    if getattr(comm, "_ipywebsockets_unpinned", False):
        return
    publish = comm.publish_msg

    @functools.wraps(publish)
    def publish_unpinned(*args: Any, **kwargs: Any) -> Any:
        try:
            return publish(*args, **kwargs)
        finally:
            with comm._reply_subshell_lock:
                comm.__dict__.pop("_reply_subshell_id", None)
                comm._reply_subshell_ids.clear()

    comm.publish_msg = publish_unpinned
    comm._ipywebsockets_unpinned = True
    with comm._reply_subshell_lock:  # comm_open already pinned it
        comm.__dict__.pop("_reply_subshell_id", None)


def incoming_subshell() -> tuple[bool, str | None]:
    """For a front-end message being handled now: (known, subshell id or None for main)."""
    ip = shell()
    kernel = getattr(ip, "kernel", None)
    if kernel is None:
        return False, None
    try:
        header = kernel.get_parent().get("header") or {}
    except Exception:  # pragma: no cover - defensive: never fail a comm message on this
        return False, None
    return True, header.get("subshell_id")


def on_busy_main_shell() -> bool:
    """Whether the caller is a cell running on the kernel's main thread.

    While it runs, front-end messages routed to the main shell wait for it to end.
    """
    ip = shell()
    if ip is None or getattr(ip, "kernel", None) is None:
        return _marimo_cell() is not None
    return threading.current_thread() is threading.main_thread()


def _marimo_cell() -> Any:
    """marimo's runtime context if this thread is running a marimo cell (not a mo.Thread)."""
    context = sys.modules.get("marimo._runtime.context")
    threads = sys.modules.get("marimo._runtime.threads")
    if context is None or threads is None:
        return None
    try:
        ctx = context.safe_get_context()
        if ctx is None or threads.is_marimo_thread():
            return None
    except Exception:  # pragma: no cover - defensive: an unknown marimo version
        return None
    return ctx if getattr(ctx, "execution_context", None) is not None else None


def between_cells_only() -> bool:
    """Whether the caller is a marimo cell: front-end messages wait until it ends."""
    return _marimo_cell() is not None


def when_marimo_cell_reruns(action: Callable[[], None]) -> bool:
    """In a marimo cell: call ``action`` when the cell runs again or is deleted (marimo's
    cell lifecycle, as ``mo.Thread`` uses). False, and nothing done, anywhere else."""
    ctx = _marimo_cell()
    if ctx is None:
        return False
    base = importlib.import_module("marimo._runtime.cell_lifecycle_item").CellLifecycleItem

    class _Rerun(base):  # type: ignore[misc, valid-type]
        def create(self, context: Any) -> None:
            return None

        def dispose(self, context: Any, deletion: bool) -> bool:
            action()
            return True

    ctx.cell_lifecycle_registry.add(_Rerun())
    return True


def refuse_between_cells(url: str) -> None:
    """In a marimo cell, raise FrontendUnavailable: no wait there (awaited or not) is served."""
    if between_cells_only():
        raise FrontendUnavailable(cannot_wait_text(url))


def cannot_wait_text(url: str) -> str:
    """Why a wait in this cell for the browser's messages could not be served; what to do."""
    if between_cells_only():
        return (
            f"cannot wait here for {url}: in browser mode the browser's messages reach the "
            "kernel through the front end, and marimo hands them to the kernel only between "
            "cells, so a wait in this cell (blocking or awaited) would only time out. Read in "
            "a later cell, use an `ws.on_message(...)` callback, or "
            "`ipywebsockets.marimo.watch(ws)` for a value that re-runs the cells that read it"
        )
    return (
        f"cannot wait here for {url}: in browser mode the browser's messages reach the "
        "kernel through the front end, and this front end delivers them to the main shell, "
        "which is busy running this cell (no kernel subshells), so a blocking wait would only "
        "time out. Use `await ws.arecv()`, `await ws.wait_for_async(...)` or `async for msg "
        "in ws` in this cell, an `ws.on_message(...)` callback, or read in a later cell"
    )


_cell = {"running": False, "hooked": False}
# marimo kernels seen by track_cells (by id: they are unhashable): a cell runs while
# their execution_context is set.
_marimo_kernels: dict[int, weakref.ref[Any]] = {}


def _pre_execute() -> None:
    _cell["running"] = True


def _post_execute() -> None:
    _cell["running"] = False


def track_cells() -> None:
    """Follow whether a cell is running (once per process; no-op outside IPython)."""
    marimo = _marimo_cell()
    if marimo is not None:
        _marimo_kernels[id(marimo)] = weakref.ref(marimo)
    if _cell["hooked"]:
        return
    ip = shell()
    if ip is not None and hasattr(ip, "events"):
        ip.events.register("pre_execute", _pre_execute)
        ip.events.register("post_execute", _post_execute)
        _cell["hooked"] = True


def cell_running() -> bool:
    """Whether a cell is executing on the main shell now (as far as :func:`track_cells` saw)."""
    if _cell["running"]:
        return True
    for key, ref in list(_marimo_kernels.items()):
        kernel = ref()
        if kernel is None:
            _marimo_kernels.pop(key, None)
        elif getattr(kernel, "execution_context", None) is not None:
            return True
    return False
