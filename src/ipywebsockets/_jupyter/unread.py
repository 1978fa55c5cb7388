"""Where ``recv()`` is in a socket's history, and what it has taken but not returned yet.

An :class:`Unread` belongs to one :class:`~.stream.Stream` and is touched
under the stream's lock, except :meth:`Unread.pop`. Readers take every
unread incoming message in one go (:meth:`Unread.take`) and then pop them one
by one without the lock, so a ``recv()`` loop costs one lock per batch, not
per message. The rules stay those of the history: a request's reply is
skipped (claims.py), and what the history evicted before a reader got to it
is counted in :attr:`Unread.missed` and warned about.
"""

from __future__ import annotations

import warnings
from collections import deque

from ..exceptions import IPyWebSocketsWarning
from ..history import History
from ..message import Message

__all__ = ["Unread"]


class Unread:
    """One stream's read cursor, its taken batch and the requests' replies readers skip."""

    __slots__ = ("batch", "claimed", "cursor", "missed", "readable")

    def __init__(self) -> None:
        self.cursor = 1  # seq of the next message readers look at
        # Taken from the history, not returned yet: popped without the lock (atomic).
        self.batch: deque[Message] = deque()
        # The seq of the newest incoming message readers may get: has() in O(1).
        self.readable = 0
        # The seqs of replies requests took (cleared once read past, pruned by the stream).
        self.claimed: set[int] = set()
        self.missed = 0  # messages evicted before readers got them

    def pop(self) -> Message | None:
        """The next taken message, without the lock (None when none is taken)."""
        if self.batch:
            try:
                return self.batch.popleft()
            except IndexError:  # another reader thread took the last one meanwhile
                pass
        return None

    def has(self, history: History) -> bool:
        """Whether a read would return at once (lock held, or a stale answer is fine).

        The newest readable message is in the history and not read past: every
        readable one before it is older, so this says all in constant time.
        """
        return bool(self.batch) or self.readable >= max(self.cursor, history.first_seq)

    def take(self, history: History) -> Message | None:
        """The next unread incoming message (lock held), taking every unread one in one go."""
        batch = self.batch
        if not batch:
            self._fill(history)
        try:
            return batch.popleft()
        except IndexError:  # nothing unread, or another reader thread took it
            return None

    def _fill(self, history: History) -> None:
        first = history.first_seq
        if self.cursor < first:
            lost = first - self.cursor
            self.missed += lost
            self.cursor = first
            warnings.warn(
                f"{lost} messages were evicted from the history (history={history.maxlen}) "
                "before recv() read them; read faster or pass a larger history=",
                IPyWebSocketsWarning,
                stacklevel=6,  # the caller of WebSocket.recv
            )
        end = history.next_seq
        count = end - self.cursor
        if count > 0 and self.readable >= self.cursor:
            new = [m for m in history.tail(count) if m.direction == "in"]
            if self.claimed:  # requests' replies: not for readers
                new = [m for m in new if m.seq not in self.claimed]
            self.batch.extend(new)
        self.cursor = max(self.cursor, end)
        self.claimed.clear()  # every reply came before `end`: read past
