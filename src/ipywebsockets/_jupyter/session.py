"""What must hold on every (re)open of one socket: the ``on_open`` hooks.

Feeds that need a subscribe or login message receive nothing after an
automatic reconnect unless someone sends it again. A hook registered with
``ws.on_open`` runs after *every* successful open, on a thread of its own
(never the I/O loop), while reception already runs, so it may wait for
replies (``ws.request``). What it sends goes out before the messages queued
while the connection was away (:mod:`..sending`). Its output appears under
the cell that registered it; an exception is printed there, counted in
``callback_errors`` and shown in ``error``, and the connection stays open.
"""

from __future__ import annotations

import sys
import threading
import traceback
import weakref
from collections.abc import Callable
from typing import Any

from .callbacks import Handler, OutputParent, current_parent
from .stream import Stream

__all__ = ["Session"]


class Session:
    """The hooks of one socket; the transport runs them (:class:`~...transport.OpenHooks`).

    Args:
        stream: where errors are counted and shown.
        owner: the socket the hooks are called with (held weakly).
    """

    def __init__(self, stream: Stream, owner: Any) -> None:
        self._stream = stream
        self._owner = weakref.ref(owner)
        self.hooks: tuple[Handler, ...] = ()
        self._local = threading.local()
        self._watchers: tuple[Callable[[], None], ...] = ()

    def watch(self, fn: Callable[[], None]) -> None:
        """Call ``fn()`` whenever a hook is added or removed (browser mode tells the page)."""
        self._watchers = (*self._watchers, fn)

    def _changed(self) -> None:
        for fn in self._watchers:
            fn()

    def add(self, fn: Callable[[Any], object]) -> None:
        if not callable(fn):
            raise TypeError(f"on_open takes a function of the socket, not {type(fn).__name__}")
        self.hooks = (*self.hooks, Handler(fn, current_parent()))
        self._changed()

    def remove(self, fn: Callable[[Any], object]) -> None:
        before = len(self.hooks)
        self.hooks = tuple(h for h in self.hooks if h.fn != fn)
        if len(self.hooks) != before:
            self._changed()

    def wanted(self) -> bool:
        return bool(self.hooks)

    def in_hook(self) -> bool:
        """Whether the calling thread is running a hook (its sends go first)."""
        return getattr(self._local, "running", False)

    def run(self) -> str:
        """Call every hook in order with the socket (on the calling thread).

        Returns what the last hook that raised said ("" when none raised).
        """
        sock = self._owner()
        if sock is None:
            return ""
        said = ""
        output = OutputParent()
        self._local.running = True
        try:
            for hook in self.hooks:
                output.enter(hook.parent)
                try:
                    hook.fn(sock)
                except BaseException as exc:  # one hook must not stop the others or the socket
                    name = getattr(hook.fn, "__qualname__", repr(hook.fn))
                    print(
                        f"[ipywebsockets] on_open hook {name} raised; the connection stays "
                        "open:\n" + traceback.format_exc(),
                        file=sys.stderr,
                        flush=True,
                    )
                    self._stream.count_callback_error()
                    said = (
                        f"on_open hook {name} raised {type(exc).__name__}: {exc} "
                        "(the traceback is under the cell that registered it)"
                    )
                    self.report(said)
        finally:
            self._local.running = False
            output.leave()
        return said

    def report(self, text: str) -> None:
        self._stream.report_error(text)
