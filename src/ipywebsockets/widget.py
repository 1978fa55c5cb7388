"""The WebSocket widget: a facade over the parts that make one live connection.

:class:`WebSocket` holds the public API and the traits, and delegates to the
parts it owns: the :class:`~._jupyter.stream.Stream` (history, counters,
readers, callbacks), one :class:`~.transport.Transport` (kernel, browser or
replay: :mod:`._jupyter.options`), the :class:`~._jupyter.frontend.FrontendSync`
(the coalesced path to the page), :class:`~._jupyter.bindings.Bindings` and a
:class:`~._jupyter.reading.Reader`.
"""

from __future__ import annotations

import os
import ssl as ssl_module
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any

import anywidget
import traitlets
from websockets.asyncio.client import ClientConnection

from ._jupyter import assets
from ._jupyter.bindings import Binding
from ._jupyter.callbacks import Handler, current_parent
from ._jupyter.derived import DerivedLink
from ._jupyter.lifecycle import adopt, close_own_layout, refuse_unknown
from ._jupyter.output import OutputBinding
from ._jupyter.parts import CONNECTION_OPTIONS, assemble
from ._jupyter.requests import Requests
from ._jupyter.session import Session
from .client import Backoff
from .dataframes import dataframe
from .message import Message, encode_outgoing
from .protocols.base import Codec
from .record import Recorder
from .replay import ReplayConnection
from .wiretap import Wiretap

__all__ = ["WebSocket"]

_RANGES = {"max_fps": (1, 120), "view_rows": (1, 1_000_000)}


class WebSocket(anywidget.AnyWidget):  # type: ignore[misc]
    """A WebSocket connection whose messages flow into traitlets, callbacks and live views.

    ``WebSocket(url)`` connects at once from the kernel, on a background I/O
    thread, so messages keep arriving while a cell blocks. Display it for the
    live view; its traits update at most ``max_fps`` times a second (and when a
    read returns); ``recv()``, ``arecv()``, ``async for``, ``wait_for()`` and
    ``on_message`` deliver the messages, ``send()`` answers. ``mode="browser"``
    opens the connection from the page (same API; displayed nowhere, ``status``
    is ``"no-browser"`` and ``send()``/``recv()`` raise :class:`FrontendUnavailable`).

    Args:
        url: ``ws://`` or ``wss://`` URL; its secrets are redacted in the ``url`` trait
            and in every text that leaves the kernel (docs/secrets.md). Or a callable
            (sync or async) returning one before every attempt (signed URLs; kernel mode).
        protocols: subprotocols to offer; the server must accept one.
        headers: extra handshake headers, e.g. ``{"Authorization": ...}``, or a callable
            (sync or async) returning them, called before every connection attempt (and
            once more after a 401/403 on a reconnect). Kept in the kernel only: never
            synced, never saved in the notebook.
        proxy: ``"http://host:port"`` (HTTP CONNECT) or ``"socks5://host:port"``
            (``ipywebsockets[socks]``); default: the environment's (``https_proxy``...),
            never for loopback hosts; ``None``: connect directly. Kernel mode only.
        history: how many messages (both directions) ``messages`` keeps.
        mode: ``"kernel"``: the kernel opens the connection; ``"browser"``: the page
            does (no ``headers`` or ``ssl``; see docs/browser-mode.md).
        reconnect: ``True`` (default backoff: first retry after about 0.5 s,
            doubling, at most 30 s apart), ``False``, or a :class:`Backoff`.
        max_fps: most front-end updates per second.
        view_rows: messages the live view's log keeps (an update carries 1,000 at most).
        send_queue: messages that may wait while the connection is not open.
        callback_queue: messages that may wait for slow ``on_message``
            handlers before reception pauses (nothing is dropped).
        max_size: largest incoming message in bytes; a larger one closes the
            connection with 1009. ``None``: no limit (browser mode: at most 8 MiB).
        ping_interval: seconds between keepalive pings (``None``: none).
        ping_timeout: seconds to wait for a pong before closing with 1011.
        open_timeout: seconds the opening handshake may take.
        close_timeout: seconds to wait for the closing handshake.
        ssl: an :class:`ssl.SSLContext` for ``wss://`` servers with private CAs.
        connect: open at once (default) or wait for :meth:`connect`.
        inspect: record the real bytes of every connection (handshake and
            frames) for :class:`Handshake` and :class:`Inspector`; see :meth:`inspect`.
        persist: the last incoming messages kept in the synced ``persisted`` trait,
            so a saved notebook shows them; ``0``: no message data is saved.
        persist_sent: keep sent messages in ``persisted`` too (a login may hold a key).

    Re-running the cell that made a socket closes it (docs/lifecycle.md).
    """

    _esm = assets.esm("widget")
    _css = assets.css("widget")

    url = traitlets.Unicode(read_only=True).tag(sync=True)
    mode = traitlets.Unicode(read_only=True).tag(sync=True)
    # Unique per widget: the front end finds this widget's store by it
    # (docs/jupyter-internals.md#anywidget-model-proxies).
    _iws_key = traitlets.Unicode(read_only=True).tag(sync=True)
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
    lost = traitlets.Int(0, read_only=True).tag(sync=True)
    # Round-trip time of the last ping in seconds (kernel mode; None before the first pong).
    latency = traitlets.Float(None, allow_none=True, read_only=True).tag(sync=True)
    binding_errors = traitlets.List(traitlets.Unicode(), read_only=True).tag(sync=True)
    persisted: traitlets.List[dict[str, Any]] = traitlets.List(read_only=True).tag(sync=True)
    max_fps = traitlets.Int(30).tag(sync=True)
    view_rows = traitlets.Int(10_000).tag(sync=True)
    # The composer's saved messages ({name, format, data}), set by the view; in the notebook.
    saved = traitlets.List(traitlets.Dict()).tag(sync=True)

    def __init__(
        self,
        url: str | Callable[[], Any],
        *,
        protocols: Sequence[str] = (),
        headers: Mapping[str, str] | Callable[[], Any] | None = None,
        proxy: str | bool | None = True,
        history: int = 1000,
        mode: str = "kernel",
        reconnect: bool | Backoff = True,
        max_fps: int = 30,
        view_rows: int = 10_000,
        send_queue: int = 1000,
        callback_queue: int = 10_000,
        max_size: int | None = 2**20,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        open_timeout: float | None = 10.0,
        close_timeout: float | None = 5.0,
        ssl: ssl_module.SSLContext | None = None,
        connect: bool = True,
        inspect: bool = False,
        persist: int = 50,
        persist_sent: bool = False,
        **kwargs: Any,
    ) -> None:
        given: ReplayConnection | DerivedLink | None = kwargs.pop("_given", None)
        codec: Codec | None = kwargs.pop("_codec", None)  # protocol sockets (feeds/)
        refuse_unknown(type(self), kwargs)
        self._mode = mode if given is None else given.mode
        options = {k: v for k, v in locals().items() if k in CONNECTION_OPTIONS}  # as passed
        parts = assemble(self, url, given, options, codec)
        self._stream, self._sync, self._transport, self._bindings, self._reader = parts
        self._session = Session(self._stream, self, self._sync.refresh)
        self._transport.hooks = self._session
        self._requests = Requests(
            self._stream, self._transport, self.send, self._sync.refresh, lambda: self.max_fps
        )
        self._derived: weakref.WeakSet[WebSocket] = weakref.WeakSet()
        super().__init__(max_fps=max_fps, view_rows=view_rows, **kwargs)
        self._sync.start()
        adopt(self, kwargs)  # and close what an earlier run of this cell opened
        if inspect:
            self.inspect()
        if connect:
            self.connect()

    def __repr__(self) -> str:
        stats = self._stream.stats
        return (
            f"<{type(self).__name__} {self.url} {self._transport.status}, "
            f"{stats.received} received, {stats.sent} sent>"
        )

    # url and mode must be in the comm_open state: the front end decides at once
    # whether it opens the socket.
    @traitlets.default("url")
    def _default_url(self) -> str:
        return self._stream.url

    @traitlets.default("_iws_key")
    def _default_iws_key(self) -> str:
        return uuid.uuid4().hex

    @traitlets.default("mode")
    def _default_mode(self) -> str:
        return self._mode

    @traitlets.validate("max_fps", "view_rows")
    def _check_range(self, proposal: dict[str, Any]) -> int:
        name = proposal["trait"].name
        low, high = _RANGES[name]
        value = int(proposal["value"])
        if not low <= value <= high:
            raise traitlets.TraitError(f"{name} must be between {low} and {high}, got {value}")
        return value

    # -- ipywidgets hooks: the front ends -------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        self._sync.shown()  # displayed: its page will show rows (docs/performance.md)
        return super()._repr_mimebundle_(**kwargs)

    def send_state(self, key: str | Iterable[str] | None = None) -> None:
        """ipywidgets' state sync; stream traits wait for the coalescing publisher."""
        self._sync.send_state(key)

    def _handle_custom_msg(self, content: Any, buffers: Any) -> None:
        if not self._sync.answer(content, buffers):
            super()._handle_custom_msg(content, buffers)

    # -- connection ---------------------------------------------------------------

    def connect(self) -> WebSocket:
        """Open the connection (again, after :meth:`close`); no-op while open or connecting."""
        if not self._transport.running:
            self._stream.restart()
            self._transport.start()
            self._sync.refresh()
        return self

    def close(  # type: ignore[override]
        self, code: int = 1000, reason: str = "", *, timeout: float = 5.0, widget: bool = False
    ) -> None:
        """Close the connection with ``code`` and ``reason``, waiting up to ``timeout`` s.

        ``connect()`` opens again; ``widget=True`` also closes the widget's comm and views.

        Raises:
            ValueError: this mode cannot close with ``code`` or ``reason``.
        """
        transport = getattr(self, "_transport", None)
        if transport is None:  # ipywidgets may call close() on a half-built widget
            return
        transport.check_close(code, reason)
        transport.close(code, reason, timeout)
        self._sync.refresh()
        if widget:
            for derived in list(self._derived):
                derived.close(widget=True)
            self._stream.stop_callbacks(wait=timeout)
            self._bindings.unbind_all()
            self._sync.close()
            close_own_layout(self)
            super().close()

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None:
            transport.dispose()

    @property
    def handshake(self) -> ClientConnection | None:
        """The last websockets connection opened (``.request``, ``.response``); None if unseen."""
        return self._stream.handshake

    def inspect(self, keep: int = 2000) -> Wiretap:
        """Record the real bytes of every connection from the next one on; return the tap.

        ``WebSocket(url, inspect=True)``, :class:`Handshake` and :class:`Inspector`
        enable it too; without it, reception runs websockets' code untouched.
        ``keep``: frames kept per connection.

        Raises:
            ValueError: not in kernel mode (only the kernel's connection has its bytes).
        """
        return self._transport.inspect(keep)

    def ping(self, payload: bytes | str = b"", *, timeout: float = 10.0) -> float:
        """Send a ping frame, wait for the pong and return the round-trip time in seconds.

        Raises:
            ValueError: not in kernel mode (browsers do not let pages send pings).
            ConnectionClosed: the connection is not open.
            TimeoutError: no pong came within ``timeout`` seconds.
        """
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        if len(data) > 125:
            raise ValueError(f"a ping carries at most 125 bytes (RFC 6455 §5.5), got {len(data)}")
        return self._transport.ping(data, timeout)

    # -- sending -------------------------------------------------------------------

    def send(self, data: Any) -> None:  # type: ignore[override]
        """Send ``data``: str as text, bytes as binary, dict/list as JSON text.

        While (re)connecting, it waits in a bounded queue and goes out on open.

        Raises:
            TypeError, ValueError: ``data`` cannot be sent (nothing is queued).
            ConnectionClosed: the connection is closed; call ``connect()``.
            SendQueueFull: too many messages wait for the connection.
        """
        self._transport.send(encode_outgoing(data), self._session.in_hook())

    @property
    def unsent(self) -> int:
        """Messages queued by ``send()`` but dropped: the connection ended first."""
        return self._transport.unsent

    # -- reading -------------------------------------------------------------------

    def recv(self, timeout: float | None = None) -> Message:
        """The next unread incoming message, waiting up to ``timeout`` seconds.

        Read in order from the history; a reader that falls more than ``history``
        messages behind is warned how many it missed.

        Raises:
            TimeoutError: nothing arrived in time.
            ConnectionFailed, ConnectionClosed: the connection ended for good and
                every message received before has been read.
            FrontendUnavailable: browser mode, and no browser has the widget or it
                cannot deliver while the cell blocks (``await ws.arecv()`` can).
        """
        return self._reader.recv(timeout)

    async def arecv(self, timeout: float | None = None) -> Message:
        """Like :meth:`recv`, awaitable: the cell's event loop keeps running."""
        return await self._reader.arecv(timeout)

    def wait_for(
        self, predicate: Callable[[Message], object], timeout: float | None = None
    ) -> Message:
        """Read messages (as :meth:`recv` does) until one satisfies ``predicate``; return it.

        The messages before it are consumed. Raises as :meth:`recv`.
        """
        return self._reader.wait_for(predicate, timeout)

    async def wait_for_async(
        self, predicate: Callable[[Message], object], timeout: float | None = None
    ) -> Message:
        """Awaitable :meth:`wait_for`."""
        return await self._reader.wait_for_async(predicate, timeout)

    def __aiter__(self) -> AsyncIterator[Message]:
        """``async for msg in ws``: unread messages until the end (an error end raises)."""
        return self._reader.iterate()

    def on_message(
        self, callback: Callable[[Message], object], remove: bool = False
    ) -> Callable[[Message], object]:
        """Call ``callback(msg)`` for every incoming message, in order, off the I/O thread.

        Usable as a decorator. What it prints, and the traceback of an exception
        (which does not stop the stream), appear under the cell that registered
        it. ``remove=True`` unregisters it.
        """
        if remove:
            self._stream.remove_handler(callback)
        else:
            self._stream.add_handler(Handler(callback, current_parent()))
        return callback

    # -- sessions and requests (docs/sessions.md) -----------------------------------

    def on_open(
        self, hook: Callable[[WebSocket], object], remove: bool = False
    ) -> Callable[[WebSocket], object]:
        """Call ``hook(ws)`` after every successful open: the first and each reconnect.

        For feeds that need a subscribe or login message. Usable as a decorator.
        It runs on a thread of its own while messages already arrive, so it may
        ``request()``; what it sends goes out before the messages queued while
        away. Output and tracebacks appear under the cell that registered it; an
        exception is counted in ``callback_errors`` and shown in ``error``.
        ``remove=True`` unregisters it.
        """
        if remove:
            self._session.remove(hook)
        else:
            self._session.add(hook)
        return hook

    def request(
        self, data: Any, *, match: Callable[[Message], object], timeout: float | None = 30.0
    ) -> Message:
        """Send ``data`` and return the first incoming message after it that ``match``es.

        That reply is not also handed to ``recv()``; every other message flows on
        as usual, in order (views, handlers and the history see the reply too).
        ``match`` runs as each message arrives: keep it quick; one that raises
        means "not this one".

        Raises:
            TimeoutError: no match within ``timeout`` s (how many messages came, and why).
            ConnectionClosed, ConnectionFailed: the connection ended for good first.
            TypeError, ValueError, SendQueueFull: as :meth:`send`.
        """
        return self._requests.request(data, match, timeout)

    async def arequest(
        self, data: Any, *, match: Callable[[Message], object], timeout: float | None = 30.0
    ) -> Message:
        """Awaitable :meth:`request`."""
        return await self._requests.arequest(data, match, timeout)

    def call(self, method: str, params: Any = None, *, timeout: float | None = 30.0) -> Any:
        """Call a JSON-RPC 2.0 ``method`` with ``params`` (list or dict); return its result.

        Ids are numbered per socket; the reply is matched by id (in a batch reply
        too) and not handed to ``recv()``. Notifications are ordinary messages.

        Raises:
            RemoteError: the server answered with an error (``.code``, ``.message``, ``.data``).
            TimeoutError: no reply within ``timeout`` s (the text names the method).
            ConnectionClosed, ConnectionFailed: the connection ended for good first.
        """
        return self._requests.call(method, params, timeout)

    async def acall(self, method: str, params: Any = None, *, timeout: float | None = 30.0) -> Any:
        """Awaitable :meth:`call`."""
        return await self._requests.acall(method, params, timeout)

    def filter(self, predicate: Callable[[Message], object]) -> WebSocket:
        """A live source of the incoming messages for which ``predicate(msg)`` is true.

        A :class:`WebSocket` of its own (mode ``"derived"``): views, bindings,
        ``recv``, ``on_message`` work on it; it follows this socket's status and
        ends with it, keeps as much history, and sends through it. A predicate
        that raises skips the message (counted in its ``callback_errors``).
        """
        return self._derive("filter", predicate)

    def map(self, fn: Callable[[Message], Any]) -> WebSocket:
        """A live source of ``fn(msg)`` for each incoming message, as :meth:`filter`.

        ``fn`` returns str (text), bytes (binary) or JSON values (JSON text).
        """
        return self._derive("map", fn)

    def _derive(self, kind: str, fn: Callable[[Message], Any]) -> WebSocket:
        link = DerivedLink(self, kind, fn)
        derived = WebSocket(self.url, _given=link, history=self._stream.history.maxlen,
                            max_fps=self.max_fps, view_rows=self.view_rows)  # fmt: skip
        self._derived.add(derived)
        return derived

    @property
    def last(self) -> Message | None:
        """The last message received (None before the first)."""
        return self._stream.last_in

    @property
    def messages(self) -> list[Message]:
        """A snapshot of the history: the last ``history`` messages, both directions."""
        with self._stream.lock:
            snapshot = self._stream.history.snapshot()
        self._sync.refresh()
        return snapshot

    def to_pandas(self, *paths: str, direction: str | None = None) -> Any:
        """The history (:attr:`messages`) as a pandas DataFrame, a row per message.

        Columns: ``seq``, ``time`` (UTC), ``direction``, ``kind``, ``size``, then
        every JSON field by its dot path, or only ``paths`` (docs/dataframes.md).
        ``direction``: ``"in"``, ``"out"`` or None (both).

        Raises:
            ImportError: pandas is not installed (``pip install "ipywebsockets[pandas]"``).
            ValueError: a malformed path or direction.
        """
        return dataframe(self.messages, paths, direction, "pandas", what="to_pandas()")

    def to_polars(self, *paths: str, direction: str | None = None) -> Any:
        """:meth:`to_pandas` as a polars DataFrame (``pip install "ipywebsockets[polars]"``)."""
        return dataframe(self.messages, paths, direction, "polars", what="to_polars()")

    @property
    def missed(self) -> int:
        """Incoming messages evicted from the history before ``recv()`` read them."""
        return self._stream.missed

    # -- bindings and recording ----------------------------------------------------

    def bind(
        self,
        field: str,
        target: traitlets.HasTraits,
        trait: str = "value",
        *,
        transform: Callable[[Any], Any] | None = None,
        max_fps: int | None = None,
    ) -> Binding:
        """Set ``target.<trait>`` from the ``field`` of each incoming JSON message.

        At most ``max_fps`` updates a second (the socket's by default), each with
        the newest value; the last value always arrives. ``field`` is a path such
        as ``"data.bids.0.price"``; ``transform(value)`` turns it into the trait's.
        If no message carries the field, or a value is refused, ``binding_errors``
        says so once.

        Returns:
            A :class:`Binding` (``unbind()``; ``applied``, ``coalesced``, ``skipped``).

        Raises:
            ValueError: a malformed ``field``, or ``target`` has no (writable) ``trait``.
            TypeError: ``target`` is not a traitlets object, or ``transform`` not callable.
        """
        return self._bindings.bind(field, target, trait, transform, max_fps)

    def bind_output(
        self,
        output: Any,
        fn: Callable[[Message], object],
        *,
        clear: bool = False,
        keep: int = 100,
        max_fps: int | None = None,
    ) -> OutputBinding:
        """Call ``fn(msg)`` with the newest incoming message; show its output in ``output``.

        At most ``max_fps`` calls a second (the socket's by default), on a thread
        of the binding's own; messages passed over are counted (``coalesced``).
        What ``fn`` prints or displays goes to the ``ipywidgets.Output`` (its last
        ``keep`` outputs); ``clear=True`` keeps only the last call's. An exception
        is reported once in ``binding_errors`` and the calls go on.

        Raises:
            TypeError: ``output`` is not an Output widget or ``fn`` not callable.
        """
        return self._bindings.bind_output(output, fn, clear, keep, max_fps)

    @property
    def bindings(self) -> list[Binding | OutputBinding]:
        """The active bindings of this socket."""
        return self._bindings.active

    def record(self, path: str | os.PathLike[str], *, queue: int = 100_000) -> Recorder:
        """Write every message (both directions) from now on to ``path`` (JSON Lines).

        Format: :mod:`ipywebsockets.record`; ``iws.replay(path)`` plays it back.
        A thread of its own writes; if the disk falls more than ``queue`` messages
        behind, the excess is counted in ``dropped``. ``stop()`` (or ``with``) ends it.
        """
        return Recorder(self._stream, path, queue=queue)
