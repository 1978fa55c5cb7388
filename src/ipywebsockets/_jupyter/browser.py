"""Browser mode, kernel half: the socket lives in the widget's JavaScript.

A :class:`BrowserLink` is the :class:`~..transport.Transport` of browser mode:
the widget calls ``start``/``send``/``close`` on it and it reports to the
same :class:`~.stream.Stream` as the kernel's connection, so history,
counters, callbacks and ``recv`` behave the same. The socket itself is opened by one front end (the
*owner*: several browser tabs may show one widget, only one connects).

The messages it exchanges with the front ends are described in
``docs/browser-mode.md``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .._reasons import check_url
from ..client import Backoff
from ..exceptions import ConnectionClosed, FrontendUnavailable, SendQueueFull
from ..redact import redact_url
from ..transport import BaseTransport, OpenHooks
from .opening import HookRelay
from .outbox import Outbox
from .peers import PROBE_SECONDS, Peers, check_carried, owner_message
from .reports import Reports
from .routing import (
    cannot_wait_text,
    cell_running,
    incoming_subshell,
    on_busy_main_shell,
    refuse_between_cells,
)
from .stream import Stream

__all__ = ["BrowserLink"]


_SEND_WAIT_SECONDS = 5.0
_SUBSHELL_GRACE_SECONDS = 1.0  # for a probe's answer over a subshell, before saying none came
_CLIENT_MESSAGES = frozenset({"hello", "beat", "batch", "bye"})

Post = Callable[[dict[str, Any], "list[bytes] | None"], None]


class BrowserLink(BaseTransport):
    """The kernel's side of a connection opened by the browser.

    Args:
        url: the full URL (sent to the owning front end only, never synced).
        stream: where messages and status changes go.
        post: sends a custom message (and binary buffers) to the front ends.
        protocols: subprotocols the browser offers.
        reconnect: backoff for the browser's reconnects, or None.
        send_queue: kernel sends that may wait for the browser to deliver them.
        browser_timeout: seconds to wait for a front end before saying there is none.
        max_size: largest incoming message in bytes, at most 8 MiB; the page closes the
            connection on a larger one (reported as 1009, as in kernel mode).
        open_timeout: seconds the ``on_open`` hooks may hold the page's queued sends.

    Raises:
        ValueError: a URL or ``max_size`` browser mode cannot carry.
    """

    # ping() and inspect() (BaseTransport) say "...needs mode='kernel': " and this.
    no_wire = (
        "browsers answer pings themselves but give pages no way to send one, nor to see "
        "the bytes of their frames (use the browser's DevTools, Network tab)"
    )

    def __init__(
        self,
        url: str,
        stream: Stream,
        post: Post,
        *,
        protocols: Sequence[str] = (),
        reconnect: Backoff | None = None,
        send_queue: int = 1000,
        browser_timeout: float = 2.0,
        max_size: int | None = 2**20,
        open_timeout: float | None = 10.0,
    ) -> None:
        self.url = check_url(url)
        self._shown_url = redact_url(url)
        self._max_size = check_carried(url, max_size)
        self._stream = stream
        self._post = post
        self._protocols = list(protocols)
        self._reconnect = reconnect
        self._send_queue = send_queue
        self._browser_timeout = browser_timeout
        self._cond = threading.Condition()
        self._peers = Peers()
        self._owner: str | None = None
        self._probed = 0.0  # when the silent owner was last asked to answer
        self._gen = 0  # bumped by each connect; events of older sockets change no status
        self._active = False  # from start() until closed for good
        self._closed_gen = -1  # the gen whose socket reported its end
        self._started = 0.0
        self._audible_since = time.monotonic()  # front ends could reach us since then
        self._outbox = Outbox(send_queue)  # kernel sends the page has not reported yet
        self._reports = Reports(stream, self._outbox)  # what the owner's batches say
        self._relay = HookRelay(post, open_timeout, self._tell_hooks)  # ws.on_open's (opening.py)
        self.batches = 0  # batch messages taken from the owner (their rate is bounded by max_fps)
        # None until a front end spoke; then whether it talks over a subshell,
        # which is served while a cell runs.
        self.concurrent: bool | None = None

    # -- the Connection surface (any thread) -----------------------------------------

    @property  # type: ignore[override]
    def hooks(self) -> OpenHooks | None:
        return self._relay.hooks

    @hooks.setter
    def hooks(self, hooks: OpenHooks | None) -> None:
        self._relay.hooks = hooks

    @property
    def unsent(self) -> int:
        """Kernel sends that did not go out."""
        return self._outbox.unsent

    @property
    def running(self) -> bool:
        """Whether the connection is open or wanted open."""
        return self._active

    @property
    def has_owner(self) -> bool:
        """Whether a front end holds the socket (or did, until it went silent)."""
        return self._owner is not None

    def has_other_front_ends(self) -> bool:
        """Whether a live front end other than the owner shows this widget."""
        now = time.monotonic()
        with self._cond:
            return self._peers.others(self._owner, now)

    @property
    def status(self) -> str:
        with self._stream.lock:
            return str(self._stream.state["status"])

    def start(self) -> None:
        """Ask a front end to open the socket (no-op when already running)."""
        with self._cond:
            if self._active:
                return
            self._active = True
            self._gen += 1
            self._started = time.monotonic()
            self._owner = None
            self._assign(self._started)

    def send(self, payload: str | bytes, first: bool = False) -> None:
        """Hand ``payload`` to the owning front end, which sends it or queues it.

        Raises:
            ConnectionClosed: the connection is closed; call ``connect()``.
            FrontendUnavailable: no front end took the connection in ``browser_timeout``.
            SendQueueFull: ``send_queue`` sends wait for the browser already.
        """
        deadline = time.monotonic() + self._browser_timeout
        with self._cond:
            while self._owner is None:
                if not self._active:
                    raise self._closed_error()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise FrontendUnavailable(f"cannot send: {self._no_browser_text()}")
                self._cond.wait(remaining)
            if not self._active:
                raise self._closed_error()
            if len(self._outbox) >= self._send_queue and self._can_wait():
                # A burst: the browser reports what it sent at max_fps; wait for room.
                self._cond.wait_for(
                    lambda: len(self._outbox) < self._send_queue or not self._active,
                    _SEND_WAIT_SECONDS,
                )
            if len(self._outbox) >= self._send_queue:
                raise SendQueueFull(
                    f"cannot send: {len(self._outbox)} messages already wait for the "
                    f"browser to send them (status {self.status}); wait, or raise send_queue= "
                    f"(now {self._send_queue})"
                )
            ident = self._outbox.add(payload)
            content: dict[str, Any] = {"type": "ws_send", "client": self._owner, "id": ident}
            if first and (n := self._relay.open_number()) is not None:
                content["first"] = n  # an on_open hook's: ahead of the page's held queue
            if isinstance(payload, str):
                content["text"] = payload
                self._post(content, None)
            else:
                self._post(content, [payload])

    def close(self, code: int = 1000, reason: str = "", timeout: float | None = None) -> None:
        """Ask the owner to close; wait (at most ``timeout`` s) for it to confirm, if it can."""
        with self._cond:
            if not self._active:
                return
            self._active = False
            owner, gen = self._owner, self._gen
            if owner is None:
                self._end_here(None, "", "")
                return
            self._stream.on_status("closing", "")
            self._post({"type": "ws_close", "client": owner, "code": code, "reason": reason}, None)
            if timeout and self._can_wait():
                self._cond.wait_for(lambda: self._closed_gen >= gen, timeout)

    def check_close(self, code: int, reason: str) -> None:
        """Browsers close only with 1000 or 3000-4999 (and the protocol's rules hold)."""
        super().check_close(code, reason)  # types, reserved codes, 123 bytes of UTF-8
        if code != 1000 and not 3000 <= code <= 4999:
            raise ValueError(
                f"close code {code} cannot be sent by a browser (mode='browser'): browsers "
                "close with 1000 or an application code from 3000 to 4999"
            )

    def rows_wanted(self) -> bool:
        # The front end holding the socket shows its rows itself; only other front
        # ends (another tab) need them from the kernel.
        return self.has_other_front_ends()

    # -- waiting in cells ------------------------------------------------------------------

    def prepare_wait(self, has_unread: Callable[[], bool]) -> None:
        """Before a blocking read: wait for a front end, and raise if none can serve it."""
        if self._active and not has_unread():
            refuse_between_cells(self._shown_url)
            self.wait_contact()
            self.check_blocking()

    async def aprepare_wait(self, has_unread: Callable[[], bool]) -> None:
        """Before an awaited read: wait (in a thread) for a front end to take the socket."""
        if self._active and not has_unread():
            refuse_between_cells(self._shown_url)
            if not self.has_owner:
                await asyncio.to_thread(self.wait_contact)

    def check_blocking(self) -> None:
        """Before a blocking wait for messages: raise if it could never be served.

        A new widget's first messages can come over the main shell even where the front
        end uses subshells: the owner is probed, and its answer over a subshell will do.
        """
        with self._cond:
            if self._can_wait():
                return
            if self._owner is not None:
                self._post({"type": "probe", "client": self._owner}, None)
                if self._cond.wait_for(self._can_wait, _SUBSHELL_GRACE_SECONDS):
                    return
        raise FrontendUnavailable(cannot_wait_text(self._shown_url))

    def wait_contact(self) -> None:
        """Wait (at most ``browser_timeout``) for a front end; raise if none came."""
        with self._cond:
            if self._cond.wait_for(
                lambda: self._owner is not None or not self._active, self._browser_timeout
            ):
                return
            raise FrontendUnavailable(self._no_browser_text())

    def _can_wait(self) -> bool:
        """Whether front-end messages can arrive while the caller blocks."""
        return bool(self.concurrent) or not on_busy_main_shell()

    # -- messages from front ends (comm handler threads) ---------------------------------------

    def handle(self, content: dict[str, Any], buffers: Sequence[Any]) -> bool:
        """Take a front-end message; False if it is not one of browser mode's."""
        kind = content.get("type")
        if kind not in _CLIENT_MESSAGES:
            return False
        client = content.get("client")
        if not isinstance(client, str):
            return True
        known, subshell = incoming_subshell()
        now = time.monotonic()
        with self._cond:
            if known:
                self.concurrent = subshell is not None
            if kind == "bye":
                self._peers.forget(client)
                if client == self._owner:
                    self._lose_owner()
                self._assign(now)
            else:
                self._peers.hear(client, now, content, buffers)
                if kind == "batch":
                    self._take_batch(client, content, buffers, now)
                else:
                    self._assign(now)
            self._cond.notify_all()
        return True

    def _take_batch(
        self, client: str, content: dict[str, Any], buffers: Sequence[Any], now: float
    ) -> None:
        running = content.get("running") is True
        if self._owner is None and self._active and running and content.get("gen") == self._gen:
            self._owner = client  # the owner came back (e.g. after a long cell)
        if client != self._owner:
            if running:  # a socket nobody asked for: say again who owns it
                self._post_owner()
            return
        self.batches += 1
        current = content.get("gen") == self._gen
        starts: list[Callable[[], None]] = []  # on_open hooks, once the batch is applied

        def opened(event: dict[str, Any]) -> None:
            starts.append(self._relay.opened(self._owner, self._gen, event))

        self._reports.apply(content, buffers, current, opened, self._closed)
        if current and self._active and self._closed_gen < self._gen:
            status, error = str(content.get("status", "")), str(content.get("error", ""))
            with self._stream.lock:
                stale = self._stream.state["status"] != status
            if stale and status in ("connecting", "open", "reconnecting"):
                self._stream.on_status(status, error)
        for start in starts:  # after the batch's status changes, which would clear their errors
            start()

    def _closed(self, code: int | None, reason: str, error: str) -> None:
        self._active = False
        self._end_here(code, reason, error)

    def _end_here(self, code: int | None, reason: str, error: str) -> None:
        """The connection ended for good (call with the lock held)."""
        self._closed_gen = self._gen
        lost = self._outbox.end()
        if lost:
            error = error or f"{lost} messages were not sent: the connection closed first"
        self._stream.on_close(code, reason, error)
        self._cond.notify_all()

    # -- who owns the socket ---------------------------------------------------------------------

    def _assign(self, now: float) -> None:
        """Give the socket to the most recently heard front end if it has no live owner."""
        if not self._active:
            return
        if self._owner is not None and self._peers.live(self._owner, now):
            return
        chosen = self._peers.choose(now)
        if chosen is None:
            return
        if self._owner is not None:
            self._lose_owner()
        self._owner = chosen
        self._reports.seq = self._stream.next_seq
        self._post_owner()

    def _lose_owner(self) -> None:
        """The owner is gone: its pending sends are counted unsent (kept, should it report)."""
        self._owner = None
        self._outbox.orphan()

    def _post_owner(self) -> None:
        """Say who owns the socket; only the owner can unseal the URL (see peers.py)."""
        owner = self._owner
        sealed = None
        if owner is not None and self._active:
            sealed = [self._peers.seal(owner, self.url.encode("utf-8"))]
        content = owner_message(self._reconnect, sealed is not None)
        content.update(client=owner, gen=self._gen, connect=self._active, url=self._shown_url)
        content.update(protocols=self._protocols, send_queue=self._send_queue)
        content.update(seq=self._reports.seq, max_size=self._max_size, next_id=self._outbox.next_id)
        content.update(hooks=self._relay.wanted(), hooks_timeout=self._relay.limit)
        self._post(content, sealed)

    def _tell_hooks(self) -> None:
        """Hooks were added or removed: the owner holds its queue after opens, or not."""
        with self._cond:
            if self._active and self._owner is not None:
                self._relay.tell(self._owner, self._gen)

    def tick(self, now: float) -> None:
        """Called about once a second: notice front ends that went away."""
        with self._cond:
            if not (bool(self.concurrent) or not cell_running()):
                self._audible_since = now  # front ends cannot reach us now: judge nobody
                return
            if not self._active:
                return
            owner = self._owner
            heard = self._peers.heard.get(owner, 0.0) if owner is not None else 0.0
            since = max(heard, self._audible_since, self._started)
            if owner is not None and now - since >= PROBE_SECONDS and now - self._probed >= 1.0:
                # Its timers may be throttled (a hidden tab): ask; it answers from the event.
                self._probed = now
                self._post({"type": "probe", "client": owner}, None)
            if now - since < self._peers.stale_after(owner):
                return
            gone = owner
            if gone is not None:
                self._peers.drop(gone)
                self._lose_owner()
            self._assign(now)
            if self._owner is None and self.status != "no-browser":
                text = (
                    "the browser tab that held the connection stopped answering (closed, "
                    "reloaded or asleep); the next front end that shows this widget takes over"
                    if gone is not None
                    else self._no_browser_text()
                )
                self._stream.on_status("no-browser", text)
            self._cond.notify_all()

    def _no_browser_text(self) -> str:
        return (
            f"no browser has this widget open, so nothing can open {self._shown_url} "
            "(mode='browser' connects from the page): display the widget (`ws` at the end of "
            "a cell) in JupyterLab or Jupyter Notebook 7, or use mode='kernel'"
        )

    def _closed_error(self) -> ConnectionClosed:
        return ConnectionClosed(
            f"cannot send: the connection to {self._shown_url} is closed; "
            "call connect() to open it again"
        )
