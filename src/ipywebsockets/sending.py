"""The kernel connection's outgoing queue: what waits, in which order, and the loop that sends it.

Two queues: ``first`` holds what an ``on_open`` hook sends while it runs, and
goes out at once; the ``outbox`` holds everything else (what cells sent
while the connection was away, and after) and is *held* while the hooks run,
so a subscription always precedes what was queued while away.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed as WsConnectionClosed

from .transport import OpenHooks

__all__ = ["SendQueue", "run_hooks"]


class SendQueue:
    """Payloads waiting for the connection; :meth:`run` sends them while it is open."""

    def __init__(self) -> None:
        self.outbox: deque[str | bytes] = deque()
        self.first: deque[str | bytes] = deque()
        self.holding = False  # on_open hooks run: only `first` goes out
        self._ready = asyncio.Event()  # used on the I/O loop only

    def __len__(self) -> int:
        return len(self.outbox) + len(self.first)

    def put(self, payload: str | bytes, first: bool = False) -> None:
        """Queue a payload (any thread); wake the loop with :meth:`wake` on the I/O loop."""
        (self.first if first else self.outbox).append(payload)

    def wake(self) -> None:
        """Tell the send loop to look again (I/O loop)."""
        self._ready.set()

    def release(self) -> None:
        """The hooks are done: the held outbox may go (I/O loop)."""
        self.holding = False
        self._ready.set()

    def drop(self) -> int:
        """Forget everything queued; return how many payloads that was."""
        count = len(self)
        self.outbox.clear()
        self.first.clear()
        return count

    def _next(self) -> deque[str | bytes] | None:
        if self.first:
            return self.first
        if self.outbox and not self.holding:
            return self.outbox
        return None

    async def run(
        self,
        ws: ClientConnection,
        on_sent: Callable[[str | bytes], None],
        on_refused: Callable[[Exception], None],
    ) -> None:
        """Send queued payloads in order until the connection closes (I/O loop).

        A payload the connection refuses to carry (``TypeError``/``ValueError``) is
        dropped and reported with ``on_refused``; one the closing connection did not
        take stays at the head of its queue for the next connection.
        """
        ready = self._ready
        while True:
            queue = self._next()
            while queue is not None:
                data = queue[0]
                try:
                    await ws.send(data)
                except WsConnectionClosed:
                    return
                except (TypeError, ValueError) as exc:  # send() checks; never retry it forever
                    queue.popleft()
                    on_refused(exc)
                else:
                    queue.popleft()
                    on_sent(data)
                queue = self._next()
            ready.clear()
            if self._next() is None:
                await ready.wait()


async def run_hooks(hooks: OpenHooks, queue: SendQueue, open_timeout: float | None) -> None:
    """Run the on_open hooks on a thread of their own; then release the queued sends.

    The receive loop runs meanwhile, so a hook may wait for replies. A hook
    still running after ``open_timeout`` releases the queue anyway (and says so).
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def finish() -> None:
        if not done.done():
            done.set_result(None)

    def run() -> None:
        try:
            hooks.run()
        finally:
            try:
                loop.call_soon_threadsafe(finish)
            except RuntimeError:  # the I/O loop ended meanwhile (the process exits)
                pass

    threading.Thread(target=run, name="ipywebsockets-on-open", daemon=True).start()
    limit = open_timeout or 10.0
    try:
        await asyncio.wait_for(asyncio.shield(done), limit)
    except (TimeoutError, asyncio.TimeoutError):
        hooks.report(
            f"an on_open hook is still running after {limit:g} s (open_timeout); "
            "the messages queued while away go out now"
        )
    finally:
        queue.release()
