"""The truth about one socket's stream, safe to touch from any thread.

A :class:`Stream` is the :class:`~..transport.Events` every transport reports to: it
numbers messages, keeps the bounded history and the counters, wakes readers
(``recv``, ``arecv``), feeds the callback dispatcher and collects the rows
the live view has not seen yet. It knows nothing of widgets: the widget
reads it (under :attr:`Stream.lock`) when it publishes.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection

from .._reasons import describe_close
from ..exceptions import ConnectionClosed, ConnectionFailed
from ..history import History, Stats
from ..message import Message
from ..redact import redact_text
from .callbacks import Dispatcher, Handler, resolve
from .claims import Claim
from .unread import Unread

__all__ = ["Stream"]


class Stream:
    """History, counters, readers and callbacks of one socket.

    Args:
        url: the (redacted) URL, for error messages.
        history: messages kept, both directions.
        view_rows: rows kept for the next front-end flush (the rest are counted as omitted).
        callback_queue: messages that may wait for handlers before reception pauses.
        on_change: called (under the lock) when something the widget shows changed
            (settable later: the widget's front-end sync).
    """

    def __init__(
        self,
        url: str,
        *,
        history: int,
        view_rows: int,
        callback_queue: int,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.url = url
        self.lock = threading.Lock()
        self._cond = threading.Condition(self.lock)
        self.history = History(history)
        self.stats = Stats()
        self.last_in: Message | None = None
        self.state: dict[str, Any] = {
            "status": "closed",
            "error": "",
            "close_code": None,
            "close_reason": "",
            "subprotocol": "",
            "reconnects": 0,
            "callback_errors": 0,
            "lost": 0,
        }
        self.handshake: ClientConnection | None = None
        self.pending: deque[Message] = deque(maxlen=view_rows)
        self.omitted = 0  # messages that left `pending` before the view saw them
        self.on_change = on_change
        self._next_seq = 1
        self.unread = Unread()  # recv()'s cursor, and the replies of requests it skips
        self._ended = False
        self._opened_once = False
        self._waiters = 0
        self._wake_due = False  # a wake-up of the readers is scheduled on the I/O loop
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.handlers: tuple[Handler, ...] = ()
        # Called with every message, in order, under the lock (recorders): must be quick.
        self.sinks: tuple[Callable[[Message], None], ...] = ()
        self._dispatcher: Dispatcher | None = None
        self._callback_queue = callback_queue
        # Requests waiting for a reply (claims.py); readers skip the replies they took.
        self.claims: tuple[Claim, ...] = ()
        # Told (outside the lock) after each status change, open, restart and end: the
        # sources derived from this one (derived.py).
        self.watchers: tuple[Callable[[str], None], ...] = ()

    # -- lifecycle (any thread) ------------------------------------------------

    def restart(self) -> None:
        """A new connection attempt begins: readers wait again instead of raising."""
        with self.lock:
            self._ended = False
            self.state.update(status="connecting", error="", close_code=None, close_reason="")
            self.on_change()
        self._tell("restart")

    def stop_callbacks(self, wait: float | None = None) -> None:
        if self._dispatcher is not None:
            self._dispatcher.stop(wait)

    @property
    def callback_backlog(self) -> int:
        """Messages waiting for the ``on_message`` handlers."""
        dispatcher = self._dispatcher
        return dispatcher.backlog if dispatcher is not None else 0

    # -- Events: called by the transport, on its thread ---------------------------

    def on_status(self, status: str, error: str) -> None:
        with self.lock:
            if status == "reconnecting" and self.state["status"] == "open":
                self.state["reconnects"] += 1
            self.state["status"] = status
            self.state["error"] = redact_text(error)
            self.on_change()
        self._tell("status")

    def report_error(self, text: str) -> None:
        """Show ``text`` in the ``error`` trait without changing the status."""
        with self.lock:
            self.state["error"] = redact_text(text)
            self.on_change()
        self._tell("status")

    def on_open(self, subprotocol: str, handshake: ClientConnection | None) -> None:
        with self.lock:
            self._opened_once = True
            self.handshake = handshake
            # Some APIs pass a token as the subprotocol (it is saved with the notebook).
            self.state.update(
                subprotocol=redact_text(subprotocol), close_code=None, close_reason=""
            )
            self.on_change()
        self._tell("open")

    def on_lost(self, count: int, error: str) -> None:
        """``count`` messages never reached the kernel (a gap in the browser's numbering)."""
        with self.lock:
            self.state["lost"] += count
            self.state["error"] = redact_text(error)
            self.on_change()

    def on_message(self, data: str | bytes, at: float | None = None) -> asyncio.Future[None] | None:
        # The hot path: one lock, no allocation beyond the Message; _append and
        # Stats.count inlined (a call each costs as much as what they do).
        with self.lock:
            msg = Message.make(self._next_seq, time.time() if at is None else at, "in", data)
            self._next_seq += 1
            self.history.append(msg)
            stats = self.stats
            stats.received += 1
            stats.bytes_received += msg.size
            stats.meter.add(msg.time)
            pending = self.pending
            if len(pending) == pending.maxlen:
                self.omitted += 1
            pending.append(msg)
            if self.sinks:
                for sink in self.sinks:
                    sink(msg)
            self.on_change()
            self.last_in = msg
            if not (self.claims and self._offer(msg)):
                self.unread.readable = msg.seq
                if (self._waiters or self._async_waiters) and not self._wake_due:
                    self._wake_soon()
            if not self.handlers:
                return None
        return self._dispatch(msg)

    def on_sent(self, data: str | bytes, at: float | None = None) -> None:
        with self.lock:
            when = time.time() if at is None else at
            self._append(Message.make(self._next_seq, when, "out", data))

    def on_close(self, code: int | None, reason: str, error: str) -> None:
        with self.lock:
            self._ended = True
            error, reason = redact_text(error), redact_text(reason)  # synced, saved, raised
            self.state.update(status="closed", close_code=code, close_reason=reason, error=error)
            if self.claims:
                end = self._end_exception()
                for claim in self.claims:
                    claim.fail(end)
                self.claims = ()
            self._wake_readers()
            self.on_change()
        self._tell("close")
        self.stop_callbacks()

    def _append(self, msg: Message) -> Message:
        """Record a message (call with the lock held); on_message does the same inline."""
        self._next_seq += 1
        self.history.append(msg)
        self.stats.count(msg)
        if len(self.pending) == self.pending.maxlen:
            self.omitted += 1
        self.pending.append(msg)
        if self.sinks:
            for sink in self.sinks:
                sink(msg)
        self.on_change()
        return msg

    def take_tail(self, limit: int) -> tuple[list[Message], int]:
        """The newest ``limit`` messages for a view that says hello, and how many came before.

        Call with the lock held. Rows not yet flushed that a shorter history no longer
        holds are included (the page may have the ones before them, sent since it was
        shown); they are taken: the next flush starts after these.
        """
        rows = self.history.tail(limit)
        start = rows[0].seq if rows else self.history.next_seq
        if self.pending and self.pending[0].seq < start:
            rows = ([m for m in self.pending if m.seq < start] + rows)[-limit:]
        self.pending.clear()
        self.omitted = 0
        return rows, self.history.next_seq - 1 - len(rows)

    def _tell(self, event: str) -> None:
        for watcher in self.watchers:
            watcher(event)

    # -- requests -----------------------------------------------------------------

    def add_claim(self, match: Callable[[Message], object]) -> Claim:
        """Wait for the first incoming message from now on that ``match``es (see claims.py)."""
        with self.lock:
            claim = Claim(match, self._next_seq)
            self.claims = (*self.claims, claim)
            claimed = self.unread.claimed
            if len(claimed) > 2 * self.history.maxlen:  # nobody reads: forget the old
                first = self.history.first_seq
                self.unread.claimed = {seq for seq in claimed if seq >= first}
            return claim

    def drop_claim(self, claim: Claim) -> None:
        with self.lock:
            self.claims = tuple(c for c in self.claims if c is not claim)

    def _offer(self, msg: Message) -> bool:
        """Hand ``msg`` to the waiting requests (lock held); a taken one is hidden from readers.

        Returns whether a request took it.
        """
        taken = [claim for claim in self.claims if claim.offer(msg)]
        if taken:
            self.unread.claimed.add(msg.seq)
            self.claims = tuple(c for c in self.claims if not c.done)
        return bool(taken)

    def after_callbacks(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` on the handlers' thread once the messages queued for them are handled."""
        dispatcher = self._dispatcher
        if dispatcher is None:
            fn()
        else:
            dispatcher.call_after(fn)

    # -- callbacks ----------------------------------------------------------------

    def add_handler(self, handler: Handler) -> None:
        with self.lock:
            self.handlers = (*self.handlers, handler)

    def remove_handler(self, fn: Callable[[Message], object]) -> None:
        with self.lock:
            self.handlers = tuple(h for h in self.handlers if h.fn != fn)

    def _dispatch(self, msg: Message) -> asyncio.Future[None] | None:
        dispatcher = self._dispatcher
        if dispatcher is None:
            dispatcher = self._dispatcher = Dispatcher(
                f"ipywebsockets-callbacks-{id(self):x}",
                lambda: self.handlers,
                self.count_callback_error,
                self._callback_queue,
            )
        return dispatcher.put(msg)

    def count_callback_error(self) -> None:
        """A user callback (on_message handler, observer) raised: count it."""
        with self.lock:
            self.state["callback_errors"] += 1
            self.on_change()

    # -- reading ---------------------------------------------------------------------

    def recv(self, timeout: float | None) -> Message:
        """The next unread incoming message; see ``WebSocket.recv``."""
        msg = self.unread.pop()  # taken from the history already: no lock
        if msg is not None:
            return msg
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                msg = self.unread.take(self.history)
                if msg is not None:
                    return msg
                if self._ended:
                    raise self._end_exception()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(self._timeout_text(timeout))
                self._waiters += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiters -= 1

    async def arecv(self, timeout: float | None) -> Message:
        """Awaitable :meth:`recv`, from any event loop."""
        msg = self.unread.pop()
        if msg is not None:
            return msg
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            with self.lock:
                msg = self.unread.take(self.history)
                if msg is not None:
                    return msg
                if self._ended:
                    raise self._end_exception()
                fut: asyncio.Future[None] = loop.create_future()
                self._async_waiters.append((loop, fut))
            remaining = None if deadline is None else deadline - loop.time()
            try:
                if remaining is not None and remaining <= 0:
                    raise TimeoutError
                await asyncio.wait_for(fut, remaining)
            except (TimeoutError, asyncio.TimeoutError):  # distinct classes before Python 3.11
                raise TimeoutError(self._timeout_text(timeout)) from None
            finally:
                with self.lock:
                    if (loop, fut) in self._async_waiters:
                        self._async_waiters.remove((loop, fut))

    @property
    def next_seq(self) -> int:
        """The seq the next message will get."""
        with self.lock:
            return self._next_seq

    def read_since(self, cursor: int, limit: int | None = None) -> tuple[list[Message], int, int]:
        """Messages (both directions) from seq ``cursor`` on, for followers such as views.

        Returns ``(messages, skipped, next_cursor)``: ``skipped`` counts messages
        evicted from the history before this reader got them, plus those left
        out to keep the newest ``limit``. Followers read at their own pace (at
        flush time), so reception pays nothing for them.
        """
        with self.lock:
            history = self.history
            first, end = history.first_seq, history.next_seq
            start = max(cursor, first)
            skipped = max(0, start - cursor)
            if limit is not None and end - start > limit:
                skipped += end - limit - start
                start = end - limit
            found = [history.get(seq) for seq in range(start, end)]
            return [m for m in found if m is not None], skipped, max(end, cursor)

    def has_unread(self) -> bool:
        """Whether ``recv()`` would return at once (an unread incoming message is kept)."""
        if self.unread.batch:
            return True
        with self.lock:
            return self.unread.has(self.history)

    @property
    def missed(self) -> int:
        """Messages evicted from the history before ``recv()`` read them."""
        return self.unread.missed

    @property
    def ended(self) -> bool:
        """Whether the connection ended for good (no reconnect follows)."""
        return self._ended

    def ended_cleanly(self) -> bool:
        """Whether the connection ended for good without an error."""
        return self._ended and not self.state["error"]

    def _end_exception(self) -> ConnectionClosed | ConnectionFailed:
        state = self.state
        if state["error"] and not self._opened_once:
            return ConnectionFailed(f"cannot connect to {self.url}: {state['error']}")
        closed = describe_close(state["close_code"], state["close_reason"])
        text = f"the connection to {self.url} is closed: {closed}"
        if state["error"]:
            text += f"; {state['error']}"
        return ConnectionClosed(text, state["close_code"], state["close_reason"])

    def _timeout_text(self, timeout: float | None) -> str:
        status = self.state["status"]
        error = f"; last error: {self.state['error']}" if self.state["error"] else ""
        return f"no message within {timeout} s (status: {status}{error})"

    def _wake_soon(self) -> None:
        """Wake the waiting readers once the I/O loop has handed over what it read (lock held).

        The receive loop handles every message of one read from the socket in a
        single step of its event loop; waking the readers after that step, not
        per message, lets them take the lot in one go instead of sleeping and
        waking (two thread switches) per message. Without a running loop (a
        derived source's feed, on the handlers' thread) they are woken at once.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._wake_readers()
            return
        self._wake_due = True
        loop.call_soon(self._wake_later)

    def _wake_later(self) -> None:
        with self.lock:
            self._wake_due = False
            self._wake_readers()

    def _wake_readers(self) -> None:
        if self._waiters:
            self._cond.notify_all()
        if self._async_waiters:
            for loop, fut in self._async_waiters:
                loop.call_soon_threadsafe(resolve, fut)
            self._async_waiters = []
