"""Bounded message history and stream counters.

Pure: no I/O and no threads of its own. The owner serialises access (the
widget holds a lock around every call).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from itertools import islice

from .message import Message

__all__ = ["History", "RateMeter", "Stats"]


class History:
    """The last ``maxlen`` messages of one socket, both directions, in order.

    Messages carry consecutive sequence numbers, so a message is found by its
    ``seq`` in constant time, and a reader that fell behind learns exactly how
    many messages it missed.
    """

    __slots__ = ("_items", "evicted", "maxlen")

    def __init__(self, maxlen: int) -> None:
        if maxlen < 1:
            raise ValueError(f"history must keep at least 1 message, got {maxlen}")
        self.maxlen = maxlen
        self._items: deque[Message] = deque(maxlen=maxlen)
        self.evicted = 0  # messages pushed out by newer ones

    def append(self, msg: Message) -> None:
        if len(self._items) == self.maxlen:
            self.evicted += 1
        self._items.append(msg)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Message]:
        return iter(self._items)

    @property
    def first_seq(self) -> int:
        """The seq of the oldest kept message (next seq to come when empty)."""
        return self._items[0].seq if self._items else self.next_seq

    @property
    def next_seq(self) -> int:
        """The seq the next message will get."""
        return self._items[-1].seq + 1 if self._items else 1 + self.evicted

    def get(self, seq: int) -> Message | None:
        """The message with this seq, or None when it is evicted or not there yet."""
        if not self._items:
            return None
        i = seq - self._items[0].seq
        return self._items[i] if 0 <= i < len(self._items) else None

    def tail(self, n: int) -> list[Message]:
        """The last ``n`` messages, oldest first (walked from the newest end: O(n))."""
        if n <= 0:
            return []
        if n >= len(self._items):
            return list(self._items)
        newest = list(islice(reversed(self._items), n))
        newest.reverse()
        return newest

    def snapshot(self) -> list[Message]:
        return list(self._items)


class RateMeter:
    """Events per second over a sliding window of whole seconds.

    ``add`` runs for every message: events of the current second only bump a
    counter (one comparison); a new second moves the last one's count into
    ``_buckets``.
    """

    __slots__ = ("_buckets", "_count", "_first", "_second", "_until", "_window")

    def __init__(self, window: int = 5) -> None:
        self._window = window
        self._buckets: dict[int, int] = {}  # earlier whole seconds: their counts
        self._first: float | None = None
        self._second = 0  # the current second, its count so far, and when it ends
        self._count = 0
        self._until = -math.inf

    def add(self, now: float, n: int = 1) -> None:
        if self._second <= now < self._until:  # the common case: the same second
            self._count += n
            return
        second = int(now)
        if self._first is None:
            self._first = now
        buckets = self._buckets
        if now < self._second:  # an earlier second (the clock went back): its own count
            buckets[second] = buckets.get(second, 0) + n
            return
        if self._count:
            buckets[self._second] = buckets.get(self._second, 0) + self._count
        self._second, self._count, self._until = second, n, second + 1.0
        if len(buckets) > self._window + 2:
            horizon = second - self._window - 1
            for key in [k for k in buckets if k < horizon]:
                del buckets[key]

    def rate(self, now: float) -> float:
        """Events per second over the last ``window`` seconds (the current one pro rata)."""
        second = int(now)
        start = second - self._window + 1
        count = sum(n for s, n in self._buckets.items() if start <= s <= second)
        if start <= self._second <= second:
            count += self._count
        if not count or self._first is None:
            return 0.0
        # A young stream is measured over its own age (at least 1 s), not the whole window.
        span = min((self._window - 1) + (now - second), max(now - self._first, 1.0))
        return count / span


class Stats:
    """Counters of one socket: what went in and out, in messages and bytes."""

    __slots__ = ("bytes_received", "bytes_sent", "meter", "received", "sent")

    def __init__(self) -> None:
        self.received = 0
        self.sent = 0
        self.bytes_received = 0
        self.bytes_sent = 0
        self.meter = RateMeter()

    def count(self, msg: Message) -> None:
        if msg.direction == "in":
            self.received += 1
            self.bytes_received += msg.size
            self.meter.add(msg.time)
        else:
            self.sent += 1
            self.bytes_sent += msg.size
