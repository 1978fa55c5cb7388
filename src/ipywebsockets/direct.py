"""The client connection that hands each whole message to its reader as it is parsed.

websockets queues every data frame in an ``Assembler`` and a reader awaits
``recv()`` for each: a future, a task step and a decode per message, about
as much as the stream's own bookkeeping of a small message. A
:class:`DirectConnection` with a ``sink`` calls it with each message that came
in one frame (text decoded as strict UTF-8, binary as bytes) from inside
``data_received``, in the order the frames came. Everything else goes the
usual way and the reader gets it from ``recv()``:

* fragmented messages, and text that is not valid UTF-8 (websockets then
  closes the connection with 1007, as without this);
* every message while the Assembler holds any (so none overtakes another);
* every message while the sink's reader is behind: a sink returns a future
  when its queue is full, and until it is done, messages queue in the
  Assembler, which pauses reading at ``max_queue`` as before;
* the message whose sink call raised: the reader gets it, finds
  :attr:`~DirectConnection.failure` set, and raises it (the connection then
  closes with 1011, as a failing reader's does).

What it relies on in websockets: docs/jupyter-internals.md#websockets-receive-path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.frames import BINARY, TEXT, Frame
from websockets.protocol import Event

__all__ = ["DirectConnection", "Sink"]

# The reader's on_message(data): None, or what to await before it takes more.
Sink = Callable[..., Awaitable[None] | None]


class DirectConnection(ClientConnection):
    """A ``ClientConnection`` (for ``connect(create_connection=...)``) with a direct reader."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sink: Sink | None = None  # set by the reader once it reads
        self.held: asyncio.Future[None] | None = None  # the reader is behind until it is done
        self.failure: Exception | None = None  # what the sink raised

    def hold(self, until: Awaitable[None]) -> asyncio.Future[None]:
        """Send messages the usual way (through ``recv()``) until ``until`` is done."""
        held = self.held = asyncio.ensure_future(until)
        held.add_done_callback(self._release)
        return held

    def _release(self, until: asyncio.Future[None]) -> None:
        if self.held is until:
            self.held = None

    def process_event(self, event: Event) -> None:
        sink = self.sink
        if (
            sink is None
            or self.held is not None
            or not isinstance(event, Frame)
            or not event.fin
            or (event.opcode is not TEXT and event.opcode is not BINARY)
            or self.recv_messages.frames  # earlier messages wait there: keep the order
        ):
            super().process_event(event)
            return
        raw = event.data
        if event.opcode is TEXT:
            try:
                data: str | bytes = str(raw, "utf-8")
            except UnicodeDecodeError:  # recv() raises it and websockets closes with 1007
                super().process_event(event)
                return
        else:
            data = raw if type(raw) is bytes else bytes(raw)
        try:
            behind = sink(data)
        except Exception as exc:  # the reader raises it when it gets this message
            self.failure, self.sink = exc, None
            super().process_event(event)
            return
        if behind is not None:
            self.hold(behind)
