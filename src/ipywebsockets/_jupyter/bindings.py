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
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import traitlets

from ..message import Message
from ..paths import MISSING, Path, flatten
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
            except BaseException as exc:  # user code: the publisher must go on
                self.failed += 1
                self._report(
                    "transform",
                    f"transform raised {type(exc).__name__}: {exc} (message #{msg.seq}); "
                    "the binding goes on",
                )
                return
        try:
            setattr(self.target, self.name, value)
        except BaseException as exc:  # a user validator or observer
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
    """The bindings of one socket: a registry, their rate, and where their problems are said.

    Args:
        stream: the socket's stream, which the bindings follow.
        max_fps: the socket's rate (bindings without their own follow it).
        lock: serialises the socket's widget state (the publisher thread sets it too).
        show_errors: shows the current problems (the socket's ``binding_errors``).
    """

    def __init__(
        self,
        stream: Stream,
        max_fps: Callable[[], int],
        lock: threading.RLock,
        show_errors: Callable[[list[str]], None],
    ) -> None:
        self.stream = stream
        self._max_fps = max_fps
        self._lock = lock
        self._show_errors = show_errors
        self._table: dict[int, Binding | OutputBinding] = {}  # the publisher holds them weakly
        self._texts: dict[int, str] = {}

    def max_fps(self) -> int:
        return int(self._max_fps())

    def bind(
        self,
        field: str,
        target: traitlets.HasTraits,
        trait: str,
        transform: Callable[[Any], Any] | None,
        max_fps: int | None,
    ) -> Binding:
        """A :class:`Binding`; see ``WebSocket.bind``."""
        path = Path(field)
        _check_target(target, trait)
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable, not {type(transform).__name__}")
        return self._follow(Binding(self, path, target, trait, transform, max_fps))

    def bind_output(
        self,
        output: Any,
        fn: Callable[[Message], object],
        clear: bool,
        keep: int,
        max_fps: int | None,
    ) -> OutputBinding:
        """An :class:`OutputBinding`; see ``WebSocket.bind_output``."""
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
    def active(self) -> list[Binding | OutputBinding]:
        with self._lock:
            return list(self._table.values())

    def unbind_all(self) -> None:
        """The socket closes: end every binding (and the threads of bind_output)."""
        for binding in self.active:
            binding.unbind()

    def _follow(self, binding: _B) -> _B:
        with self._lock:
            self._table[id(binding)] = binding
        get_publisher().add(binding)
        return binding

    # -- Source: called by the bindings --------------------------------------------------

    def drop(self, follower: Follower) -> None:
        with self._lock:
            self._table.pop(id(follower), None)
            if self._texts.pop(id(follower), None) is not None:
                self._show()

    def report(self, follower: Follower, text: str) -> None:
        with self._lock:
            self._texts[id(follower)] = text
            self._show()

    def _show(self) -> None:
        self._show_errors(list(self._texts.values())[-_MAX_ERRORS:])


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
