"""Publishing a stream to the front end: coalesced trait updates and frame batches.

Jupyter forwards at most about 1,000 IOPub messages a second and drops the
rest (docs/jupyter-internals.md#iopub-rate-limit), so a widget never sends a
message per frame. The stream marks the widget's :class:`FrontendSync` dirty; the
publisher thread (:mod:`.publisher`) calls :meth:`FrontendSync._publish_due`,
which sends at most ``max_fps`` flushes a second, each one comm message (two,
once a second).

Lock order: :attr:`FrontendSync.lock` (widget state, comm sends) before
``stream.lock``.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import anywidget

from ..message import Message
from ..transport import Transport
from .callbacks import shell
from .publisher import Throttle, get_publisher
from .rows import persisted_row, persisted_tail, wire_rows
from .view_requests import full_message, outgoing_from_view

if TYPE_CHECKING:
    from .stream import Stream

__all__ = ["COALESCED", "UPDATE_ONLY", "FrontendSync", "hook_cell_ends"]

# Traits that change with the stream: they reach the front end only through
# the publisher, never one comm message per change.
COALESCED = frozenset(
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
        "lost",
        "persisted",
        "latency",
    }
)
# Coalesced traits that change with every message: they reach the front end in
# ``update`` messages only (at most once a second while streaming), never inside
# every ``frames`` message, which would send them max_fps times a second.
UPDATE_ONLY = frozenset({"persisted"})
_LAST_VALUE_MAX_BYTES = 64 * 1024
_QUIET_SECONDS = 0.25  # a pause this long publishes the values that rode in frames only


class FrontendSync:
    """How one WebSocket widget's stream reaches the front ends: coalesced state, row batches.

    Owned by the widget, which hands it ipywidgets' ``send_state`` calls and
    the view's requests; registered with the publisher thread (held weakly).

    Args:
        widget: the WebSocket widget whose traits and comm this publishes.
        stream: the widget's stream.
        persist: incoming messages kept in the ``persisted`` trait. ``0``: no
            message data in the saved state: ``persisted`` stays empty and
            ``last_value`` stays in the kernel (never synced).
        persist_sent: whether ``persisted`` keeps outgoing messages too (a login
            message may carry a key): by default the last ``persist`` incoming ones.
    """

    def __init__(
        self, widget: anywidget.AnyWidget, stream: Stream, persist: int, persist_sent: bool = False
    ) -> None:
        self._widget = widget
        self._stream = stream
        self._persist = persist
        self._persist_sent = persist_sent
        # Traits set in the kernel but never synced, hence never saved.
        self._kernel_only = frozenset({"last_value"}) if persist == 0 else frozenset()
        self._transport: Transport  # these three are set by attach()
        self._connect: Callable[[], object]
        self._send_out: Callable[[Any], None]
        self.lock = threading.RLock()
        self._tls = threading.local()
        self._throttle = Throttle()
        # Something changed: called by the stream with every message, under its lock.
        self.mark_dirty = self._throttle.mark
        self._deferred: set[str] = set()  # changed by a refresh, not yet published
        self._unsynced: set[str] = set()  # published in frames messages only
        # Sent in update messages since the last cell ended: a message published
        # between cells has no running cell as parent, and nbclient saves only what
        # a cell's messages carry, so the end of the next cell sends them again
        # (docs/jupyter-internals.md#nbclient-stored-widget-state).
        self._since_cell: set[str] = set()
        self._applied_last: Message | None = None
        self._history_key: tuple[int, int] = (0, 0)  # (first, next) seq of the history
        self._persisted_key: tuple[int, int] = (0, 0)  # (first, last) seq of `persisted`
        self._last_update = 0.0
        # A view said hello: rows go out from then on. Before, no page shows them (a
        # view that appears later asks with hello and gets the history's tail), so a
        # socket nobody displays publishes its traits about once a second only.
        self._viewed = False
        self._observer_errors: set[tuple[str, type, str]] = set()
        _live.add(self)

    def __repr__(self) -> str:
        return repr(self._widget)

    def attach(
        self, transport: Transport, connect: Callable[[], object], send: Callable[[Any], None]
    ) -> None:
        """The widget's transport, and its ``connect()`` and ``send()`` for the views' requests."""
        self._transport, self._connect, self._send_out = transport, connect, send

    def start(self) -> None:
        """The widget is built: publish from now on (the publisher holds this weakly)."""
        if self._kernel_only:  # ipywidgets' full state (request_state, saving) leaves them out
            widget = self._widget
            widget.keys = [k for k in widget.keys if k not in self._kernel_only]
        get_publisher().add(self)

    def close(self) -> None:
        """The widget closes: publish no more."""
        get_publisher().remove(self)

    def answer(self, content: Any, buffers: Any) -> bool:
        """A custom message from a front end; False if it is nobody's here."""
        if not isinstance(content, dict):
            return False
        kind = content.get("type")
        if self._transport.handle(content, buffers) and kind != "hello":
            return True
        if kind == "hello":
            self._viewed = True
            self.send_tail()
        elif kind == "send":
            self._answer_send(content, buffers)
        elif kind == "get":
            self.send(*full_message(self._stream, content))
        elif kind == "connect":
            self._connect()
        elif kind == "close":
            self._transport.close(1000, "closed from the view", timeout=0)
        else:
            return False
        return True

    # -- ipywidgets' state sync --------------------------------------------------------

    def send_state(self, key: str | Iterable[str] | None = None) -> None:
        """ipywidgets' state sync, with stream traits left to the coalescing publisher."""
        if key is not None:
            keys = [key] if isinstance(key, str) else list(key)
            later = [k for k in keys if k in COALESCED]
            if later:
                if not getattr(self._tls, "flushing", False):
                    with self._stream.lock:
                        self._deferred.update(later)
                        self.mark_dirty()
                keys = [k for k in keys if k not in COALESCED]
                if not keys:
                    return
            self._since_cell.update(keys)
            key = keys
        anywidget.AnyWidget.send_state(self._widget, key)

    # -- traits from the stream -------------------------------------------------------

    def _values(self, persisted: bool = True) -> dict[str, Any]:
        """What the stream traits should hold now (call with stream.lock held).

        ``persisted=False`` leaves ``persisted`` as it is (see :meth:`_flush`).
        """
        stream = self._stream
        stats = stream.stats
        values = dict(stream.state)
        values.update(
            received=stats.received,
            sent=stats.sent,
            bytes_received=stats.bytes_received,
            bytes_sent=stats.bytes_sent,
            rate=round(stats.meter.rate(time.time()), 2),
            evicted=stream.history.evicted,
        )
        # websockets measures it with each keepalive ping (and ws.ping()); 0.0 before the first.
        opened = stream.handshake
        values["latency"] = (
            round(opened.latency, 6) if opened is not None and opened.latency else None
        )
        history = stream.history
        changed = self._history_key != (history.first_seq, history.next_seq)
        if persisted and self._persist > 0 and changed:
            self._history_key = (history.first_seq, history.next_seq)
            tail = persisted_tail(history, self._persist, self._persist_sent)
            key = (tail[0].seq, tail[-1].seq) if tail else (0, 0)
            if key != self._persisted_key:
                self._persisted_key = key
                # Messages for now; _apply_now makes rows of them outside the stream lock.
                values["persisted"] = tail
        last = stream.last_in
        if last is not None and last is not self._applied_last:
            self._applied_last = last
            values["last_value"] = (
                last.value()
                if last.size <= _LAST_VALUE_MAX_BYTES
                else f"<{last.size} bytes: too large for last_value; read ws.last>"
            )
        return values

    def _apply_now(self, persisted: bool = True) -> set[str]:
        """Set the stream traits; return the keys to publish (call with the lock held).

        Includes the keys a refresh on another thread changed but did not publish.
        """
        with self._stream.lock:
            values = self._values(persisted)
            deferred, self._deferred = self._deferred, set()
        if "persisted" in values:
            values["persisted"] = [persisted_row(m) for m in values["persisted"]]
        widget = self._widget
        changed = {k for k, v in values.items() if getattr(widget, k) != v}
        self._tls.flushing = True
        try:
            for name in changed:
                try:
                    widget.set_trait(name, values[name])
                except BaseException as exc:
                    self._observer_failed(name, exc)
        finally:
            self._tls.flushing = False
        return (changed | deferred) - self._kernel_only

    def _observer_failed(self, name: str, exc: BaseException) -> None:
        """A user's ``observe`` callback raised while the publisher set ``name``.

        The trait holds its new value (traitlets notifies after setting) and
        every other trait and row is still published. Counted in
        ``callback_errors``; the traceback is printed once per trait and error.
        """
        self._stream.count_callback_error()
        said = (name, type(exc), str(exc))
        if said in self._observer_errors:
            return
        self._observer_errors.add(said)
        print(
            f"[ipywebsockets] an observer of {type(self._widget).__name__}.{name} raised "
            f"{type(exc).__name__}: {exc}; the view goes on (counted in callback_errors):\n"
            + "".join(traceback.format_exception(exc)),
            file=sys.stderr,
        )

    def refresh(self) -> None:
        """Bring the traits up to date now, from any thread; the front end follows at max_fps.

        ``persisted`` (rows of the last messages, for the saved notebook) is left to
        the publisher, which rebuilds it about once a second and when the stream
        pauses: a ``recv()`` loop refreshes whenever it catches up, which at a high
        rate is hundreds of times a second.
        """
        with self.lock:
            keys = self._apply_now(persisted=False)
            if keys:
                with self._stream.lock:
                    self._deferred |= keys
                    self.mark_dirty()

    # -- publishing ------------------------------------------------------------------------

    def _publish_due(self, now: float) -> float | None:
        """Called by the publisher thread: flush when due; return when to ask again."""
        self._transport.tick(now)
        widget = self._widget
        since = now - self._throttle.last
        if not self._throttle.dirty:
            if self._unsynced:
                # The stream paused: give ipywidgets' own state (what nbclient and
                # other front ends save) the values that only rode in frames messages.
                if since < _QUIET_SECONDS:
                    return _QUIET_SECONDS - since
            elif since < 1.0:
                return None
            else:
                with self._stream.lock:  # the I/O thread writes the meter
                    streaming = self._stream.stats.meter.rate(time.time()) > 0 or widget.rate > 0
                if not streaming:
                    return None
        wait = self._throttle.wait(now, widget.max_fps)
        if wait > 0:
            return wait
        self._flush(now)
        return _QUIET_SECONDS if self._unsynced else (1.0 if widget.received else None)

    def _flush(self, now: float) -> None:
        """Publish what changed: one comm message, two at most once a second.

        New rows travel in a ``frames`` custom message that also carries the
        changed traits (the view applies them), so a stream costs one message
        per flush. Those values reach ipywidgets' own state (``update``
        messages, which nbclient saves) once a second while streaming, when
        the stream pauses, and at the end of every cell.
        """
        # rows_wanted() before stream.lock: it takes the browser link's lock.
        wanted = self._viewed and self._transport.rows_wanted()
        with self.lock:
            stream = self._stream
            with stream.lock:
                self._throttle.flushed(now)
                rows = list(stream.pending) if wanted else []
                omitted, stream.omitted = stream.omitted, 0
                stream.pending.clear()
            # `persisted` (rows of the last messages) travels only in update messages,
            # about once a second while streaming: it is not rebuilt for the flushes
            # between them (30 a second would mean 1,500 previews a second for 50 rows).
            update_due = now - self._last_update >= 1.0
            if not self._viewed:
                # No page shows this socket: ipywidgets' state at most once a second,
                # and when the stream pauses. `persisted` (rows for a view of the saved
                # notebook, which a socket never shown has not) only when it pauses
                # and at the end of each cell, not every second while it streams.
                keys = self._apply_now(persisted=False)
                if not update_due and not keys:  # a pause: `persisted` too
                    keys = self._apply_now(persisted=True)
                    update_due = True
                self._unsynced |= keys
                if update_due and self._unsynced:
                    self._send_update(set())
                return
            keys = self._apply_now(persisted=update_due or not rows)
            # Without rows to send (browser mode's owner shows its own), the changed
            # traits still ride in a small frames message: real updates stay ~1/s.
            if not rows and (wanted or not keys):
                if keys or self._unsynced:
                    self._send_update(keys)
                return
            state = {}
            if update_due:
                self._send_update(keys)
            else:
                state = {k: getattr(self._widget, k) for k in keys - UPDATE_ONLY}
                self._unsynced |= keys
            if not rows and not state:
                return
            self.send(
                {
                    "type": "frames",
                    "reset": False,
                    "frames": wire_rows(rows),
                    "omitted": omitted,
                    "state": state,
                }
            )

    def _send_update(self, keys: set[str]) -> None:
        """An ipywidgets ``update`` message with ``keys`` and everything not yet in one."""
        keys = keys | self._unsynced
        self._unsynced = set()
        self._last_update = time.monotonic()
        if keys:
            self._since_cell |= keys
            anywidget.AnyWidget.send_state(self._widget, sorted(keys))

    def sync_saved_state(self) -> None:
        """Bring ipywidgets' state up to date now (end of a cell): at most one message.

        It repeats what went out since the last cell ended, so that a notebook saved
        by nbclient holds it too (see ``_since_cell``).
        """
        with self.lock:
            since, self._since_cell = self._since_cell, set()
            keys = self._apply_now() | since
            if keys or self._unsynced:
                self._send_update(keys)
            self._since_cell = set()

    def send(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        """A custom message to the front ends (none while the widget has no comm)."""
        if self._widget.comm is not None:
            anywidget.AnyWidget.send(self._widget, content, buffers)

    def shown(self) -> None:
        """The widget was displayed: rows go out from now on, before its view says hello.

        The hello may wait for a blocking cell to end; the rows sent meanwhile are
        the page's (up to ``view_rows``), not only the history's tail.
        """
        self._viewed = True

    def send_tail(self) -> None:
        """A view appeared: send it the latest rows (it asks with ``hello``)."""
        with self.lock:
            if self._unsynced:  # kept back while no page showed them
                self._send_update(set())
            with self._stream.lock:
                rows, earlier = self._stream.take_tail(self._widget.view_rows)
            self.send(
                {
                    "type": "frames",
                    "reset": True,
                    "frames": wire_rows(rows),
                    "omitted": earlier,
                    "state": {},
                }
            )

    def _answer_send(self, content: dict[str, Any], buffers: Any) -> None:
        """A view's ``{"type": "send"}``: send it, and tell the view how it went."""
        error = None
        try:
            self._send_out(outgoing_from_view(content, buffers))
        except Exception as exc:  # every failure goes back to the view, as text
            error = str(exc)
        self.send({"type": "send_result", "id": content.get("id"), "error": error})


_live: weakref.WeakSet[FrontendSync] = weakref.WeakSet()
_hooked = False


def hook_cell_ends() -> None:
    """At the end of every cell, publish each widget's current state (for saved notebooks)."""
    global _hooked
    if _hooked:
        return
    ip = shell()
    if ip is not None and hasattr(ip, "events"):
        # post_run_cell, not post_execute: the comm package triggers post_execute around
        # every comm message it handles (browser mode's batches, 30 a second), and
        # each would send every widget's whole state (about 10 kB with `persisted`).
        ip.events.register("post_run_cell", _sync_all)
        _hooked = True


def _sync_all(*_result: object) -> None:
    for sync in list(_live):
        if sync._widget.comm is not None:
            sync.sync_saved_state()
