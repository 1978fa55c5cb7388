"""Sources derived from a socket: ``ws.filter(pred)`` and ``ws.map(fn)``.

A derived source is a :class:`~ipywebsockets.WebSocket` of its own (mode
``"derived"``), so views, bindings, ``recv``, ``on_message``, ``last_value``
and recordings work on it as on any socket. Its transport, a
:class:`DerivedLink`, has no connection: it is fed from the socket's stream,
live, as each incoming message is handed to the socket's ``on_message``
handlers (on their thread, never the I/O loop, in order). ``filter`` passes
the messages for which ``pred(msg)`` is true, ``map`` passes ``fn(msg)``
(a str as text, bytes as binary, anything else as JSON). Its history is as
long as the socket's; its status follows the socket's; it ends when the
socket ends, after the messages already received (and, with
``close(widget=True)`` of the socket, it closes too). Sending on it sends on
the socket.

A ``pred`` or ``fn`` that raises skips that message: it is counted in the
derived source's ``callback_errors``, the first traceback is printed under the
cell that derived it, and ``error`` says how many were skipped.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..message import Message, encode_outgoing
from ..transport import BaseTransport
from .callbacks import Handler, current_parent
from .stream import Stream

if TYPE_CHECKING:
    from ..widget import WebSocket

__all__ = ["KINDS", "DerivedLink"]

KINDS = ("filter", "map")


class DerivedLink(BaseTransport):
    """The transport of a derived source: the socket's stream, filtered or mapped.

    Args:
        parent: the socket derived from.
        kind: ``"filter"`` or ``"map"``.
        fn: the predicate or the function, called with each incoming :class:`Message`.
    """

    mode = "derived"
    no_wire = "a derived source has no connection of its own; use the socket it came from"

    def __init__(self, parent: WebSocket, kind: str, fn: Callable[[Message], Any]) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if not callable(fn):
            raise TypeError(f"{kind}() takes a function of a Message, not {type(fn).__name__}")
        self.parent = parent
        self._source: Stream = parent._stream
        self._kind = kind
        self._fn = fn
        self._name = f"{kind}({getattr(fn, '__qualname__', None) or type(fn).__name__})"
        self.events: Stream | None = None  # the derived socket's stream (set before start)
        self._handler = Handler(self._feed, current_parent())
        self._attached = False
        self.unsent = 0
        self.skipped = 0  # messages whose fn raised

    # -- Transport ---------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._attached and self.parent._transport.running

    @property
    def status(self) -> str:
        return self._source.state["status"] if self._attached else "closed"

    def start(self) -> None:
        """Follow the socket's stream (again, after ``close()``)."""
        if self._attached:
            return
        self._attached = True
        self._source.add_handler(self._handler)
        self._source.watchers = (*self._source.watchers, self._watch)
        if self._source.ended:  # derived from a socket closed for good: closed too
            self._watch("close")
        else:
            self._watch("open" if self._source.state["status"] == "open" else "status")

    def send(self, payload: str | bytes, first: bool = False) -> None:
        """Send on the socket this source was derived from."""
        self.parent._transport.send(payload, first)

    def close(self, code: int = 1000, reason: str = "", timeout: float | None = None) -> None:
        """Stop following the socket (the socket itself stays open)."""
        if not self._attached:
            return
        self._detach()
        self._stream.on_close(code, reason, "")

    def secret_headers(self) -> frozenset[str]:
        return self.parent._transport.secret_headers()

    def prepare_wait(self, has_unread: Callable[[], bool]) -> None:
        self.parent._transport.prepare_wait(has_unread)

    async def aprepare_wait(self, has_unread: Callable[[], bool]) -> None:
        await self.parent._transport.aprepare_wait(has_unread)

    def dispose(self) -> None:
        if self._attached:
            self._detach()

    # -- following ---------------------------------------------------------------

    @property
    def _stream(self) -> Stream:
        assert self.events is not None, "the widget sets events before start()"
        return self.events

    def _detach(self) -> None:
        self._attached = False
        self._source.remove_handler(self._feed)
        self._source.watchers = tuple(w for w in self._source.watchers if w != self._watch)

    def _watch(self, event: str) -> None:
        """The socket's status changed (its transport's thread): say the same."""
        if not self._attached:
            return
        state = self._source.state
        stream = self._stream
        if event == "restart":
            stream.restart()
        elif event == "open":
            stream.on_open(state["subprotocol"], self._source.handshake)
            stream.on_status("open", "")
        elif event == "status":
            stream.on_status(state["status"], state["error"])
        elif event == "close":
            end = (state["close_code"], state["close_reason"], state["error"])

            def end_too() -> None:
                if self._attached:
                    stream.on_close(*end)

            # After the messages already queued for the handlers (this source among them).
            self._source.after_callbacks(end_too)

    def _feed(self, msg: Message) -> None:
        """One incoming message of the socket (its handlers' thread)."""
        try:
            if self._kind == "filter":
                if not self._fn(msg):
                    return
                data = msg.data
            else:
                data = encode_outgoing(self._fn(msg))
        except Exception as exc:
            self.skipped += 1
            stream = self._stream
            stream.count_callback_error()
            if self.skipped == 1:
                print(
                    f"[ipywebsockets] {self._name} raised on message #{msg.seq}; such messages "
                    "are skipped and counted in callback_errors:\n" + traceback.format_exc(),
                    file=sys.stderr,
                    flush=True,
                )
            stream.report_error(
                f"{self._name} raised {type(exc).__name__}: {exc} on message #{msg.seq}; "
                f"{self.skipped} message(s) skipped so far"
            )
            return
        self._stream.on_message(data, msg.time)
