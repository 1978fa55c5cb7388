"""How long to wait before each retry after a connection is lost (kernel and page alike)."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True)
class Backoff:
    """How to retry after the connection is lost.

    The n-th retry waits ``initial * factor ** (n - 1)`` seconds, capped at
    ``max_delay``, with ``jitter`` (a fraction) of randomness so that many
    clients do not return at once. ``max_attempts=None`` retries forever.

    Retries are counted from the last connection that stayed open for
    ``max(stable, 2 * the delay before it)`` seconds (the browser's socket
    does the same): a server that accepts and then closes at once (1011, 1013,
    1006) meets growing delays and, with ``max_attempts``, an end.
    """

    initial: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    max_attempts: int | None = None
    jitter: float = 0.1
    stable: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (from 1)."""
        base = min(self.max_delay, self.initial * self.factor ** max(0, attempt - 1))
        return base * (1 + random.uniform(-self.jitter, self.jitter))
