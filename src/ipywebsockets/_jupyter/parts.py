"""The parts a :class:`~..widget.WebSocket` is made of, built from its arguments.

``WebSocket.__init__`` hands over its connection arguments as they were passed
(:data:`CONNECTION_OPTIONS` names them; a structure test keeps the list and the
signature in step) and gets back its parts: the stream, the front-end sync,
the transport, the bindings registry and the reader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from ..client import Connection
from ..codec_link import CodecLink
from ..credentials import shown_url
from ..protocols.base import Codec
from ..redact import redact_url
from ..replay import ReplayConnection
from ..transport import Transport
from .bindings import Bindings
from .derived import DerivedLink
from .frontend import FrontendSync
from .options import check_persist, make_transport
from .reading import Reader
from .stream import Stream

if TYPE_CHECKING:
    from ..widget import WebSocket

__all__ = ["CONNECTION_OPTIONS", "FLUSH_ROWS", "Parts", "assemble"]

# WebSocket(...)'s arguments that shape the connection and its stream.
CONNECTION_OPTIONS = frozenset(
    {
        "protocols", "headers", "history", "mode", "reconnect", "send_queue", "callback_queue",
        "max_size", "ping_interval", "ping_timeout", "open_timeout", "close_timeout", "ssl",
        "persist", "persist_sent", "proxy",
    }
)  # fmt: skip
# Rows one front-end flush carries (the rest are counted as omitted): under about 1 MB.
FLUSH_ROWS = 1000


class Parts(NamedTuple):
    stream: Stream
    sync: FrontendSync
    transport: Transport
    bindings: Bindings
    reader: Reader


def assemble(
    ws: WebSocket,
    url: str | Callable[[], Any],
    replaying: ReplayConnection | DerivedLink | None,
    options: dict[str, Any],
    codec: Codec | None = None,
) -> Parts:
    """Check the arguments and build the parts of ``ws`` (nothing is opened or synced yet).

    ``codec``: a protocol's codec between the frames and the stream (kernel mode only).

    Raises:
        ValueError, TypeError: an argument that cannot work, with what to pass instead.
    """
    options = dict(options)
    persist, persist_sent = options.pop("persist"), options.pop("persist_sent")
    check_persist(persist, persist_sent)
    stream = Stream(
        redact_url(shown_url(url)),
        history=options.pop("history"),
        view_rows=FLUSH_ROWS,
        callback_queue=options["callback_queue"],
    )
    sync = FrontendSync(ws, stream, persist, persist_sent)
    stream.on_change = sync.mark_dirty
    mode = options.pop("mode")
    transport: Transport
    if codec is None:
        transport = make_transport(url, mode, stream, sync.send, replaying=replaying, **options)
    else:
        if mode != "kernel" or replaying is not None:
            raise ValueError(
                f"a {codec.name} socket runs its protocol in the kernel: mode={mode!r} is not "
                "supported; leave mode= out (a plain WebSocket(url, mode='browser') can "
                "still show the raw frames in the page)"
            )
        link = CodecLink(codec, stream)
        inner = make_transport(url, mode, stream, sync.send, replaying=None, **options)
        assert isinstance(inner, Connection)
        inner.events = link  # frames go through the codec; its messages to the stream
        link.attach(inner)
        transport = link
    sync.attach(transport, ws.connect, ws.send)
    bindings = Bindings(
        stream,
        lambda: ws.max_fps,
        sync.lock,
        lambda texts: ws.set_trait("binding_errors", texts),
    )
    reader = Reader(stream, transport, sync.refresh, lambda: ws.max_fps)
    return Parts(stream, sync, transport, bindings, reader)
