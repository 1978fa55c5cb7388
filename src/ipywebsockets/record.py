"""Recording a socket's messages to a JSON Lines file, for :func:`ipywebsockets.replay`.

``rec = ws.record("session.jsonl")`` writes every message from then on, both
directions, until ``rec.stop()`` (or the end of a ``with`` block). One JSON
object per line, in order::

    {"seq": 12, "time": 1764115200.123456, "dir": "in", "kind": "text", "data": "{\\"price\\": 1}"}
    {"seq": 13, "time": 1764115200.200001, "dir": "out", "kind": "binary", "data": "AAEC"}

``seq`` is the message's number in its socket's stream, ``time`` when it was
received or sent (seconds since the epoch), ``dir`` ``"in"`` or ``"out"``,
``kind`` ``"text"`` (``data`` is the text itself) or ``"binary"`` (``data`` is
the payload in base64). Nothing else is written: no URL, no headers.

Recording costs reception one ``deque.append`` per message: the stream hands
each message to the recorder under its lock, and a thread of the recorder's
own encodes and writes them. If the disk falls more than ``queue`` messages
behind, the newest are not written and counted in :attr:`Recorder.dropped`
(and said in a warning when the recording stops): never silently.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import warnings
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .exceptions import IPyWebSocketsWarning
from .message import Message, loads

if TYPE_CHECKING:
    from ._jupyter.stream import Stream

__all__ = ["Recorder", "decode_line", "encode_message"]

_json_string: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]
_DRAIN_SECONDS = 0.05  # the writer's pace when idle: reception never wakes it


def encode_message(msg: Message) -> str:
    """One line of a recording (without the newline)."""
    data = msg.data if isinstance(msg.data, str) else base64.b64encode(msg.data).decode("ascii")
    # Formatted by hand: about 8 times faster than json.dumps of a dict, and the
    # writer shares the GIL with reception. repr() of a float is valid JSON here
    # (times are finite) and reads back to the same float.
    return (
        f'{{"seq":{msg.seq:d},"time":{msg.time!r},"dir":"{msg.direction}",'
        f'"kind":"{msg.kind}","data":{_json_string(data)}}}'
    )


def decode_line(line: str, where: str = "") -> Message:
    """The message a recorded line holds.

    Raises:
        ValueError: the line is not a recorded message; the text names ``where``.
    """
    try:
        item: Any = loads(line)
    except ValueError as exc:
        raise ValueError(f"{where}not valid JSON ({exc}): {line[:60]!r}") from None
    if not isinstance(item, dict):
        raise ValueError(f"{where}a JSON object was expected, got {type(item).__name__}")
    try:
        seq, at, direction, kind, data = (item[k] for k in ("seq", "time", "dir", "kind", "data"))
    except KeyError as exc:
        raise ValueError(
            f"{where}no {exc.args[0]!r} field (a recorded message has seq, time, dir, kind, data)"
        ) from None
    if direction not in ("in", "out") or kind not in ("text", "binary"):
        raise ValueError(
            f"{where}dir must be 'in' or 'out' and kind 'text' or 'binary', "
            f"got {direction!r} and {kind!r}"
        )
    if not isinstance(data, str) or not isinstance(at, (int, float)):
        raise ValueError(f"{where}data must be a string and time a number")
    if kind == "binary":
        try:
            payload: str | bytes = base64.b64decode(data, validate=True)
        except ValueError as exc:
            raise ValueError(f"{where}binary data is not valid base64: {exc}") from None
    else:
        payload = data
    return Message.make(int(seq), float(at), direction, payload)


class Recorder:
    """Writes a stream's messages to a file until :meth:`stop`; made by ``ws.record(path)``.

    Attributes:
        path: the file written.
        written: messages written so far.
        dropped: messages not written because the disk fell behind (see the module docs).
    """

    def __init__(
        self, stream: Stream, path: str | os.PathLike[str], *, queue: int = 100_000
    ) -> None:
        if queue < 1:
            raise ValueError(f"queue must be at least 1, got {queue}")
        self.path = os.fspath(path)
        self.written = 0
        self.dropped = 0
        self.error = ""
        self._stream = stream
        self._limit = queue
        self._queue: deque[Message] = deque()
        self._stopping = threading.Event()
        self._file = open(self.path, "w", encoding="utf-8")
        self._thread = threading.Thread(
            target=self._run, name=f"ipywebsockets-record-{id(self):x}", daemon=True
        )
        self._thread.start()
        with stream.lock:
            stream.sinks = (*stream.sinks, self._sink)

    def __repr__(self) -> str:
        state = "recording" if self.recording else "stopped"
        return f"<Recorder {self.path!r} {state}: {self.written} written, {self.dropped} dropped>"

    @property
    def recording(self) -> bool:
        return not self._stopping.is_set()

    def _sink(self, msg: Message) -> None:
        # Called by the stream under its lock, for every message: keep it cheap.
        if len(self._queue) < self._limit:
            self._queue.append(msg)
        else:
            self.dropped += 1

    def stop(self, timeout: float | None = 10.0) -> Recorder:
        """Stop recording, write what is queued and close the file; returns the recorder."""
        stream = self._stream
        with stream.lock:
            stream.sinks = tuple(s for s in stream.sinks if s != self._sink)
        self._stopping.set()
        self._thread.join(timeout)
        if self.dropped and not self.error:  # a write error said so already
            warnings.warn(
                f"the recording {self.path!r} misses {self.dropped} messages: the disk fell "
                f"more than {self._limit} messages behind (pass a larger queue=)",
                IPyWebSocketsWarning,
                stacklevel=2,
            )
        return self

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        queue = self._queue
        lines: list[str] = []
        try:
            with self._file as out:
                while True:
                    stopping = self._stopping.is_set()  # read before draining: nothing is left
                    lines = []
                    while queue:
                        lines.append(encode_message(queue.popleft()))
                    if lines:
                        out.write("\n".join(lines))
                        out.write("\n")
                        out.flush()
                        self.written += len(lines)
                        lines = []
                    if stopping:
                        return
                    self._stopping.wait(_DRAIN_SECONDS)
        except OSError as exc:  # a full disk: say so on the recorder, stop taking messages
            with self._stream.lock:
                self._stream.sinks = tuple(s for s in self._stream.sinks if s != self._sink)
                # The batch that failed and what still waited: none of it is (all) on disk.
                self.dropped += len(lines) + len(queue)
                queue.clear()
            self.error = (
                f"cannot write {self.path!r}: {exc}; the recording stopped after "
                f"{self.written} messages ({self.dropped} not written). Its last line may be "
                "cut short: replay() reads up to it"
            )
            warnings.warn(self.error, IPyWebSocketsWarning, stacklevel=1)
