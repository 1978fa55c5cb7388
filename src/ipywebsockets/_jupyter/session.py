"""What must hold on every (re)open of one socket: the ``on_open`` hooks.

Feeds that need a subscribe or login message receive nothing after an
automatic reconnect unless someone sends it again. A hook registered with
``ws.on_open`` runs after *every* successful open, on a thread of its own
(never the I/O loop), while reception already runs, so it may wait for
replies (``ws.request``). What it sends goes out before the messages queued
while the connection was away (:mod:`..sending`). Its output appears under
the cell that registered it; an exception is printed there, counted in
``callback_errors`` and shown in ``error``, and the connection stays open.

A hook registered while the connection is already open runs at once, for
that connection (``ws = WebSocket(url)`` then ``@ws.on_open`` in the next
line would otherwise miss the first open). Each hook runs once per open:
opens are numbered, and each hook remembers the last one it ran for.
"""

from __future__ import annotations

import sys
import threading
import traceback
import weakref
from collections.abc import Callable
from typing import Any

from .callbacks import OutputParent, current_parent
from .stream import Stream

__all__ = ["Session"]


class _Hook:
    __slots__ = ("fn", "parent", "ran")

    def __init__(self, fn: Callable[[Any], object], parent: dict[str, Any] | None) -> None:
        self.fn = fn
        self.parent = parent
        self.ran = 0  # the number of the last open it ran for


class Session:
    """The hooks of one socket; the transport runs them (:class:`~...transport.OpenHooks`).

    Args:
        stream: where errors are counted and shown, and whose status says "open".
        owner: the socket the hooks are called with (held weakly).
        refresh: brings the socket's traits up to date (a hook sees ``status == "open"``).
    """

    def __init__(self, stream: Stream, owner: Any, refresh: Callable[[], None]) -> None:
        self._stream = stream
        self._refresh = refresh
        self._owner = weakref.ref(owner)
        self.hooks: tuple[_Hook, ...] = ()
        self._lock = threading.Lock()
        self._opens = 0  # connections opened so far
        self._running = False  # run() is calling the hooks for the latest open
        self._local = threading.local()

    def add(self, fn: Callable[[Any], object]) -> None:
        if not callable(fn):
            raise TypeError(f"on_open takes a function of the socket, not {type(fn).__name__}")
        hook = _Hook(fn, current_parent())
        with self._lock:
            self.hooks = (*self.hooks, hook)
            now = self._opens and not self._running and self._stream.state["status"] == "open"
            if now:
                hook.ran = self._opens
        if now:  # the connection is open already: this hook's first run is for it
            threading.Thread(
                target=self._run_one, args=(hook,), name="ipywebsockets-on-open", daemon=True
            ).start()

    def remove(self, fn: Callable[[Any], object]) -> None:
        with self._lock:
            self.hooks = tuple(h for h in self.hooks if h.fn != fn)

    def opened(self) -> bool:
        """A connection opened (called before its status says so): whether :meth:`run` follows."""
        with self._lock:
            self._opens += 1
            self._running = bool(self.hooks)
            return self._running

    def in_hook(self) -> bool:
        """Whether the calling thread is running a hook (its sends go first)."""
        return getattr(self._local, "running", False)

    def run(self) -> None:
        """Call each hook not yet run for the latest open, in order (on the calling thread)."""
        self._refresh()
        while True:
            with self._lock:
                hook = next((h for h in self.hooks if h.ran < self._opens), None)
                if hook is None:
                    self._running = False
                    return
                hook.ran = self._opens
            self._run_one(hook)

    def _run_one(self, hook: _Hook) -> None:
        sock = self._owner()
        if sock is None:
            return
        output = OutputParent()
        output.enter(hook.parent)
        self._local.running = True
        try:
            hook.fn(sock)
        except BaseException as exc:  # one hook must not stop the others or the socket
            name = getattr(hook.fn, "__qualname__", repr(hook.fn))
            print(
                f"[ipywebsockets] on_open hook {name} raised; the connection stays open:\n"
                + traceback.format_exc(),
                file=sys.stderr,
                flush=True,
            )
            self._stream.count_callback_error()
            self.report(
                f"on_open hook {name} raised {type(exc).__name__}: {exc} "
                "(the traceback is under the cell that registered it)"
            )
        finally:
            self._local.running = False
            output.leave()

    def report(self, text: str) -> None:
        self._stream.report_error(text)
