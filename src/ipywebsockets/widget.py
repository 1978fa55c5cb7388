"""The WebSocket widget: one live connection bound to traitlets, history, callbacks and views."""

from __future__ import annotations

import pathlib
import ssl as ssl_module
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import traitlets
from websockets.asyncio.client import ClientConnection

from ._jupyter.bindings import Bindings
from ._jupyter.browser import BrowserLink
from ._jupyter.frontend import FrontendSync, hook_cell_ends
from ._jupyter.publisher import get_publisher
from ._jupyter.receiving import Receiving
from ._jupyter.routing import track_cells, unpin_replies
from ._jupyter.stream import Stream
from ._reasons import redact_url
from .client import Backoff, Connection
from .message import encode_outgoing
from .replay import ReplayConnection
from .wiretap import Wiretap

__all__ = ["WebSocket", "replay"]

_STATIC = pathlib.Path(__file__).parent / "static"
_RANGES = {"max_fps": (1, 120), "view_rows": (1, 1_000_000)}
# Rows one front-end flush carries at most (the rest are counted as omitted): at
# max_fps=30 that is 30,000 rows a second, above what a browser renders, and a
# flush stays under about 1 MB (previews are at most 500 characters). Whatever
# view_rows is: every iws.Log of the socket in the page takes its rows from them.
_FLUSH_ROWS = 1000
_MODES = ("kernel", "browser")


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


class WebSocket(Receiving, Bindings, FrontendSync):
    """A WebSocket connection whose messages flow into traitlets, callbacks and live views.

    ``WebSocket(url)`` connects at once from the kernel, on a background I/O
    thread, so messages keep arriving while a cell blocks. Display it to see
    the live view; read ``received``, ``status``, ``last_value`` or observe
    them like any ipywidgets trait (they update at most ``max_fps`` times a
    second, and whenever ``recv()``, ``messages`` and friends return);
    ``recv()``, ``await arecv()``, ``async for``, ``wait_for()`` and
    ``on_message`` deliver the messages themselves, and ``send()`` answers.

    ``mode="browser"`` opens the connection from the page instead (the
    browser's own WebSocket, in the widget's JavaScript), for servers only the
    browser can reach; the API is the same. The view updates straight from the
    browser socket; frames reach the kernel in batches (at most ``max_fps`` a
    second). It needs a front end: displayed nowhere, ``status`` says
    ``"no-browser"`` and ``send()``/``recv()`` raise :class:`FrontendUnavailable`.

    Args:
        url: ``ws://`` or ``wss://`` URL. Passwords and token-like query values
            are redacted in the ``url`` trait (what the notebook saves).
        protocols: subprotocols to offer; the server must accept one.
        headers: extra handshake headers, e.g. ``{"Authorization": ...}``. Kept in
            the kernel only: never synced, never saved in the notebook.
        history: how many messages (both directions) ``messages`` keeps.
        mode: ``"kernel"``: the kernel opens the connection; ``"browser"``: the
            page does (browsers cannot set ``headers`` or ``ssl``, and close only
            with code 1000 or 3000-4999; ``max_size`` and the ``ping_*`` and
            ``*_timeout`` options are the browser's own).
        reconnect: ``True`` (default backoff: first retry after about 0.5 s,
            doubling, at most 30 s apart), ``False``, or a :class:`Backoff`.
        max_fps: most front-end updates per second.
        view_rows: messages the live view's log keeps (it scrolls through all of them;
            each update carries at most 1,000 new ones, the rest are counted as omitted).
        send_queue: messages that may wait while the connection is not open.
        callback_queue: messages that may wait for slow ``on_message``
            handlers before reception pauses (nothing is dropped).
        max_size: largest incoming message in bytes; a larger one closes
            the connection with 1009. ``None``: no limit.
        ping_interval, ping_timeout, open_timeout, close_timeout: seconds.
        ssl: an :class:`ssl.SSLContext` for ``wss://`` servers with private CAs.
        connect: open at once (default) or wait for :meth:`connect`.
        inspect: record the real bytes of every connection (handshake and
            frames) for :class:`Handshake` and :class:`Inspector`; see :meth:`inspect`.
        persist: how many of the last messages the synced ``persisted`` trait
            keeps, so a saved notebook shows them (they are message data: the
            notebook file holds them). ``0``: none.
    """

    _esm = _load_esm()
    _css = _STATIC / "widget.css" if (_STATIC / "widget.css").exists() else ""

    url = traitlets.Unicode(read_only=True).tag(sync=True)
    mode = traitlets.Unicode(read_only=True).tag(sync=True)
    # Unique per widget: the front end finds this widget's store by it (anywidget gives
    # `initialize` and each view different proxies of one model).
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
        url: str,
        *,
        protocols: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
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
        **kwargs: Any,
    ) -> None:
        replaying: ReplayConnection | None = kwargs.pop("_replay", None)
        if replaying is not None:
            mode = "replay"
        elif mode not in _MODES:
            raise ValueError(f"mode must be 'kernel' or 'browser', not {mode!r}")
        if mode == "browser" and headers:
            raise ValueError(
                "headers= cannot be used with mode='browser': browsers do not let pages set "
                "WebSocket handshake headers. Pass credentials in the URL or a cookie the "
                "browser already has, offer protocols=, or use mode='kernel'"
            )
        if mode == "browser" and ssl is not None:
            raise ValueError(
                "ssl= cannot be used with mode='browser': the browser checks certificates "
                "against its own trust store; use mode='kernel' for a private CA"
            )
        if isinstance(protocols, str):
            raise TypeError(f"protocols must be a list of str, not a str: use [{protocols!r}]")
        if headers is not None and not isinstance(headers, Mapping):
            raise TypeError(
                f"headers must be a mapping of str to str, not {type(headers).__name__}"
            )
        for name, value in (("send_queue", send_queue), ("callback_queue", callback_queue)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        backoff = Backoff() if reconnect is True else (reconnect or None)
        if backoff is not None and not isinstance(backoff, Backoff):
            raise TypeError(f"reconnect must be True, False or a Backoff, not {reconnect!r}")
        if not isinstance(persist, int) or persist < 0:
            raise ValueError(f"persist must be an int >= 0, got {persist!r}")
        # Plain attributes, not traits: only the kernel knows them (headers hold secrets).
        self._persist = persist
        self._init_sync()
        self._stream = Stream(
            redact_url(url),
            history=history,
            view_rows=_FLUSH_ROWS,
            callback_queue=callback_queue,
            on_change=self._mark_dirty,
        )
        self._mode = mode
        self._conn: Connection | BrowserLink | ReplayConnection
        if replaying is not None:
            self._conn = replaying
            replaying.listener = self._stream
        elif mode == "browser":
            self._conn = BrowserLink(
                url,
                self._stream,
                self._post,
                protocols=list(protocols),
                reconnect=backoff,
                send_queue=send_queue,
            )
        else:
            self._conn = Connection(
                url,
                self._stream,
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
        unpin_replies(self.comm)
        get_publisher().add(self)
        hook_cell_ends()
        track_cells()
        if inspect:
            self.inspect()
        if connect:
            self.connect()

    def __repr__(self) -> str:
        stats = self._stream.stats
        return (
            f"<WebSocket {self.url} {self._conn.status}, {stats.received} received, "
            f"{stats.sent} sent>"
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

    @property
    def _browser(self) -> BrowserLink | None:
        conn = getattr(self, "_conn", None)
        return conn if isinstance(conn, BrowserLink) else None

    def _post(self, content: dict[str, Any], buffers: list[bytes] | None) -> None:
        """A custom message to the front ends (browser mode's commands)."""
        if self.comm is not None:
            self._send_custom(content, buffers)

    def _handle_custom_msg(self, content: Any, buffers: Any) -> None:
        link = self._browser
        if link is not None and isinstance(content, dict) and link.handle(content, buffers):
            if content.get("type") != "hello":
                return
        super()._handle_custom_msg(content, buffers)

    def _rows_wanted(self) -> bool:
        # The front end holding a browser-mode socket shows its rows itself; only other
        # front ends (another tab) need them from the kernel.
        link = self._browser
        return link is None or link.has_other_front_ends()

    def _publish_due(self, now: float) -> float | None:
        link = self._browser
        if link is not None:
            link.watch(now)
        return super()._publish_due(now)

    @traitlets.validate("max_fps", "view_rows")
    def _check_range(self, proposal: dict[str, Any]) -> int:
        name = proposal["trait"].name
        low, high = _RANGES[name]
        value = int(proposal["value"])
        if not low <= value <= high:
            raise traitlets.TraitError(f"{name} must be between {low} and {high}, got {value}")
        return value

    # -- connection ---------------------------------------------------------------

    def connect(self) -> WebSocket:
        """Open the connection (again, after :meth:`close`); no-op while open or connecting."""
        if not self._conn.running:
            self._stream.restart()
            self._conn.start()
            self._refresh()
        return self

    def close(  # type: ignore[override]
        self, code: int = 1000, reason: str = "", *, timeout: float = 5.0, widget: bool = False
    ) -> None:
        """Close the connection with ``code`` and ``reason``, waiting up to ``timeout`` s.

        The widget stays usable (``connect()`` opens again) unless ``widget=True``,
        which also closes the widget's comm and removes its views.
        """
        conn = getattr(self, "_conn", None)
        if conn is None:  # ipywidgets may call close() on a half-built widget
            return
        if isinstance(conn, BrowserLink):
            _check_browser_close(code, reason)
        conn.close(code, reason, timeout)
        self._refresh()
        if widget:
            self._stream.stop_callbacks(wait=timeout)
            self._unbind_all()
            get_publisher().remove(self)
            super().close()

    def __del__(self) -> None:
        conn = getattr(self, "_conn", None)
        # A browser-side socket closes with its model, in the page.
        if isinstance(conn, Connection) and conn.running:
            conn.close(1001, "widget deleted", timeout=1.0)

    @property
    def handshake(self) -> ClientConnection | None:
        """The last opened websockets connection (``.request``, ``.response``, ``.subprotocol``).

        None in browser mode: the browser does not show pages its handshake.
        """
        return self._stream.handshake

    def inspect(self, keep: int = 2000) -> Wiretap:
        """Record the real bytes of every connection from the next one on; return the tap.

        ``WebSocket(url, inspect=True)`` enables it before the first connection;
        :class:`Handshake` and :class:`Inspector` enable it too. Without it,
        reception runs websockets' code untouched. ``keep``: frames kept per connection.
        """
        conn = self._conn
        if not isinstance(conn, Connection):
            raise ValueError(
                "inspect() needs mode='kernel': a browser does not let pages see the bytes "
                "of its WebSocket frames (use the browser's DevTools, Network tab)"
            )
        if conn.tap is None:
            conn.tap = Wiretap(keep)
        return conn.tap

    def ping(self, payload: bytes | str = b"", *, timeout: float = 10.0) -> float:
        """Send a ping frame, wait for the pong and return the round-trip time in seconds.

        Raises:
            ValueError: in browser mode (browsers do not let pages send pings).
            ConnectionClosed: the connection is not open.
            TimeoutError: no pong came within ``timeout`` seconds.
        """
        conn = self._conn
        if not isinstance(conn, Connection):
            raise ValueError(
                "ping() needs mode='kernel': browsers answer pings themselves but give pages "
                "no way to send one"
            )
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        if len(data) > 125:
            raise ValueError(f"a ping carries at most 125 bytes (RFC 6455 §5.5), got {len(data)}")
        return conn.ping(data, timeout)

    # -- sending -------------------------------------------------------------------

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

    @property
    def unsent(self) -> int:
        """Messages that were queued by ``send()`` but dropped: the connection ended first."""
        return self._conn.unsent


def replay(
    path: str | pathlib.Path, speed: float = 1.0, *, loop: bool = False, **kwargs: Any
) -> WebSocket:
    """A WebSocket that plays back a recording made by ``ws.record(path)``.

    Same API and views as a live socket: messages arrive with their recorded
    timing divided by ``speed`` (``0`` or ``float("inf")``: as fast as they can
    be taken); ``loop=True`` starts over at the end; otherwise the socket closes
    with 1000 when the recording ends. ``send()`` goes nowhere: what is sent is
    shown as sent (the log keeps the conversation) and counted, never delivered.
    ``kwargs`` are ``WebSocket`` options (``history``, ``max_fps``, ``persist``,
    ``connect``...).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a line is not a recorded message (the error names its number).
    """
    conn = ReplayConnection(path, speed=speed, loop=loop)
    return WebSocket(f"replay://{pathlib.Path(path).name}", _replay=conn, **kwargs)


def _check_browser_close(code: int, reason: str) -> None:
    """The WebSocket API in browsers closes only with 1000 or 3000-4999, reasons <= 123 bytes."""
    if code != 1000 and not 3000 <= code <= 4999:
        raise ValueError(
            f"close code {code} cannot be sent by a browser (mode='browser'): browsers close "
            "with 1000 or an application code from 3000 to 4999"
        )
    if len(reason.encode("utf-8")) > 123:
        raise ValueError("the close reason must be at most 123 bytes of UTF-8")
