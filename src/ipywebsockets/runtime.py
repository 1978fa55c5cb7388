"""The I/O thread: one asyncio loop per process, shared by every socket.

Reception must not depend on the kernel's main thread (a cell that blocks
must not stop frames from arriving), so all network I/O runs on a daemon
thread with its own event loop. :func:`get_runtime` starts it on first use;
it is stopped cleanly at interpreter exit after every registered closer ran.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["Runtime", "get_runtime"]

T = TypeVar("T")

_SHUTDOWN_SECONDS = 3.0


class Runtime:
    """An asyncio event loop running forever on a daemon thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop = asyncio.new_event_loop()
        self._closers: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def in_loop(self) -> bool:
        """Whether the caller runs on this runtime's thread."""
        return threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule a coroutine on the loop from any thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the loop and wait for its result (never from the loop itself)."""
        if self.in_loop():
            coro.close()
            raise RuntimeError(f"Runtime.run() called from the {self.name} thread would deadlock")
        return self.submit(coro).result(timeout)

    def start_and_wait(self, coro: Coroutine[Any, Any, object], timeout: float | None) -> None:
        """Run ``coro`` on the loop; wait up to ``timeout`` s for it unless called on the loop.

        Running out of time is not an error: the coroutine goes on by itself.
        """
        fut = self.submit(coro)
        if not self.in_loop():
            try:
                fut.result(timeout)
            except concurrent.futures.TimeoutError:
                pass

    def call_soon(self, fn: Callable[..., object], *args: object) -> None:
        """Call ``fn(*args)`` on the loop, from any thread."""
        self.loop.call_soon_threadsafe(fn, *args)

    def add_closer(self, closer: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Register a coroutine function to await when the process exits."""
        self._closers.append(closer)

    def remove_closer(self, closer: Callable[[], Coroutine[Any, Any, None]]) -> None:
        try:
            self._closers.remove(closer)
        except ValueError:
            pass

    def stop(self) -> None:
        """Run the closers (close frames go out), cancel what is left, stop the thread."""
        if not self._thread.is_alive() or self.loop.is_closed():
            return

        async def _shutdown() -> None:
            closers, self._closers = list(self._closers), []
            if closers:
                await asyncio.wait(
                    [asyncio.ensure_future(c()) for c in closers], timeout=_SHUTDOWN_SECONDS
                )
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=_SHUTDOWN_SECONDS)

        try:
            self.run(_shutdown(), timeout=2 * _SHUTDOWN_SECONDS + 1)
        except (concurrent.futures.TimeoutError, RuntimeError):
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=_SHUTDOWN_SECONDS)
        if not self._thread.is_alive():
            self.loop.close()


_runtimes: dict[str, Runtime] = {}
_lock = threading.Lock()


def get_runtime(name: str = "ipywebsockets-io") -> Runtime:
    """The process-wide runtime called ``name``, started on first use."""
    with _lock:
        runtime = _runtimes.get(name)
        if runtime is None or not runtime.thread.is_alive():
            runtime = _runtimes[name] = Runtime(name)
        return runtime


@atexit.register
def _stop_all() -> None:
    with _lock:
        runtimes = list(_runtimes.values())
        _runtimes.clear()
    # Clients first, so their close frames still reach in-process demo servers.
    runtimes.sort(key=lambda r: r.name != "ipywebsockets-io")
    for runtime in runtimes:
        runtime.stop()
