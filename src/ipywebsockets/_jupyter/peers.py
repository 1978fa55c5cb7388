"""Browser mode: the front ends that show one widget, and which of them may hold the socket.

Every front end (a browser tab, a second view in another window) says ``hello``
with a random key, then ``beat``s or sends batches. The kernel gives the socket
to one of them, the *owner*, and tells it the URL sealed with that front end's
key: comm messages from the kernel reach every front end of the kernel, while
each front end's own messages reach only the kernel, so only the owner can
read the URL (the others see the redacted one). The rules are described in
``docs/browser-mode.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..client import Backoff

__all__ = [
    "HIDDEN_STALE_SECONDS",
    "KEY_BYTES",
    "MAX_BROWSER_SIZE",
    "PROBE_SECONDS",
    "STALE_SECONDS",
    "Peers",
    "check_carried",
    "owner_message",
    "seal",
]

# A visible page beats every second: silent this long (while it could talk), it is gone.
STALE_SECONDS = 3.0
# A hidden page's timers may run once a minute (Chromium's intensive throttling) and a
# frozen page runs nothing: it keeps the socket this long, and is asked (probed) meanwhile.
HIDDEN_STALE_SECONDS = 120.0
# An owner silent this long is probed: the page answers from the message event, which
# hidden pages still get at once (unlike timers).
PROBE_SECONDS = 1.5
# Each front end's key: the longest URL browser mode can carry, in UTF-8 bytes.
KEY_BYTES = 8192
# jupyter_server closes a notebook's kernel connection on a websocket message over
# 10 MiB (docs/jupyter-internals.md#websocket-message-size): one browser message must
# fit in one batch with room to spare (the page splits batches at 1 MiB).
MAX_BROWSER_SIZE = 8 * 2**20


def check_carried(url: str, max_size: int | None) -> int:
    """``max_size``, once ``url`` and it are known to fit browser mode's messages.

    Raises:
        ValueError: the URL is longer than a key, or ``max_size`` is None or over 8 MiB.
    """
    size = len(url.encode("utf-8"))
    if size > KEY_BYTES:
        raise ValueError(
            f"the URL is {size} bytes long; mode='browser' carries URLs of at most "
            f"{KEY_BYTES} bytes (UTF-8): shorten it, or use mode='kernel'"
        )
    if max_size is None or isinstance(max_size, bool) or not 0 < max_size <= MAX_BROWSER_SIZE:
        raise ValueError(
            f"max_size={max_size!r} cannot work with mode='browser': each message reaches "
            "the kernel through Jupyter's own websocket, which closes on messages over 10 MiB; "
            f"pass a max_size= from 1 to {MAX_BROWSER_SIZE} (8 MiB), or use mode='kernel' "
            "for larger or unlimited messages"
        )
    return max_size


def seal(data: bytes, key: bytes) -> bytes:
    """``data`` XOR ``key`` (a one-time pad: the key is random, as long, used for one URL)."""
    if len(key) < len(data):
        raise ValueError(f"a key of {len(key)} bytes cannot seal {len(data)} bytes")
    n = len(data)
    return (int.from_bytes(data, "big") ^ int.from_bytes(key[:n], "big")).to_bytes(n, "big")


def owner_message(backoff: Backoff | None, sealed: bool) -> dict[str, Any]:
    """The start of an ``owner`` message: its type, the reconnect policy, whether sealed."""
    reconnect = None
    if backoff is not None:
        reconnect = {
            "initial": backoff.initial,
            "factor": backoff.factor,
            "max_delay": backoff.max_delay,
            "max_attempts": backoff.max_attempts,
            "jitter": backoff.jitter,
            "stable": backoff.stable,
        }
    # sealed: buffer 0 holds the real URL, XOR the owner's key; "url" is the redacted one.
    return {"type": "owner", "reconnect": reconnect, "sealed": sealed}


class Peers:
    """When each front end was last heard, whether its page is visible, and its key.

    Not locked: the :class:`~.browser.BrowserLink` calls it under its own lock.
    """

    def __init__(self) -> None:
        self.heard: dict[str, float] = {}  # front end id -> when last heard (monotonic)
        self._hidden: set[str] = set()
        self._keys: dict[str, bytes] = {}

    def hear(
        self, client: str, now: float, content: dict[str, Any], buffers: Sequence[Any]
    ) -> None:
        """A message from ``client``: note the time, its visibility and any key it brings."""
        self.heard[client] = now
        visible = content.get("visible")
        if visible is False:
            self._hidden.add(client)
        elif visible is True:
            self._hidden.discard(client)
        index = content.get("key")
        if isinstance(index, int) and 0 <= index < len(buffers) and client not in self._keys:
            key = bytes(buffers[index])
            if len(key) >= KEY_BYTES:
                self._keys[client] = key

    def forget(self, client: str) -> None:
        """``client`` went away for good (its page said ``bye``)."""
        self.heard.pop(client, None)
        self._hidden.discard(client)
        self._keys.pop(client, None)

    def drop(self, client: str) -> None:
        """``client`` went silent: no longer live (its key stays, should it come back)."""
        self.heard.pop(client, None)

    def hidden(self, client: str) -> bool:
        return client in self._hidden

    def stale_after(self, client: str | None) -> float:
        """How long ``client`` may stay silent before it is taken as gone."""
        return HIDDEN_STALE_SECONDS if client in self._hidden else STALE_SECONDS

    def live(self, client: str, now: float) -> bool:
        return now - self.heard.get(client, float("-inf")) < self.stale_after(client)

    def others(self, owner: str | None, now: float) -> bool:
        """Whether a live front end other than ``owner`` is there."""
        return any(c != owner and self.live(c, now) for c in self.heard)

    def choose(self, now: float) -> str | None:
        """The front end to hold the socket: live, with a key; visible first, then latest heard."""
        live = [c for c in self.heard if c in self._keys and self.live(c, now)]
        if not live:
            return None
        return max(live, key=lambda c: (c not in self._hidden, self.heard[c]))

    def seal(self, client: str, data: bytes) -> bytes:
        return seal(data, self._keys[client])
