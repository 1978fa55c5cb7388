"""Playing back a recording (:mod:`ipywebsockets.record`) as if a server sent it again.

A :class:`ReplayConnection` is a :class:`~.transport.Transport` like the
kernel's :class:`~.client.Connection`: it tells its events (the widget's
stream) the same things, on the same I/O loop (:mod:`.runtime`): so a replay has the
WebSocket's whole API, views and bindings, offline. Recorded incoming
messages arrive with their recorded spacing divided by ``speed``; recorded
outgoing ones are shown as sent at their place. No widgets here.

``send()`` on a replay delivers nothing (there is no server): the message is
shown as sent, so the log keeps the conversation, and counted in
:attr:`ReplayConnection.sent_nowhere`.

A recording is read a line at a time, never whole: once when opened (to check
every line and learn its length and duration), then again as it plays. Memory
stays flat however long it is. A last line cut short (a full disk, a killed writer)
ends the recording there, with a warning; a bad line anywhere else is an
error that names it. The I/O loop is shared by every socket of the kernel, so
playback yields to it at least every few hundred messages, at any speed, and a
looping pass never restarts sooner than one mean message gap (10 ms at least).
"""

from __future__ import annotations

import asyncio
import math
import os
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from .exceptions import ConnectionClosed, IPyWebSocketsWarning
from .message import Message
from .record import decode_line
from .runtime import Runtime, get_runtime
from .transport import BaseTransport, Events

__all__ = ["ReplayConnection", "load", "read"]

_YIELD_EVERY = 200  # as fast as possible still lets the loop breathe this often


def read(
    path: str | os.PathLike[str], on_cut: Callable[[str], None] | None = None
) -> Iterator[Message]:
    """The messages of a recording, in order, read a line at a time.

    A last line cut short (no newline, not a whole message) ends the recording
    with an :class:`~.exceptions.IPyWebSocketsWarning` that says so (or
    ``on_cut(text)`` when given).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a line is not a recorded message; the error names the file and line.
    """
    name = os.fspath(path)
    with open(name, encoding="utf-8", errors="surrogateescape") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield decode_line(line, f"{name}, line {number}: ")
            except ValueError as exc:
                if line.endswith("\n") or lines.read(1):
                    raise
                text = (
                    f"the last line of {name} (line {number}) is cut short, as when the disk "
                    f"filled or the writer was killed: replaying up to line {number - 1} ({exc})"
                )
                if on_cut is None:
                    warnings.warn(text, IPyWebSocketsWarning, stacklevel=2)
                else:
                    on_cut(text)
                return


def load(path: str | os.PathLike[str]) -> list[Message]:
    """The messages of a recording, in order, as a list (see :func:`read`)."""
    return list(read(path))


def _summary(path: str) -> tuple[int, float, float, str]:
    """``(messages, first time, last time, cut)`` of a recording, read once, nothing kept.

    ``cut`` says that the last line is cut short ("" if it is not).
    """
    count, first, last = 0, 0.0, 0.0
    cut: list[str] = []
    for msg in read(path, cut.append):
        if not count:
            first = msg.time
        count, last = count + 1, msg.time
    return count, first, last, "".join(cut)


class ReplayConnection(BaseTransport):
    """Plays a recording to its events, with its timing (see the module docs).

    Args:
        path: a file written by ``ws.record(path)``.
        speed: how many times faster than recorded; ``0`` or ``inf``: as fast as possible.
        loop: start over at the end instead of closing.
        events: who hears it (the widget sets its stream here before ``start()``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        speed: float = 1.0,
        loop: bool = False,
        events: Events | None = None,
        runtime: Runtime | None = None,
    ) -> None:
        if not isinstance(speed, (int, float)) or speed < 0 or math.isnan(speed):
            raise ValueError(f"speed must be a number >= 0 (0: as fast as possible), got {speed!r}")
        self.path = os.fspath(path)
        self.count, self._first, self._last, cut = _summary(self.path)
        if cut:
            warnings.warn(cut, IPyWebSocketsWarning, stacklevel=2)
        self.speed = float(speed)
        self.loop = loop
        self.events = events
        self.status = "closed"
        self.unsent = 0  # never anything queued: sends are recorded at once
        self.sent_nowhere = 0  # messages send() showed as sent, delivered nowhere
        self.played = 0  # recorded messages played so far
        self._runtime = runtime or get_runtime()
        self._task: asyncio.Task[None] | None = None
        self._active = False
        self._closing: tuple[int, str] | None = None

    mode = "replay"
    no_wire = "a replay plays recorded messages; it has no connection to ping or inspect"

    def __repr__(self) -> str:
        return f"<ReplayConnection {self.path!r} x{self.speed:g} {self.status}>"

    @property
    def running(self) -> bool:
        """Whether the replay is playing (or about to)."""
        return self._active

    def start(self) -> None:
        """Start playing from the beginning (no-op while playing)."""
        if self._active:
            return
        if self.events is None:
            raise RuntimeError("ReplayConnection.start() needs events to report to")
        self._active = True
        self._closing = None
        self.status = "connecting"
        self._runtime.call_soon(self._spawn)

    def _spawn(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._main())

    def send(self, payload: str | bytes, first: bool = False) -> None:
        """Show ``payload`` as sent; a replay has no server, so it goes nowhere.

        Raises:
            ConnectionClosed: the replay is not playing.
        """
        if not self._active or self._closing is not None:
            raise ConnectionClosed(
                f"cannot send: the replay of {self.path} is not playing; call connect() to "
                "play it again"
            )
        self.sent_nowhere += 1
        self._runtime.call_soon(self._sent, payload)

    def _sent(self, payload: str | bytes) -> None:
        if self.events is not None:
            self.events.on_sent(payload)

    def close(self, code: int = 1000, reason: str = "", timeout: float | None = None) -> None:
        """Stop playing; its events hear a close with ``code`` and ``reason``."""
        if not self._active:
            return
        self._runtime.start_and_wait(self._close(code, reason), timeout)

    async def _close(self, code: int, reason: str) -> None:
        self._closing = (code, reason)
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
        self._finish(code, reason)  # a task cancelled before it ran says nothing itself

    # -- I/O loop ------------------------------------------------------------------

    def _set_status(self, status: str) -> None:
        self.status = status
        assert self.events is not None
        self.events.on_status(status, "")

    async def _main(self) -> None:
        events = self.events
        assert events is not None
        error = ""
        try:
            self._set_status("connecting")
            events.on_open("", None)
            self._set_status("open")
            while True:
                started = time.monotonic()
                await self._play(events)
                if not self.loop or not self.count:
                    break
                await asyncio.sleep(max(self._pass_gap() - (time.monotonic() - started), 0.0))
        except asyncio.CancelledError:
            if self._closing is None:
                raise
        except (OSError, ValueError) as exc:  # the file changed or went away while playing
            error = f"the replay stopped after {self.played} messages: {exc}"
        finally:
            self._finish(*(self._closing or (1000, "the replay ended")), error)

    def _finish(self, code: int, reason: str, error: str = "") -> None:
        if not self._active:
            return
        self.status = "closed"
        self._active = False
        assert self.events is not None
        self.events.on_close(code, reason, error)

    def _pass_gap(self) -> float:
        """Shortest time a looping pass may take: the recording, plus one mean gap."""
        span = self._last - self._first
        fast = self.speed == 0 or math.isinf(self.speed)
        gap = span / max(1, self.count - 1)
        return max(0.010, 0.0 if fast else (span + gap) / self.speed)

    async def _play(self, events: Events) -> None:
        fast = self.speed == 0 or math.isinf(self.speed)
        first = self._first
        start = time.monotonic()
        unyielded = 0
        for msg in read(self.path, on_cut=lambda text: None):  # said once, when opened
            delay = 0.0 if fast else start + (msg.time - first) / self.speed - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                unyielded = 0
            elif unyielded >= _YIELD_EVERY:  # behind or as fast as possible: let others run
                await asyncio.sleep(0)
                unyielded = 0
            unyielded += 1
            self.played += 1
            if msg.direction == "out":
                events.on_sent(msg.data)
                continue
            pause = events.on_message(msg.data)
            if pause is not None:
                await pause  # slow on_message handlers: wait as a live socket would

    def describe(self) -> dict[str, Any]:
        """What is being played: file, messages, recorded duration in seconds, speed."""
        span = self._last - self._first
        return {"path": self.path, "messages": self.count, "duration": span, "speed": self.speed}
