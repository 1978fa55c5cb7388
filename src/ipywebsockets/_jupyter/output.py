"""``ws.bind_output(output, fn)``: a function of the newest message, its output in an Output widget.

The function runs on the binding's own thread (never on the I/O loop, never
on the publisher thread), at most ``max_fps`` times a second; what it prints
or displays is captured (:mod:`.capture`) and becomes the Output widget's
``outputs``, which the publisher thread sets.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from ..message import Message
from .capture import capturing
from .follow import Follower, Source
from .publisher import get_publisher

__all__ = ["OutputBinding"]


class OutputBinding(Follower):
    """A function called with the newest message, its output shown in an Output widget.

    Made by :meth:`WebSocket.bind_output`. The function runs on this binding's
    own thread (never on the I/O loop or the publisher), at most ``max_fps``
    times a second, with the newest incoming message; what it prints or
    displays becomes the Output widget's ``outputs`` (the last ``keep``).

    Attributes:
        calls: times the function was called.
        coalesced: incoming messages passed over (a newer one arrived first).
        skipped: messages evicted from the history before the binding read them.
        failed: calls that raised (the first traceback is shown in the Output widget).
        error: the problem reported for this binding, "" if none.
    """

    def __init__(
        self,
        source: Source,
        output: Any,
        fn: Callable[[Message], object],
        clear: bool,
        keep: int,
        max_fps: int | None,
    ) -> None:
        super().__init__(source, max_fps)
        self.output = output
        self.fn = fn
        self.clear = clear
        self.keep = keep
        self.calls = 0
        self.failed = 0
        name = getattr(fn, "__qualname__", type(fn).__name__)
        self.label = f"bind_output({type(output).__name__}, {name})"
        self._cond = threading.Condition()
        self._slot: Message | None = None
        self._outputs: list[dict[str, Any]] = list(output.outputs)
        self._changed = False  # outputs the publisher has not set yet
        self._thread = threading.Thread(
            target=self._run, name=f"ipywebsockets-output-{id(self):x}", daemon=True
        )
        self._thread.start()

    def __repr__(self) -> str:
        state = "active" if self.active else "unbound"
        return (
            f"<OutputBinding {self.label} {state}: {self.calls} calls, "
            f"{self.coalesced} coalesced, {self.skipped} skipped, {self.failed} failed>"
        )

    def unbind(self) -> None:
        super().unbind()
        with self._cond:
            self._cond.notify()

    def _publish_due(self, now: float) -> float | None:
        if self._changed:
            with self._cond:
                outputs, self._changed = tuple(self._outputs), False
            self.output.outputs = outputs
        return super()._publish_due(now)

    def _update(self, messages: list[Message]) -> None:
        incoming = [m for m in messages if m.direction == "in"]
        if not incoming:
            return
        self.coalesced += len(incoming) - 1
        with self._cond:
            if self._slot is not None:  # the function is still busy with an older one
                self.coalesced += 1
            self._slot = incoming[-1]
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._slot is None and self.active:
                    self._cond.wait()
                msg, self._slot = self._slot, None
                if not self.active or msg is None:
                    return
            self._call(msg)

    def _call(self, msg: Message) -> None:
        with capturing() as captured:
            try:
                self.fn(msg)
            except BaseException as exc:  # user code: the binding goes on
                self.failed += 1
                if "raised" not in self._reported:
                    print(traceback.format_exc(), end="", file=sys.stderr)
                self._report(
                    "raised",
                    f"raised {type(exc).__name__}: {exc} on message #{msg.seq}; "
                    "the binding goes on",
                )
        self.calls += 1
        with self._cond:
            before = self._outputs
            outputs = [] if self.clear or captured.cleared else list(before)
            outputs.extend(captured.outputs)
            del outputs[: -self.keep]
            if outputs != before:
                self._outputs, self._changed = outputs, True
                get_publisher().wake()
