"""The seam between a socket and its stream: what a transport does, and what it reports.

A :class:`Transport` moves frames: the kernel's own connection
(:class:`~.client.Connection`), the browser's socket seen through the
widget's comm (:class:`~._jupyter.browser.BrowserLink`) or a recording
played back (:class:`~.replay.ReplayConnection`). The widget drives it with
``start``/``send``/``close`` and asks it for capabilities (``ping``,
``inspect``, ``check_close``) instead of testing its type; a transport that
cannot do something raises :class:`ValueError` saying why.

What happens on the wire is reported to an :class:`Events` (the stream), on
the transport's own thread: every method must be quick.

:class:`BaseTransport` holds the defaults: no pings, no wire tap, no front
ends to talk to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ._reasons import check_close

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from .wiretap import Wiretap

__all__ = ["BaseTransport", "Events", "OpenHooks", "Transport"]


class Events(Protocol):
    """What a transport tells its stream, in order."""

    def on_status(self, status: str, error: str) -> None:
        """The connection's status changed (``connecting``, ``open``, ``reconnecting``...)."""

    def on_open(self, subprotocol: str, handshake: ClientConnection | None) -> None:
        """A connection opened (``handshake``: None where the kernel did not see it)."""

    def on_message(self, data: str | bytes, at: float | None = None) -> Awaitable[None] | None:
        """A message arrived. An awaitable return pauses reception until it completes."""

    def on_sent(self, data: str | bytes, at: float | None = None) -> None:
        """A message went out."""

    def on_lost(self, count: int, error: str) -> None:
        """``count`` messages were handled elsewhere but never reached this stream."""

    def on_close(self, code: int | None, reason: str, error: str) -> None:
        """The connection ended for good (no reconnect follows)."""


class OpenHooks(Protocol):
    """What runs after every successful open, before the queued sends (``ws.on_open``)."""

    def opened(self) -> bool:
        """A connection opened (call before reporting status "open"): whether to :meth:`run`."""

    def run(self) -> None:
        """Run the hooks (on a thread of their own; they may send and wait for replies)."""

    def report(self, text: str) -> None:
        """Show a problem with the hooks (e.g. one still running after the time limit)."""


class Transport(Protocol):
    """One socket's way of moving frames; every method is safe from any thread."""

    # The socket's on_open hooks, run after every open (None, or nothing, where unsupported).
    hooks: OpenHooks | None

    @property
    def running(self) -> bool:
        """Whether the connection is open or wanted open."""

    @property
    def status(self) -> str: ...

    @property
    def unsent(self) -> int:
        """Messages queued by ``send()`` that never went out: the connection ended first."""

    def start(self) -> None:
        """Begin connecting (no-op while running)."""

    def send(self, payload: str | bytes, first: bool = False) -> None:
        """Queue ``payload``; ``first``: an on_open hook sends it, ahead of what was queued."""

    def close(self, code: int = 1000, reason: str = "", timeout: float | None = None) -> None:
        """Close and wait for the end, at most ``timeout`` seconds."""

    def check_close(self, code: int, reason: str) -> None:
        """Raise :class:`ValueError` if this transport cannot close with ``code``/``reason``."""

    def ping(self, payload: bytes, timeout: float) -> float:
        """Round-trip time of one ping in seconds; :class:`ValueError` if it cannot ping."""

    def inspect(self, keep: int) -> Wiretap:
        """The wire tap recording the real bytes; :class:`ValueError` if there are none."""

    def secret_headers(self) -> frozenset[str]:
        """Lowercase names of the handshake headers that hold secrets (never shown)."""

    def prepare_wait(self, has_unread: Callable[[], bool]) -> None:
        """A reader may block for a message: raise if it would wait for nothing.

        ``has_unread()`` says whether a message is already there (no wait at all).
        """

    async def aprepare_wait(self, has_unread: Callable[[], bool]) -> None:
        """A reader may await a message (its event loop keeps running meanwhile)."""

    def handle(self, content: dict[str, Any], buffers: Sequence[Any]) -> bool:
        """A custom message from a front end; False if it is not this transport's."""

    def rows_wanted(self) -> bool:
        """Whether front ends need the kernel to send them the new rows."""

    def tick(self, now: float) -> None:
        """Called about once a second by the publisher thread (``now``: monotonic)."""

    def dispose(self) -> None:
        """The widget is gone: release what would outlive it."""


_NEEDS_KERNEL = "{what}() needs mode='kernel': {why}"


class BaseTransport:
    """Defaults for what a transport may not offer (see :class:`Transport`)."""

    hooks: OpenHooks | None = None

    # Why pings and the wire tap are out of reach (completes "...needs mode='kernel': ").
    no_wire = "only the kernel's own connection has frames it can ping and inspect"

    def check_close(self, code: int, reason: str) -> None:
        check_close(code, reason)

    def ping(self, payload: bytes, timeout: float) -> float:
        raise ValueError(_NEEDS_KERNEL.format(what="ping", why=self.no_wire))

    def inspect(self, keep: int) -> Wiretap:
        raise ValueError(_NEEDS_KERNEL.format(what="inspect", why=self.no_wire))

    def secret_headers(self) -> frozenset[str]:
        return frozenset()

    def prepare_wait(self, has_unread: Callable[[], bool]) -> None:
        return None

    async def aprepare_wait(self, has_unread: Callable[[], bool]) -> None:
        return None

    def handle(self, content: dict[str, Any], buffers: Sequence[Any]) -> bool:
        return False

    def rows_wanted(self) -> bool:
        return True

    def tick(self, now: float) -> None:
        return None

    def dispose(self) -> None:
        return None
