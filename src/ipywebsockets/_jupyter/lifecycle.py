"""Widget lifecycles: re-running a cell closes what its last run opened; closing frees all.

People re-run cells all day. ``ws = iws.WebSocket(url)`` run twice would
otherwise leave the first socket connected, streaming and publishing, with
nothing left to name it. JupyterLab and Notebook 7 put the cell's id in each
``execute_request``'s metadata (``cellId``): a socket made while a cell runs
belongs to that cell, and when the same cell runs again, the sockets of its
previous run are closed (1001, "going away") as the first new one is made.
In marimo (no cell ids) a socket is closed the same way when marimo disposes
of the cell that made it (it runs again or is deleted). Without either (a
plain script, a front end that sends no cell id) nothing is closed for you:
:func:`close_all` closes every socket of the kernel.

ipywidgets' ``close()`` leaves a DOM widget's ``Layout`` registered (a widget
leaked per socket or view opened and closed): :func:`close_own_layout` closes
it too, when the widget made it (a layout passed in may be shared).
"""

from __future__ import annotations

import difflib
import functools
import inspect
import weakref
from typing import Any, Protocol

from .callbacks import shell
from .frontend import hook_cell_ends
from .routing import track_cells, unpin_replies, when_marimo_cell_reruns

__all__ = ["adopt", "close_all", "close_own_layout", "open_sockets", "own_layout"]


class _Closable(Protocol):
    comm: Any

    def close(self, code: int = 1000, reason: str = "", *, timeout: float = 5.0) -> None: ...


_RERUN_REASON = "the cell that opened it ran again"
# cell id -> (the execute_request that made them, the sockets it made)
_by_cell: dict[str, tuple[str, list[weakref.ref[_Closable]]]] = {}
_every: weakref.WeakSet[Any] = weakref.WeakSet()  # WebSockets


def _running_cell() -> tuple[str, str] | None:
    """``(cell id, request id)`` of the cell running now, if the front end said which."""
    ip = shell()
    kernel = getattr(ip, "kernel", None)
    if kernel is None:
        return None
    try:
        parent = kernel.get_parent()
    except Exception:  # pragma: no cover - defensive: never fail a constructor on this
        return None
    cell = (parent.get("metadata") or {}).get("cellId")
    request = (parent.get("header") or {}).get("msg_id")
    if parent.get("header", {}).get("msg_type") != "execute_request" or not cell or not request:
        return None
    return str(cell), str(request)


def adopt(sock: _Closable, kwargs: dict[str, Any]) -> None:
    """A new socket, built with ``kwargs``: hook the kernel once, close what an earlier run
    of this cell made."""
    own_layout(sock, kwargs)
    unpin_replies(sock.comm)
    hook_cell_ends()
    track_cells()
    _every.add(sock)
    running = _running_cell()
    if running is None:
        when_marimo_cell_reruns(functools.partial(_close_rerun, weakref.ref(sock)))
        return
    cell, request = running
    made_by, sockets = _by_cell.get(cell, ("", []))
    if made_by != request:
        for ref in sockets:
            old = ref()
            if old is not None:
                old.close(1001, _RERUN_REASON, timeout=1.0)
        sockets = []
    sockets.append(weakref.ref(sock))
    _by_cell[cell] = (request, sockets)
    for key in [k for k, (_, refs) in _by_cell.items() if all(r() is None for r in refs)]:
        del _by_cell[key]


def _close_rerun(ref: weakref.ref[_Closable]) -> None:
    sock = ref()
    if sock is not None:
        sock.close(1001, _RERUN_REASON, timeout=1.0)


def own_layout(widget: Any, kwargs: dict[str, Any]) -> None:
    """After ``__init__(**kwargs)``: remember whether ``widget`` made its own layout."""
    if "layout" not in kwargs and getattr(widget, "layout", None) is not None:
        widget._iws_layout = widget.layout


def close_own_layout(widget: Any) -> None:
    """Close the layout ``widget`` made itself (ipywidgets' close() leaves it registered)."""
    layout = getattr(widget, "_iws_layout", None)
    if layout is not None and layout is widget.layout:
        layout.close()


def open_sockets() -> list[Any]:
    """Every socket of this kernel that is still alive (open or not)."""
    return list(_every)


def close_all(timeout: float = 5.0) -> int:
    """Close every socket of this kernel that is open or connecting; return how many.

    Each closes with 1000 (normal closure) and waits up to ``timeout`` seconds.
    """
    closed = 0
    for sock in list(_every):
        if getattr(sock, "_transport", None) is not None and sock._transport.running:
            sock.close(1000, "close_all()", timeout=timeout)
            closed += 1
    return closed


def refuse_unknown(cls: type, kwargs: dict[str, Any]) -> None:
    """Raise for a keyword ``cls(...)`` would otherwise ignore (traitlets only warns).

    Widgets pass their extra keywords on to ipywidgets, which takes traits
    (``layout``, ``max_fps``...) and drops anything else with a warning no one
    sees: ``WebSocket(url, histroy=5)`` would run with the default history.

    Raises:
        TypeError: a keyword that is neither an argument nor a trait, with the closest name.
    """
    known = set(cls.class_trait_names())  # type: ignore[attr-defined]
    for name in kwargs:
        if name not in known:
            public = [n for n in known if not n.startswith("_")]
            public += [p for p in inspect.signature(cls).parameters if not p.startswith("_")]
            close = difflib.get_close_matches(name, public, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {name!r}{hint}")
