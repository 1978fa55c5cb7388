"""Browser mode: the socket's ``on_open`` hooks, run in the kernel after each browser open.

The page opens the socket; the hooks (``ws.on_open``) live in the kernel. The
page is told whether there are hooks (``hooks`` in the ``owner`` message, sent
again whenever that changes). When there are, it *holds* its send queue after
each open and reports the open with its number (``{"e": "open", "n": n,
"held": true}``). The kernel then runs the hooks on a thread of their own
(never the comm handler's: a hook may wait for replies, which come in comm
messages); what they send carries ``"first": n`` and goes out at once, ahead
of the held queue. When they are done (or after ``open_timeout``, said in
``error``) the kernel says ``hooks_done`` and the page releases its queue.
The page gives up holding by itself after the same time plus a margin (a
kernel busy running a cell over the main shell hears nothing). The messages
are described in ``docs/browser-mode.md``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..transport import OpenHooks

__all__ = ["HookRelay"]

Post = Callable[[dict[str, Any], "list[bytes] | None"], None]


class HookRelay:
    """Runs a browser-mode socket's ``on_open`` hooks when its page reports an open.

    Args:
        post: sends a custom message to the front ends.
        limit: seconds the hooks may hold the page's queue (``open_timeout``, or 10).
        changed: called when hooks are added or removed (the owner is told again).
    """

    def __init__(self, post: Post, limit: float | None, changed: Callable[[], None]) -> None:
        self._post = post
        self.limit = float(limit or 10.0)
        self._changed = changed
        self._hooks: OpenHooks | None = None
        self._local = threading.local()  # the open a hook thread runs for
        self.runs = 0  # hook runs started (one per reported open, while hooks exist)

    @property
    def hooks(self) -> OpenHooks | None:
        return self._hooks

    @hooks.setter
    def hooks(self, hooks: OpenHooks | None) -> None:
        self._hooks = hooks
        watch = getattr(hooks, "watch", None)
        if callable(watch):  # ws.on_open(...) later: the page must hold from its next open
            watch(self._changed)

    def wanted(self) -> bool:
        """Whether the page should hold its queue after an open."""
        return self._hooks is not None and self._hooks.wanted()

    def tell(self, client: str, gen: int) -> None:
        """Tell the owner whether to hold its queue after opens (hooks were added or removed)."""
        content = {"type": "hooks", "client": client, "gen": gen, "wanted": self.wanted()}
        self._post({**content, "timeout": self.limit}, None)

    def open_number(self) -> int | None:
        """The page's open number a hook on this thread runs for (None: not a hook's thread)."""
        n: int | None = getattr(self._local, "n", None)
        return n

    def opened(self, client: str | None, gen: int, event: dict[str, Any]) -> Callable[[], None]:
        """The page reported an open (``{"e": "open", "n": n, "held": bool}``).

        Call it as the event is applied, before the status says "open" (the hooks count
        opens); call what it returns once the whole batch is applied (a status change
        later in the batch would otherwise clear what the hooks report).
        """
        n, held = event.get("n"), event.get("held") is True
        number = n if isinstance(n, int) and not isinstance(n, bool) else 0
        hooks = self._hooks
        if hooks is None or not hooks.opened():
            if held and client is not None:  # hooks removed meanwhile: nothing to wait for
                return lambda: self._done(client, gen, number, "")
            return lambda: None
        self.runs += 1
        return threading.Thread(
            target=self._run,
            args=(hooks, client, gen, number, held),
            name="ipywebsockets-on-open-wait",
            daemon=True,
        ).start

    def _run(self, hooks: OpenHooks, client: str | None, gen: int, n: int, held: bool) -> None:
        """Run the hooks on a thread of their own; release the page when done or too late."""
        finished = threading.Event()
        said: list[str] = []

        def body() -> None:
            self._local.n = n
            try:
                said.append(hooks.run() or "")
            finally:
                self._local.n = None
                finished.set()

        threading.Thread(target=body, name="ipywebsockets-on-open", daemon=True).start()
        error = ""
        if finished.wait(self.limit):
            error = said[0] if said else ""
        else:
            error = (
                f"an on_open hook is still running after {self.limit:g} s (open_timeout); "
                "the messages queued while away go out now"
            )
            hooks.report(error)
        if held and client is not None:
            self._done(client, gen, n, error)

    def _done(self, client: str, gen: int, n: int, error: str) -> None:
        content = {"type": "hooks_done", "client": client, "gen": gen, "n": n, "error": error}
        self._post(content, None)
