"""Bindings: a field of a socket's messages drives another widget's trait, or an Output widget.

A binding is a follower, like the live views: it costs reception nothing.
At most ``max_fps`` times a second the process's publisher thread
(:mod:`.publisher`, the one place that sets widget state from the stream)
asks it to read what arrived since its last read
(:meth:`~.stream.Stream.read_since`). :class:`Binding` looks for the newest
incoming message carrying the field (newest first: only the messages newer
than that one are parsed) and sets the target trait once, so a 10,000 msg/s
stream drives a slider with at most ``max_fps`` comm messages a second and
the last value always wins. :class:`OutputBinding` hands the newest message
to its own thread, which calls the user's function and collects what it
prints and displays (:mod:`.output`) for the Output widget.

What a binding passes over is counted on its handle (``coalesced``,
``skipped``). A problem (a field no message carries, a transform, target or
function that raises) is reported once per binding in the socket's
``binding_errors`` trait, shown by its view, and in the handle's ``error``;
the stream goes on.
"""

from __future__ import annotations

import difflib
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import traitlets

from ..message import Message
from ..paths import MISSING, Path, flatten
from ..record import Recorder
from .follow import Follower
from .output import OutputBinding
from .publisher import get_publisher

if TYPE_CHECKING:
    from .stream import Stream

__all__ = ["Binding", "Bindings"]

_B = TypeVar("_B", "Binding", "OutputBinding")
_NO_FIELD_AFTER = 100  # incoming messages without the field before a binding says so
_MAX_ERRORS = 20


class Binding(Follower):
    """A field of a socket's incoming messages driving a trait; made by :meth:`WebSocket.bind`.

    Attributes:
        applied: values set on the target.
        coalesced: incoming messages passed over because a newer message won in the same
            update (coalescing: the last value wins, at most ``max_fps`` sets a second).
        unmatched: incoming messages read that did not carry the field (or were not JSON).
        skipped: messages evicted from the history before the binding read them.
        failed: values the transform or the target refused.
        error: the last problem reported for this binding, "" if none.
    """

    def __init__(
        self,
        source: Bindings,
        path: Path,
        target: traitlets.HasTraits,
        name: str,
        transform: Callable[[Any], Any] | None,
        max_fps: int | None,
    ) -> None:
        super().__init__(source, max_fps)
        self.path = path
        self.target = target
        self.name = name
        self.transform = transform
        self.applied = 0
        self.unmatched = 0
        self.failed = 0
        self._example: Any = MISSING  # a message value without the field, for the hint
        self.label = f"bind({path.text!r} → {type(target).__name__}.{name})"

    def __repr__(self) -> str:
        state = "active" if self.active else "unbound"
        return (
            f"<Binding {self.label} {state}: {self.applied} applied, "
            f"{self.coalesced} coalesced, {self.unmatched} unmatched, {self.skipped} skipped>"
        )

    def _update(self, messages: list[Message]) -> None:
        hit: Message | None = None
        value: Any = MISSING
        for msg in reversed(messages):
            if msg.direction != "in":
                continue
            if hit is not None:
                self.coalesced += 1
                continue
            carried = MISSING if msg.kind == "binary" else msg.value()
            found = self.path.get(carried)
            if found is MISSING:
                self.unmatched += 1
                if self.applied == 0:
                    self._example = carried
                continue
            hit, value = msg, found
        if hit is None:
            if self.applied == 0 and self.unmatched >= _NO_FIELD_AFTER:
                self._report("missing", self._missing_text())
            return
        self._apply(hit, value)

    def _apply(self, msg: Message, value: Any) -> None:
        if self.transform is not None:
            try:
                value = self.transform(value)
            except Exception as exc:
                self.failed += 1
                self._report(
                    "transform",
                    f"transform raised {type(exc).__name__}: {exc} (message #{msg.seq}); "
                    "the binding goes on",
                )
                return
        try:
            setattr(self.target, self.name, value)
        except Exception as exc:
            self.failed += 1
            self._report(
                "set",
                f"cannot set {_short(value)}: {type(exc).__name__}: {exc} "
                f"(message #{msg.seq}); the binding goes on",
            )
            return
        self.applied += 1

    def _missing_text(self) -> str:
        text = f"no message carried {self.path.text!r} in {self.unmatched} incoming messages"
        example = self._example
        if isinstance(example, (dict, list)):
            paths = [p for p, _ in flatten(example, 200) if p]
            close = difflib.get_close_matches(self.path.text, paths, 1, 0.5)
            if close:
                return f"{text}; did you mean {close[0]!r}?"
            if paths:
                return f"{text}; they carry e.g. {', '.join(repr(p) for p in paths[:6])}"
        elif example is not MISSING:
            return f"{text}; they are not JSON objects (e.g. {_short(example)})"
        return text


class Bindings:
    """The binding and recording half of the WebSocket API (a mixin of the widget)."""

    _stream: Stream
    _sync_lock: threading.RLock
    max_fps: int
    binding_errors: list[str]

    if TYPE_CHECKING:  # provided by the widget

        def set_trait(self, name: str, value: Any) -> None: ...

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

        Updates are coalesced: at most ``max_fps`` a second (the socket's by
        default), each with the newest value, so a fast stream can drive a
        slider without flooding the notebook; the last value always arrives.
        ``field`` is a path such as ``"price"`` or ``"data.bids.0.price"``;
        ``transform(value)``, if given, turns the field's value into the trait's.
        Messages without the field are passed over; if none carries it, or the
        transform or target refuses a value, ``binding_errors`` says so once.

        Returns:
            A :class:`Binding`: ``unbind()`` ends it; ``applied``, ``coalesced``,
            ``skipped`` count what happened.

        Raises:
            ValueError: a malformed ``field``, or ``target`` has no (writable) ``trait``.
            TypeError: ``target`` is not a traitlets object, or ``transform`` not callable.
        """
        path = Path(field)
        _check_target(target, trait)
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable, not {type(transform).__name__}")
        return self._follow(Binding(self, path, target, trait, transform, max_fps))

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
        of the binding's own; messages that arrive meanwhile are passed over and
        counted (``coalesced``). What ``fn`` prints or displays is appended to the
        ``ipywidgets.Output`` widget (its last ``keep`` outputs are kept);
        ``clear=True`` replaces the previous call's output instead (a live panel),
        as does ``clear_output()`` inside ``fn``. An exception is reported once in
        ``binding_errors`` (its traceback in the Output widget) and the calls go on.

        Raises:
            TypeError: ``output`` is not an Output widget or ``fn`` not callable.
        """
        if not isinstance(output, traitlets.HasTraits) or not output.has_trait("outputs"):
            raise TypeError(
                f"bind_output() shows output in an ipywidgets.Output, not {type(output).__name__}"
            )
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        return self._follow(OutputBinding(self, output, fn, clear, keep, max_fps))

    @property
    def bindings(self) -> list[Binding | OutputBinding]:
        """The active bindings of this socket."""
        return list(self._bindings_by_id().values())

    def record(self, path: str | os.PathLike[str], *, queue: int = 100_000) -> Recorder:
        """Write every message (both directions) from now on to ``path`` (JSON Lines).

        See :mod:`ipywebsockets.record` for the format; ``iws.replay(path)``
        plays it back. Writing happens on a thread of its own; if the disk falls
        more than ``queue`` messages behind, the excess is counted in ``dropped``.

        Returns:
            A :class:`Recorder`: ``stop()`` (or a ``with`` block) ends it.
        """
        return Recorder(self._stream, path, queue=queue)

    # -- for the bindings -------------------------------------------------------------

    def _unbind_all(self) -> None:
        """The widget closes: end every binding (and the threads of bind_output)."""
        for binding in self.bindings:
            binding.unbind()

    def _bindings_by_id(self) -> dict[int, Binding | OutputBinding]:
        table: dict[int, Binding | OutputBinding] | None = getattr(self, "_binding_table", None)
        if table is None:
            table = {}
            self._binding_table = table
            self._binding_texts: dict[int, str] = {}
        return table

    def _follow(self, binding: _B) -> _B:
        with self._sync_lock:
            self._bindings_by_id()[id(binding)] = binding  # the publisher holds it weakly
        get_publisher().add(binding)
        return binding

    def _drop_binding(self, binding: Follower) -> None:
        with self._sync_lock:
            self._bindings_by_id().pop(id(binding), None)
            if self._binding_texts.pop(id(binding), None) is not None:
                self._show_binding_errors()

    def _binding_error(self, binding: Follower, text: str) -> None:
        with self._sync_lock:
            self._bindings_by_id()
            self._binding_texts[id(binding)] = text
            self._show_binding_errors()

    def _show_binding_errors(self) -> None:
        self.set_trait("binding_errors", list(self._binding_texts.values())[-_MAX_ERRORS:])


def _check_target(target: object, trait: str) -> None:
    if not isinstance(target, traitlets.HasTraits):
        raise TypeError(
            f"bind() sets a trait of a widget or traitlets object, not a {type(target).__name__}"
        )
    kind = type(target).__name__
    if not target.has_trait(trait):
        names = [n for n in target.trait_names() if not n.startswith("_")]
        close = difflib.get_close_matches(trait, names, 1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{kind} has no trait {trait!r}{hint}")
    if target.traits()[trait].read_only:
        raise ValueError(f"{kind}.{trait} is read-only: bind to a trait that can be set")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
