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
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from .callbacks import shell

__all__ = [
    "cell_running",
    "incoming_subshell",
    "on_busy_main_shell",
    "track_cells",
    "unpin_replies",
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
        return False
    return threading.current_thread() is threading.main_thread()


_cell = {"running": False, "hooked": False}


def _pre_execute() -> None:
    _cell["running"] = True


def _post_execute() -> None:
    _cell["running"] = False


def track_cells() -> None:
    """Follow whether a cell is running (once per process; no-op outside IPython)."""
    if _cell["hooked"]:
        return
    ip = shell()
    if ip is not None and hasattr(ip, "events"):
        ip.events.register("pre_execute", _pre_execute)
        ip.events.register("post_execute", _post_execute)
        _cell["hooked"] = True


def cell_running() -> bool:
    """Whether a cell is executing on the main shell now (as far as :func:`track_cells` saw)."""
    return _cell["running"]
