"""Run user callbacks in order, off the I/O loop, with output under the right cell.

A :class:`Dispatcher` owns one thread per socket. The I/O loop hands it
messages; when its bounded queue is full, :meth:`Dispatcher.put` returns an
awaitable that the receive loop awaits, so reception backs off through
websockets' own flow control instead of dropping anything.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from ..message import Message

__all__ = ["Dispatcher", "Handler", "OutputParent", "current_parent", "resolve", "shell"]

# Seconds without a message after which the handlers' output is flushed (ipykernel's
# own timer flushes what they print within 0.2 s meanwhile).
_FLUSH_AFTER_IDLE = 0.05


class Handler:
    """A user callback and the cell (parent message) that registered it."""

    __slots__ = ("fn", "parent")

    def __init__(self, fn: Callable[[Message], object], parent: dict[str, Any] | None) -> None:
        self.fn = fn
        self.parent = parent


def shell() -> Any:
    """The running IPython shell, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    return get_ipython()


def current_parent() -> dict[str, Any] | None:
    """The request (cell) the calling code runs for, when the kernel can route thread output.

    ipykernel 7.4+ routes a thread's output with ``set_thread_parent``
    (docs/jupyter-internals.md#set-thread-parent).
    """
    ip = shell()
    if ip is None or not hasattr(ip, "set_thread_parent"):
        return None
    parent = ip.get_parent()
    return parent if parent else None


class Dispatcher:
    """Calls every handler for every message, in order, on its own thread.

    Args:
        name: the thread's name.
        handlers: returns the current handlers (read once per message).
        on_error: called after a handler raised (the traceback is already printed).
        maxsize: messages that may wait before reception is paused.
    """

    def __init__(
        self,
        name: str,
        handlers: Callable[[], Sequence[Handler]],
        on_error: Callable[[], None],
        maxsize: int,
    ) -> None:
        self._name = name
        self._handlers = handlers
        self._on_error = on_error
        self._maxsize = maxsize
        self._queue: deque[Message | Callable[[], None]] = deque()
        self._cond = threading.Condition()
        self._paused: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None
        # One queue, at most one thread at a time, so handlers see messages in
        # order even across stop() and a later put() (a reconnect).
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._sleeping = False  # the thread waits on _cond: put() must notify it

    @property
    def backlog(self) -> int:
        """Messages waiting for the handlers."""
        return len(self._queue)

    def put(self, msg: Message) -> asyncio.Future[None] | None:
        """Queue a message (from the I/O loop); returns a future to await when full.

        The common case takes no lock: ``deque.append`` is atomic, and the
        thread is woken only when it sleeps (it drains what came meanwhile in
        one go), so a fast stream costs no condition variable per message.
        """
        queue = self._queue
        queue.append(msg)
        if self._sleeping or self._thread is None or self._stopping:
            with self._cond:
                self._stopping = False
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                    self._thread.start()
                self._cond.notify()
                # Woken: the next puts need not notify again before it runs (it may
                # wait for the GIL a while; it drains everything queued meanwhile).
                self._sleeping = False
        if len(queue) < self._maxsize:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a caller that cannot wait (browser mode): the queue grows
            return None
        with self._cond:
            if len(queue) < self._maxsize:  # the thread caught up meanwhile
                return None
            fut: asyncio.Future[None] = loop.create_future()
            self._paused = (loop, fut)
            return fut

    def call_after(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` on the handlers' thread after the messages queued before it."""
        with self._cond:
            self._queue.append(fn)
            self._stopping = False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify()

    def stop(self, wait: float | None = None) -> None:
        """End the thread once the queued messages are handled (a later put() starts another)."""
        with self._cond:
            self._stopping = True
            thread = self._thread
            self._cond.notify()
        if wait is not None and thread is not None and threading.current_thread() is not thread:
            thread.join(wait)

    def _resume(self) -> None:
        """Let reception go on once the queue is half empty (call with the condition held)."""
        if self._paused is not None and len(self._queue) <= self._maxsize // 2:
            loop, fut = self._paused
            self._paused = None
            loop.call_soon_threadsafe(resolve, fut)

    def _run(self) -> None:
        queue = self._queue
        cond = self._cond
        output = OutputParent()
        try:
            while True:
                # Drain without the lock: only this thread pops, and popleft is atomic.
                while queue:
                    msg = queue.popleft()
                    if self._paused is not None:
                        with cond:
                            self._resume()
                    if not isinstance(msg, Message):  # call_after()
                        self._call_after(msg)
                        continue
                    for handler in self._handlers():
                        self._call(handler, msg, output)
                # Caught up: hand the handlers' output over once no message came
                # for a moment, not after every message: a flush from a thread
                # waits for the kernel's I/O thread
                # (docs/jupyter-internals.md#stdout-flush-from-threads).
                with cond:
                    self._resume()
                    if not queue and not self._stopping:
                        self._sleep(_FLUSH_AFTER_IDLE)
                    if queue:
                        continue
                output.leave()
                with cond:
                    while not queue:
                        if self._stopping:
                            self._thread = None  # from here on, put() starts a new thread
                            return
                        self._sleep(None)
        finally:
            output.leave()

    def _sleep(self, timeout: float | None) -> None:
        """Wait for put() or stop() (call with the condition held and the queue empty).

        ``_sleeping`` is set before put() could miss it: put() appends, then
        reads it; this thread sets it, then (under the lock) looks at the queue.
        """
        self._sleeping = True
        try:
            if not self._queue:  # a put() between the caller's look and the flag: no wait
                self._cond.wait(timeout)
        finally:
            self._sleeping = False

    def _call_after(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except BaseException:  # our own code: say so, and go on
            print(
                "[ipywebsockets] internal error after the handlers ran (please report it):\n"
                + traceback.format_exc(),
                file=sys.stderr,
                flush=True,
            )

    def _call(self, handler: Handler, msg: Message, output: OutputParent) -> None:
        output.enter(handler.parent)
        try:
            handler.fn(msg)
        except BaseException:  # SystemExit too: one handler must not end the stream
            name = getattr(handler.fn, "__qualname__", repr(handler.fn))
            print(
                f"[ipywebsockets] on_message handler {name} raised on message #{msg.seq}; "
                "the stream goes on:\n" + traceback.format_exc(),
                file=sys.stderr,
                flush=True,
            )
            self._on_error()


class OutputParent:
    """The cell the dispatcher thread's output goes to, switched only when it changes.

    ipykernel (7.4+) buffers a thread's output by the parent it was written
    under, so the parent may stay set across messages, and the streams are
    flushed when the thread catches up (and ipykernel's own 0.2 s timer
    meanwhile).
    """

    __slots__ = ("_ip", "_parent", "_tokens")

    def __init__(self) -> None:
        self._parent: dict[str, Any] | None = None
        self._tokens: Any = None
        self._ip: Any = None

    def enter(self, parent: dict[str, Any] | None) -> None:
        if parent is self._parent:
            return
        self.leave(flush=False)  # what was written stays under its own parent
        if parent is None:
            return
        ip = shell()
        if ip is not None:
            self._tokens = ip.set_thread_parent(parent)
            self._ip = ip
            self._parent = parent

    def leave(self, flush: bool = True) -> None:
        ip, tokens = self._ip, self._tokens
        if ip is None:
            return
        self._ip = self._tokens = self._parent = None
        if flush:
            sys.stdout.flush()
            sys.stderr.flush()
        ip.reset_thread_parent(tokens)


def resolve(fut: asyncio.Future[None]) -> None:
    """Complete a waiting future (on its own loop) unless it is already done."""
    if not fut.done():
        fut.set_result(None)
