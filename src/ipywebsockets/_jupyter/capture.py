"""Capture what one thread prints and displays as Jupyter outputs; other threads are untouched.

``print`` writes to ``sys.stdout``, which every thread shares, so
:func:`capturing` wraps ``sys.stdout``/``sys.stderr`` once in a pass-through
:class:`_Router`: writes from a thread that is capturing are collected, all
others go to the wrapped stream untouched (ipykernel's own streams keep
routing them to their cells). ``display()`` and ``clear_output()`` in
ipykernel go through the display publisher's hooks, which are per thread.

ipywidgets recommends filling an ``Output`` widget from a background thread
with its ``outputs`` (``append_stdout``) rather than ``with output:``, which
relies on the front end matching message ids of the running cell; this is
what :mod:`.bindings` does with what is captured here.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .callbacks import shell

__all__ = ["Captured", "capturing"]

_local = threading.local()
_install_lock = threading.Lock()


class Captured:
    """Outputs of one call, in order; ``cleared`` when it called ``clear_output()``."""

    __slots__ = ("cleared", "outputs")

    def __init__(self) -> None:
        self.outputs: list[dict[str, Any]] = []
        self.cleared = False

    def write(self, name: str, text: str) -> None:
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def hook(self, msg: dict[str, Any]) -> dict[str, Any] | None:
        """A display publisher hook: keep display_data and clear_output, publish nothing."""
        kind = msg.get("header", {}).get("msg_type")
        content = msg.get("content", {})
        if kind == "display_data":
            self.outputs.append(
                {
                    "output_type": "display_data",
                    "data": content.get("data", {}),
                    "metadata": content.get("metadata", {}),
                }
            )
            return None
        if kind == "clear_output":
            self.outputs.clear()
            self.cleared = True
            return None
        return msg  # update_display_data targets a display elsewhere: let it through


class _Router:
    """A stand-in for ``sys.stdout``/``sys.stderr`` that diverts capturing threads' writes."""

    def __init__(self, inner: Any, name: str) -> None:
        self._inner = inner
        self._name = name

    def write(self, text: str) -> int:
        sink: Captured | None = getattr(_local, "sink", None)
        if sink is None:
            return int(self._inner.write(text))
        sink.write(self._name, text)
        return len(text)

    def flush(self) -> None:
        if getattr(_local, "sink", None) is None:
            self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _install() -> None:
    with _install_lock:
        for name in ("stdout", "stderr"):
            current = getattr(sys, name)
            if not isinstance(current, _Router):
                setattr(sys, name, _Router(current, name))


@contextmanager
def capturing() -> Iterator[Captured]:
    """Collect what the calling thread prints and displays until the block ends."""
    _install()
    captured = Captured()
    pub: Any = getattr(shell(), "display_pub", None)
    hooked = hasattr(pub, "register_hook")
    _local.sink = captured
    if hooked:
        pub.register_hook(captured.hook)
    try:
        yield captured
    finally:
        _local.sink = None
        if hooked:
            pub.unregister_hook(captured.hook)
