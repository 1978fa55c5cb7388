"""The WebSocket widget: one live connection bound to traitlets, history, callbacks and views."""

from __future__ import annotations

import asyncio
import json
import pathlib
import ssl as ssl_module
import threading
import time
import warnings
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any

import anywidget
import traitlets
from websockets.asyncio.client import ClientConnection

from ._dispatch import Dispatcher, Handler, current_parent, shell
from ._publish import get_publisher
from .client import Backoff, Connection, describe_close, redact_url
from .exceptions import ConnectionClosed, ConnectionFailed, IPyWebSocketsWarning
from .history import History, Stats
from .message import Message, encode_outgoing, preview

__all__ = ["WebSocket"]

_STATIC = pathlib.Path(__file__).parent / "static"

# Traits that change with the stream: they reach the front end only through
# the coalescing publisher, never one comm message per change.
_COALESCED = frozenset(
    {
        "status",
        "error",
        "received",
        "sent",
        "bytes_received",
        "bytes_sent",
        "rate",
        "close_code",
        "close_reason",
        "subprotocol",
        "reconnects",
        "last_value",
        "evicted",
        "callback_errors",
    }
)
_LAST_VALUE_MAX_BYTES = 64 * 1024
_QUIET_SECONDS = 0.25


def _load_esm() -> str | pathlib.Path:
    path = _STATIC / "widget.js"
    if path.exists():
        return path
    # A source checkout without a JS build: say so in the view instead of failing to import.
    return (
        "export default { render({ el }) { el.textContent = "
        '"ipywebsockets: the front end is not built; run `make` or `pip install .` '
        '(needs node and npm)"; } };'
    )


class WebSocket(anywidget.AnyWidget):  # type: ignore[misc]
    """A WebSocket connection whose messages flow into traitlets, callbacks and live views.

    ``WebSocket(url)`` connects at once from the kernel, on a background I/O
    thread, so messages keep arriving while a cell blocks. Display it to see
    the live view; read ``received``, ``status``, ``last_value`` or observe
    them like any ipywidgets trait (they update at most ``max_fps`` times a
    second); ``recv()``, ``await arecv()``, ``async for``, ``wait_for()`` and
    ``on_message`` deliver the messages themselves, and ``send()`` answers.

    Args:
        url: ``ws://`` or ``wss://`` URL. Passwords and token-like query values
            are redacted in the ``url`` trait (what the notebook saves).
        protocols: subprotocols to offer; the server must accept one.
        headers: extra handshake headers, e.g. ``{"Authorization": ...}``. Kept in
            the kernel only: never synced, never saved in the notebook.
        history: how many messages (both directions) ``messages`` keeps.
        mode: ``"kernel"``: the kernel opens the connection.
        reconnect: ``True`` (default backoff: first retry after about 0.5 s,
            doubling, at most 30 s apart), ``False``, or a :class:`Backoff`.
        max_fps: most front-end updates per second (and trait updates).
        view_rows: messages the live view shows.
        send_queue: messages that may wait while the connection is not open.
        callback_queue: messages that may wait for slow ``on_message``
            handlers before reception pauses (nothing is dropped).
        max_size: largest incoming message in bytes; a larger one closes
            the connection with 1009. ``None``: no limit.
        ping_interval, ping_timeout, open_timeout, close_timeout: seconds.
        ssl: an :class:`ssl.SSLContext` for ``wss://`` servers with private CAs.
        connect: open at once (default) or wait for :meth:`connect`.
    """

    _esm = _load_esm()
    _css = _STATIC / "widget.css" if (_STATIC / "widget.css").exists() else ""

    url = traitlets.Unicode(read_only=True).tag(sync=True)
    mode = traitlets.Unicode("kernel", read_only=True).tag(sync=True)
    status = traitlets.Unicode("closed", read_only=True).tag(sync=True)
    error = traitlets.Unicode("", read_only=True).tag(sync=True)
    received = traitlets.Int(0, read_only=True).tag(sync=True)
    sent = traitlets.Int(0, read_only=True).tag(sync=True)
    bytes_received = traitlets.Int(0, read_only=True).tag(sync=True)
    bytes_sent = traitlets.Int(0, read_only=True).tag(sync=True)
    rate = traitlets.Float(0.0, read_only=True).tag(sync=True)
    close_code = traitlets.Int(None, allow_none=True, read_only=True).tag(sync=True)
    close_reason = traitlets.Unicode("", read_only=True).tag(sync=True)
    subprotocol = traitlets.Unicode("", read_only=True).tag(sync=True)
    reconnects = traitlets.Int(0, read_only=True).tag(sync=True)
    last_value = traitlets.Any(None, read_only=True).tag(sync=True)
    evicted = traitlets.Int(0, read_only=True).tag(sync=True)
    callback_errors = traitlets.Int(0, read_only=True).tag(sync=True)
    max_fps = traitlets.Int(30).tag(sync=True)
    view_rows = traitlets.Int(50).tag(sync=True)

    def __init__(
        self,
        url: str,
        *,
        protocols: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        history: int = 1000,
        mode: str = "kernel",
        reconnect: bool | Backoff = True,
        max_fps: int = 30,
        view_rows: int = 50,
        send_queue: int = 1000,
        callback_queue: int = 10_000,
        max_size: int | None = 2**20,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        open_timeout: float | None = 10.0,
        close_timeout: float | None = 5.0,
        ssl: ssl_module.SSLContext | None = None,
        connect: bool = True,
        **kwargs: Any,
    ) -> None:
        if mode != "kernel":
            raise ValueError(f"mode={mode!r} is not supported; use mode='kernel'")
        if isinstance(protocols, str):
            raise TypeError(f"protocols must be a list of str, not a str: use [{protocols!r}]")
        if headers is not None and not isinstance(headers, Mapping):
            raise TypeError(
                f"headers must be a mapping of str to str, not {type(headers).__name__}"
            )
        backoff = Backoff() if reconnect is True else (reconnect or None)
        if backoff is not None and not isinstance(backoff, Backoff):
            raise TypeError(f"reconnect must be True, False or a Backoff, not {reconnect!r}")
        # Plain attributes, not traits: only the kernel knows them (headers hold secrets).
        self._lock = threading.Lock()  # stream data: history, stats, pending rows
        self._sync_lock = threading.RLock()  # widget state and comm sends (taken first)
        self._cond = threading.Condition(self._lock)
        self._tls = threading.local()
        self._history = History(history)
        self._stats = Stats()
        self._next_seq = 1
        self._cursor = 1  # seq of the next message recv() looks at
        self.missed = 0  # incoming messages evicted from history before recv() read them
        self._last_in: Message | None = None
        self._pending: deque[Message] = deque(maxlen=max(1, view_rows))
        self._omitted = 0
        self._dirty = False
        self._deferred: set[str] = set()  # changed by a refresh, not yet published
        self._unsynced: set[str] = set()  # published in frames messages only
        self._last_flush = 0.0
        self._last_update = 0.0
        self._waiters = 0
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._ended = False
        self._state: dict[str, Any] = {
            "status": "connecting" if connect else "closed",
            "error": "",
            "close_code": None,
            "close_reason": "",
            "subprotocol": "",
            "reconnects": 0,
            "callback_errors": 0,
        }
        self._opened_once = False
        self._handlers: tuple[Handler, ...] = ()
        self._dispatcher: Dispatcher | None = None
        self._callback_queue = callback_queue
        self._handshake: ClientConnection | None = None
        self._conn = Connection(
            url,
            self,
            protocols=list(protocols),
            headers=headers,
            reconnect=backoff,
            send_queue=send_queue,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            open_timeout=open_timeout,
            close_timeout=close_timeout,
            max_size=max_size,
            ssl=ssl,
        )
        super().__init__(max_fps=max_fps, view_rows=view_rows, **kwargs)
        self.set_trait("url", redact_url(url))
        self.set_trait("status", self._state["status"])
        get_publisher().add(self)
        _live.add(self)
        _hook_cell_ends()
        if connect:
            self._conn.start()

    # -- user API ------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"<WebSocket {self.url} {self._conn.status}, {self._stats.received} received, "
            f"{self._stats.sent} sent>"
        )

    @traitlets.validate("max_fps")
    def _check_max_fps(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if not 1 <= value <= 120:
            raise traitlets.TraitError(f"max_fps must be between 1 and 120, got {value}")
        return value

    @traitlets.validate("view_rows")
    def _check_view_rows(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if not 1 <= value <= 10_000:
            raise traitlets.TraitError(f"view_rows must be between 1 and 10000, got {value}")
        return value

    def connect(self) -> WebSocket:
        """Open the connection again after :meth:`close` (no-op while open or connecting)."""
        with self._lock:
            self._ended = False
            self._state.update(status="connecting", error="", close_code=None, close_reason="")
            self._mark_dirty()
        self._conn.start()
        return self

    def close(  # type: ignore[override]
        self, code: int = 1000, reason: str = "", *, timeout: float = 5.0, widget: bool = False
    ) -> None:
        """Close the connection with ``code`` and ``reason``, waiting up to ``timeout`` s.

        The widget stays usable (``connect()`` opens again) unless ``widget=True``,
        which also closes the widget's comm and removes its views.
        """
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close(code, reason, timeout)
            self._refresh()
        if widget:
            if self._dispatcher is not None:
                self._dispatcher.stop(wait=timeout)
            get_publisher().remove(self)
            super().close()

    def __del__(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None and conn.running:
            conn.close(1001, "widget deleted", timeout=1.0)

    def send(self, data: Any) -> None:  # type: ignore[override]
        """Send ``data``: str as text, bytes as binary, dict/list as JSON text.

        While (re)connecting, the message waits in a bounded queue and goes out
        on open.

        Raises:
            TypeError: ``data`` cannot be sent (checked before anything is sent).
            ConnectionClosed: the connection is closed; call ``connect()``.
            SendQueueFull: too many messages wait for the connection.
        """
        self._conn.send(encode_outgoing(data))

    def recv(self, timeout: float | None = None) -> Message:
        """The next unread incoming message, waiting up to ``timeout`` seconds.

        Raises:
            TimeoutError: nothing arrived in time.
            ConnectionFailed, ConnectionClosed: the connection ended for good and
                every message received before has been read.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        msg: Message | None = None
        failure: Exception | None = None
        with self._cond:
            while msg is None and failure is None:
                msg = self._take_unread()
                if msg is not None:
                    break
                if self._ended:
                    failure = self._end_exception()
                    break
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    failure = TimeoutError(self._timeout_text(timeout))
                    break
                self._waiters += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiters -= 1
        self._refresh()  # the traits tell the same story as what recv() returns or raises
        if failure is not None:
            raise failure
        assert msg is not None
        return msg

    async def arecv(self, timeout: float | None = None) -> Message:
        """Like :meth:`recv`, awaitable: the cell's event loop keeps running meanwhile."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            failure = None
            with self._lock:
                msg = self._take_unread()
                if msg is None:
                    if self._ended:
                        failure = self._end_exception()
                    else:
                        fut: asyncio.Future[None] = loop.create_future()
                        self._async_waiters.append((loop, fut))
            if msg is not None or failure is not None:
                self._refresh()
                if failure is not None:
                    raise failure
                assert msg is not None
                return msg
            remaining = None if deadline is None else deadline - loop.time()
            try:
                if remaining is not None and remaining <= 0:
                    raise TimeoutError
                await asyncio.wait_for(fut, remaining)
            except TimeoutError:
                raise TimeoutError(self._timeout_text(timeout)) from None
            finally:
                with self._lock:
                    if (loop, fut) in self._async_waiters:
                        self._async_waiters.remove((loop, fut))

    def wait_for(
        self, predicate: Callable[[Message], object], timeout: float | None = None
    ) -> Message:
        """Read messages (as :meth:`recv` does) until one satisfies ``predicate``; return it.

        The messages before it are consumed. Raises as :meth:`recv`.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                msg = self.recv(remaining)
            except TimeoutError:
                raise TimeoutError(
                    f"no message matching the predicate within {timeout} s "
                    f"(status: {self._conn.status}, {self._stats.received} received so far)"
                ) from None
            if predicate(msg):
                return msg

    async def wait_for_async(
        self, predicate: Callable[[Message], object], timeout: float | None = None
    ) -> Message:
        """Awaitable :meth:`wait_for`."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            msg = await self.arecv(remaining)
            if predicate(msg):
                return msg

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        while True:
            try:
                yield await self.arecv()
            except ConnectionClosed as exc:
                if exc.code in (1000, 1001, None) and not self._state["error"]:
                    return
                raise

    def on_message(
        self, callback: Callable[[Message], object], remove: bool = False
    ) -> Callable[[Message], object]:
        """Call ``callback(msg)`` for every incoming message, in order, off the I/O thread.

        Usable as a decorator. What the callback prints, and the traceback of
        any exception it raises, appear under the cell that registered it; an
        exception does not stop the stream. ``remove=True`` unregisters it.
        """
        with self._lock:
            if remove:
                self._handlers = tuple(h for h in self._handlers if h.fn != callback)
            else:
                self._handlers = (*self._handlers, Handler(callback, current_parent()))
        return callback

    @property
    def last(self) -> Message | None:
        """The last message received (None before the first)."""
        return self._last_in

    @property
    def messages(self) -> list[Message]:
        """A snapshot of the history: the last ``history`` messages, both directions."""
        with self._lock:
            snapshot = self._history.snapshot()
        self._refresh()
        return snapshot

    @property
    def handshake(self) -> ClientConnection | None:
        """The open websockets connection (``.request``, ``.response``, ``.subprotocol``)."""
        return self._handshake

    # -- reading helpers (hold self._lock) -------------------------------------

    def _take_unread(self) -> Message | None:
        history = self._history
        first = history.first_seq
        if self._cursor < first:
            lost = first - self._cursor
            self.missed += lost
            self._cursor = first
            warnings.warn(
                f"{lost} messages were evicted from the history (history={history.maxlen}) "
                "before recv() read them; read faster or pass a larger history=",
                IPyWebSocketsWarning,
                stacklevel=4,
            )
        end = history.next_seq
        while self._cursor < end:
            msg = history.get(self._cursor)
            self._cursor += 1
            if msg is not None and msg.direction == "in":
                return msg
        return None

    def _end_exception(self) -> ConnectionClosed | ConnectionFailed:
        state = self._state
        if state["error"] and not self._opened_once:
            return ConnectionFailed(f"cannot connect to {self.url}: {state['error']}")
        closed = describe_close(state["close_code"], state["close_reason"])
        text = f"the connection to {self.url} is closed: {closed}"
        if state["error"]:
            text += f"; {state['error']}"
        return ConnectionClosed(text, state["close_code"], state["close_reason"])

    def _timeout_text(self, timeout: float | None) -> str:
        status = self._state["status"]
        error = f"; last error: {self._state['error']}" if self._state["error"] else ""
        return f"no message within {timeout} s (status: {status}{error})"

    def _wake_readers(self) -> None:
        if self._waiters:
            self._cond.notify_all()
        if self._async_waiters:
            for loop, fut in self._async_waiters:
                loop.call_soon_threadsafe(_resolve, fut)
            self._async_waiters = []

    def _mark_dirty(self) -> None:
        if not self._dirty:
            self._dirty = True
            get_publisher().wake()

    # -- Listener: called by the Connection on the I/O loop ------------------------

    def _ws_status(self, status: str, error: str) -> None:
        with self._lock:
            if status == "reconnecting" and self._state["status"] == "open":
                self._state["reconnects"] += 1
            self._state["status"] = status
            self._state["error"] = error
            self._mark_dirty()

    def _ws_open(self, ws: ClientConnection) -> None:
        with self._lock:
            self._opened_once = True
            self._handshake = ws
            self._state.update(subprotocol=ws.subprotocol or "", close_code=None, close_reason="")
            self._mark_dirty()

    def _ws_message(self, data: str | bytes) -> asyncio.Future[None] | None:
        now = time.time()
        with self._lock:
            msg = Message.make(self._next_seq, now, "in", data)
            self._next_seq += 1
            self._history.append(msg)
            self._stats.count(msg)
            self._last_in = msg
            if len(self._pending) == self._pending.maxlen:
                self._omitted += 1
            self._pending.append(msg)
            if self._waiters or self._async_waiters:
                self._wake_readers()
            if not self._dirty:
                self._mark_dirty()
            if not self._handlers:
                return None
        return self._dispatch(msg)

    def _dispatch(self, msg: Message) -> asyncio.Future[None] | None:
        dispatcher = self._dispatcher
        if dispatcher is None or not dispatcher.alive:
            dispatcher = self._dispatcher = Dispatcher(
                f"ipywebsockets-callbacks-{id(self):x}",
                lambda: self._handlers,
                self._count_callback_error,
                self._callback_queue,
            )
        return dispatcher.put(msg)

    def _count_callback_error(self) -> None:
        with self._lock:
            self._state["callback_errors"] += 1
            self._mark_dirty()

    def _ws_sent(self, data: str | bytes) -> None:
        with self._lock:
            msg = Message.make(self._next_seq, time.time(), "out", data)
            self._next_seq += 1
            self._history.append(msg)
            self._stats.count(msg)
            if len(self._pending) == self._pending.maxlen:
                self._omitted += 1
            self._pending.append(msg)
            self._mark_dirty()

    def _ws_closed(self, code: int | None, reason: str, error: str) -> None:
        with self._lock:
            self._ended = True
            self._state.update(status="closed", close_code=code, close_reason=reason, error=error)
            self._wake_readers()
            self._mark_dirty()
            dispatcher = self._dispatcher
        if dispatcher is not None:
            dispatcher.stop()

    # -- front end -------------------------------------------------------------------

    def send_state(self, key: str | Iterable[str] | None = None) -> None:
        """ipywidgets' state sync, with stream traits left to the coalescing publisher."""
        if key is not None:
            keys = [key] if isinstance(key, str) else list(key)
            later = [k for k in keys if k in _COALESCED]
            if later:
                if not getattr(self._tls, "flushing", False):
                    with self._lock:
                        self._deferred.update(later)
                        self._mark_dirty()
                keys = [k for k in keys if k not in _COALESCED]
                if not keys:
                    return
            key = keys
        super().send_state(key)

    def _values(self) -> dict[str, Any]:
        """What the stream traits should hold now (call with self._lock held)."""
        stats = self._stats
        values = dict(self._state)
        values.update(
            received=stats.received,
            sent=stats.sent,
            bytes_received=stats.bytes_received,
            bytes_sent=stats.bytes_sent,
            rate=round(stats.meter.rate(time.time()), 2),
            evicted=self._history.evicted,
        )
        return values

    def _apply(self, values: dict[str, Any], last: Message | None) -> set[str]:
        """Set the stream traits; return the names that changed (call with _sync_lock held)."""
        if last is not None and last is not getattr(self, "_applied_last", None):
            self._applied_last = last
            values["last_value"] = (
                last.value()
                if last.size <= _LAST_VALUE_MAX_BYTES
                else f"<{last.size} bytes: too large for last_value; read ws.last>"
            )
        changed = {k for k, v in values.items() if getattr(self, k) != v}
        for name in changed:
            self.set_trait(name, values[name])
        return changed

    def _refresh(self) -> None:
        """Bring the traits up to date now, from any thread; the front end follows at max_fps."""
        with self._sync_lock:
            with self._lock:
                values, last = self._values(), self._last_in
            self._apply(values, last)

    def _publish_due(self, now: float) -> float | None:
        """Called by the publisher thread: flush when due; return when to ask again."""
        interval = 1.0 / self.max_fps
        since = now - self._last_flush
        if not self._dirty:
            if self._unsynced:
                # The stream paused: give ipywidgets' own state (what nbclient and
                # other front ends save) the values that only rode in frames messages.
                if since < _QUIET_SECONDS:
                    return _QUIET_SECONDS - since
            elif since < 1.0:
                return None
            else:
                with self._lock:  # the I/O thread writes the meter
                    streaming = self._stats.meter.rate(time.time()) > 0 or self.rate > 0
                if not streaming:
                    return None
        if since < interval:
            return interval - since
        self._flush(now)
        return _QUIET_SECONDS if self._unsynced else (1.0 if self._stats.received else None)

    def _flush(self, now: float) -> None:
        """Publish what changed: one comm message, two at most once a second.

        New rows travel in a ``frames`` custom message that also carries the
        changed traits (the view applies them), so a stream costs one message
        per flush. Those values reach ipywidgets' own state (``update``
        messages, which nbclient saves) once a second while streaming, when
        the stream pauses, and at the end of every cell.
        """
        with self._sync_lock:
            with self._lock:
                self._dirty = False
                self._last_flush = now
                rows = list(self._pending)
                omitted, self._omitted = self._omitted, 0
                self._pending.clear()
            keys = self._apply_now()
            if not rows:
                if keys or self._unsynced:
                    self._send_update(keys)
                return
            state = {}
            if now - self._last_update >= 1.0:
                self._send_update(keys)
            else:
                state = {k: getattr(self, k) for k in keys}
                self._unsynced |= keys
            self._send_custom(
                {
                    "type": "frames",
                    "reset": False,
                    "frames": [_row(m) for m in rows],
                    "omitted": omitted,
                    "state": state,
                }
            )

    def _apply_now(self) -> set[str]:
        """Set the stream traits from the stream's truth; return the keys to publish.

        Call with _sync_lock held. Includes keys changed earlier by a refresh
        on another thread (deferred), since those were not sent yet.
        """
        with self._lock:
            values, last = self._values(), self._last_in
            deferred, self._deferred = self._deferred, set()
        self._tls.flushing = True
        try:
            return self._apply(values, last) | deferred
        finally:
            self._tls.flushing = False

    def _send_update(self, keys: set[str]) -> None:
        """An ipywidgets ``update`` message with ``keys`` and everything not yet in one."""
        keys = keys | self._unsynced
        self._unsynced = set()
        self._last_update = time.monotonic()
        if keys:
            super().send_state(sorted(keys))

    def _sync_saved_state(self) -> None:
        """Bring ipywidgets' state up to date now (end of a cell): at most one message."""
        with self._sync_lock:
            keys = self._apply_now()
            if keys or self._unsynced:
                self._send_update(keys)

    def _send_custom(self, content: dict[str, Any]) -> None:
        anywidget.AnyWidget.send(self, content)

    def _handle_custom_msg(self, content: Any, buffers: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "hello":
            with self._sync_lock:
                with self._lock:
                    rows = self._history.tail(self.view_rows)
                self._send_custom(
                    {
                        "type": "frames",
                        "reset": True,
                        "frames": [_row(m) for m in rows],
                        "omitted": max(0, self._next_seq - 1 - len(rows)),
                        "state": {},
                    }
                )
        elif kind == "send":
            self._send_from_view(content)
        elif kind == "connect":
            self.connect()
        elif kind == "close":
            self._conn.close(1000, "closed from the view", timeout=0)
        else:
            super()._handle_custom_msg(content, buffers)

    def _send_from_view(self, content: dict[str, Any]) -> None:
        error = None
        data = content.get("data", "")
        try:
            if content.get("format") == "json":
                try:
                    value = json.loads(data)
                except ValueError as exc:
                    raise ValueError(f"not valid JSON: {exc}") from None
                self.send(value)
            else:
                self.send(str(data))
        except Exception as exc:  # every failure goes back to the view, as text
            error = str(exc)
        self._send_custom({"type": "send_result", "id": content.get("id"), "error": error})


_live: weakref.WeakSet[WebSocket] = weakref.WeakSet()
_hooked = False


def _hook_cell_ends() -> None:
    """At the end of every cell, publish each widget's current state (for saved notebooks)."""
    global _hooked
    if _hooked:
        return
    ip = shell()
    if ip is not None and hasattr(ip, "events"):
        ip.events.register("post_execute", _sync_all)
        _hooked = True


def _sync_all() -> None:
    for widget in list(_live):
        if widget.comm is not None:
            widget._sync_saved_state()


def _row(msg: Message) -> dict[str, Any]:
    text, is_json = preview(msg)
    return {
        "seq": msg.seq,
        "time": msg.time * 1000.0,
        "dir": msg.direction,
        "kind": msg.kind,
        "size": msg.size,
        "text": text,
        "json": is_json,
    }


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
