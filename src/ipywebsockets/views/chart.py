"""``Chart(ws, "price")``: a live line chart of numeric fields, drawn with uPlot in the page.

The kernel picks the fields out of each new message (at most ``max_fps``
times a second, on the publisher thread), keeps the rolling window and sends
the view only the new points, as float64 buffers. The page keeps its own
bounded copy of the window and redraws at most ``fps`` times a second,
however fast messages arrive (less often while the page is busy), thinning
the window to about two points per pixel column (min and max) when it holds
more.

With ``by="symbol"`` each message's ``symbol`` names the line its values go
to (:mod:`._groups`): one line per group, per field path.
"""

from __future__ import annotations

from typing import Any

import traitlets
from ipywidgets import Layout

from ..message import Message
from ..paths import Path
from ..widget import WebSocket
from ._base import SourceView
from ._groups import GroupCounts, GroupedWindow, Groups, check_max_groups, grouped_numbers
from ._window import Window, numbers, to_bytes

__all__ = ["Chart"]


def _by_path(by: Any) -> Path:
    """``by`` parsed as a field path, or a ValueError naming it."""
    if not isinstance(by, str):
        raise ValueError(f"by= names a field, e.g. by='symbol', not {type(by).__name__} {by!r}")
    try:
        return Path(by)
    except ValueError as exc:
        raise ValueError(f"by={by!r} is not a field path: {exc}") from None


def _everything(source: WebSocket) -> int:
    """A backlog that takes all of the source's history (the base class checks the type)."""
    return source._stream.history.maxlen if isinstance(source, WebSocket) else 0


class Chart(GroupCounts, SourceView):
    """A live line chart of numeric fields of a WebSocket's messages, time on the x axis.

    ``Chart(ws, "price", "data.bids.0.price")`` draws one line per field path
    (dotted keys, list indices). Numbers sent as strings count; messages that
    carry none of the fields as a number are counted in ``ignored``. The view
    has a legend, shows the values under the cursor, and can be paused (it
    keeps collecting; resuming jumps to now).

    ``Chart(ws, "price", by="symbol")`` draws one line per distinct value of
    each message's ``symbol`` field (a path too, e.g. ``"data.sym"``), labelled
    with that value (``"ABC · bid"`` with several fields), in the order the
    groups first come, at most ``max_groups`` of them. A message that carries
    a number but no group (the field missing, ``null``, an object or a list) is
    counted in ``ungrouped``; groups past ``max_groups`` in ``extra_groups``,
    their messages in ``extra_messages``. The ``points`` bound applies to each
    group; the ``window`` counts back from the newest point of any group.

    Args:
        source: the :class:`~ipywebsockets.WebSocket` to chart (kernel or browser mode).
        *paths: the fields to draw, e.g. ``"price"`` or ``"data.bids.0.price"``.
        window: seconds of data shown, counted back from the newest point
            (``None``: bounded by ``points`` only).
        points: most points kept (in the kernel and in the page).
        height: the plot's height in pixels.
        fps: most redraws per second in the page (it draws less often while the page
            is busy, down to 2 a second).
        by: the field whose value names each message's line (None: one line per path).
        max_groups: most lines' groups with ``by`` (1 to 1000).

    Raises:
        ValueError: no path, or a malformed one (``by`` too); a bad ``max_groups``.
    """

    _view = traitlets.Unicode("chart").tag(sync=True)
    paths = traitlets.List(traitlets.Unicode(), read_only=True).tag(sync=True)
    window = traitlets.Float(60.0, allow_none=True).tag(sync=True)
    points = traitlets.Int(100_000).tag(sync=True)
    height = traitlets.Int(240).tag(sync=True)
    fps = traitlets.Int(30).tag(sync=True)
    paused = traitlets.Bool(False).tag(sync=True)
    by = traitlets.Unicode(None, allow_none=True, read_only=True).tag(sync=True)
    max_groups = traitlets.Int(20, read_only=True).tag(sync=True)

    def __init__(
        self,
        source: WebSocket,
        *paths: str,
        window: float | None = 60.0,
        points: int = 100_000,
        height: int = 240,
        fps: int = 30,
        by: str | None = None,
        max_groups: int = 20,
        **kwargs: Any,
    ) -> None:
        if not paths:
            raise ValueError(
                "Chart needs at least one field path to draw, e.g. iws.Chart(ws, 'price') "
                "or iws.Chart(ws, 'data.bids.0.price')"
            )
        parsed = [Path(p) for p in paths]
        if len(set(parsed)) != len(parsed):
            raise ValueError(f"a field path is given twice in {list(paths)}")
        self._paths = parsed
        check_max_groups(max_groups)
        self._groups = None if by is None else Groups(_by_path(by), max_groups)
        self._win = Window(len(parsed), points, window)  # checks points and window
        self._grouped = GroupedWindow(len(parsed), points, window)
        self._sent_groups = 0  # group labels the page was told of
        self._ignored = 0
        kwargs.setdefault("layout", Layout(flex="1 1 360px", min_width="0"))
        super().__init__(
            source,
            backlog=_everything(source),
            window=window,
            points=points,
            height=height,
            fps=fps,
            **kwargs,
        )
        self._mark_dirty()  # the backlog already in the history

    def __repr__(self) -> str:
        by = f" by {self.by}" if self.by else ""
        return f"<Chart {', '.join(self.paths)}{by} of {self.source.url}, {len(self._of)} points>"

    @property
    def _of(self) -> Window | GroupedWindow:
        return self._win if self._groups is None else self._grouped

    @property
    def ignored(self) -> int:
        """Incoming messages that carried none of the fields as a number."""
        return self._ignored

    # In the comm_open state: the page knows its series before the first points arrive.
    @traitlets.default("paths")
    def _default_paths(self) -> list[str]:
        return [p.text for p in self._paths]

    @traitlets.default("by")
    def _default_by(self) -> str | None:
        return None if self._groups is None else self._groups.by.text

    @traitlets.default("max_groups")
    def _default_max_groups(self) -> int:
        return 20 if self._groups is None else self._groups.max_groups

    @traitlets.validate("fps", "height")
    def _check_positive(self, proposal: dict[str, Any]) -> int:
        name = proposal["trait"].name
        value = int(proposal["value"])
        low, high = (1, 60) if name == "fps" else (80, 2000)
        if not low <= value <= high:
            raise traitlets.TraitError(f"{name} must be between {low} and {high}, got {value}")
        return value

    @traitlets.observe("window", "points")
    def _bounds_changed(self, change: dict[str, Any]) -> None:
        if not hasattr(self, "_sync_lock"):
            return
        with self._sync_lock:
            try:
                self._win.set_bounds(self.points, self.window)
                self._grouped.set_bounds(self.points, self.window)
            except ValueError as exc:
                # Undo the bad value so trait and window agree, then say why.
                self.set_trait(change["name"], change["old"])
                raise traitlets.TraitError(str(exc)) from None

    def data(self) -> dict[str, Any]:
        """The window the kernel holds: ``{"time": [...seconds], path: [...values]}``.

        With ``by``: that per group, ``{group: {"time": [...], path: [...]}}``.
        """
        with self._sync_lock:
            if self._groups is None:
                return self._columns(self._win)
            labels = self._groups.labels
            return {labels[i]: self._columns(w) for i, w in enumerate(self._grouped.windows)}

    def _columns(self, window: Window) -> dict[str, list[float]]:
        out = {"time": window.times().tolist()}
        for i, path in enumerate(self.paths):
            out[path] = window.column(i).tolist()
        return out

    # -- publishing ---------------------------------------------------------------

    def _publish(self, messages: list[Message], skipped: int) -> None:
        if self._groups is not None:
            before = self._groups.counts()
            points, ignored = grouped_numbers(messages, self._paths, self._groups)
            self._ignored += ignored
            self._grouped.extend(points)
            if points or ignored or skipped or self._groups.counts() != before:
                self._send_groups("points", points)
            return
        times, columns, ignored = numbers(messages, self._paths)
        self._ignored += ignored
        if times:
            self._win.extend(times, columns)
        if not (times or ignored or skipped):
            return
        # Only the new points travel (the window may have dropped some: the page
        # applies the same bounds to its copy).
        self._send_points("points", times, columns)

    def _handle(self, content: dict[str, Any], buffers: Any) -> dict[str, Any] | None:
        if content.get("type") != "hello":
            return None
        with self._sync_lock:  # against a flush on the publisher thread
            if self._groups is not None:
                windows = self._grouped.windows
                points = {
                    i: (w.times(), [w.column(c) for c in range(len(self._paths))])
                    for i, w in enumerate(windows)
                }
                self._send_groups("window", points, content.get("id"))  # type: ignore[arg-type]
                return None
            times = self._win.times()
            columns = [self._win.column(i) for i in range(len(self._paths))]
            self._send_points("window", times, columns, content.get("id"))
        return None

    def _send_groups(self, kind: str, points: dict[int, Any], view_id: Any = None) -> None:
        """Points of several groups: ``parts`` says [group, n] of each, buffers follow in order."""
        assert self._groups is not None
        parts, buffers = [], []
        for index in sorted(points):
            times, columns = points[index]
            parts.append([index, len(times)])
            buffers += [to_bytes([t * 1000.0 for t in times]), *(to_bytes(c) for c in columns)]
        content: dict[str, Any] = {
            "type": kind,
            "n": sum(n for _, n in parts),
            "parts": parts,
            "ignored": self._ignored,
            "skipped": self.skipped,
            **self._groups.counts(),
        }
        labels = self._groups.labels
        if kind == "window" or len(labels) != self._sent_groups:
            content["groups"] = list(labels)  # the whole list: it only grows
            self._sent_groups = len(labels)
        if view_id is not None:
            content["id"] = view_id
        self._send_view(content, buffers)

    def _send_points(
        self,
        kind: str,
        times: Any,
        columns: list[Any],
        view_id: Any = None,
    ) -> None:
        ms = [t * 1000.0 for t in times]
        content: dict[str, Any] = {
            "type": kind,
            "n": len(ms),
            "ignored": self._ignored,
            "skipped": self.skipped,
        }
        if view_id is not None:
            content["id"] = view_id
        self._send_view(content, [to_bytes(ms), *(to_bytes(c) for c in columns)])
