"""Browser mode: the kernel's sends that wait for the page to report them sent or refused.

Nothing here is made up: a report for a send the kernel no longer knows yields
no payload, and a send counted unsent because its page went silent is counted
again as sent if that page reports it after all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["Outbox", "event_payload"]

Payload = str | bytes


class Outbox:
    """Sends handed to the owning front end, by id. Not locked: the link holds its lock."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.unsent = 0  # sends that did not go out
        self._waiting: dict[int, Payload] = {}  # posted to the owner, not reported yet
        # Sends of an owner that went silent, counted unsent; a late report takes them back.
        self._orphans: dict[int, Payload] = {}
        self._next_id = 1

    def __len__(self) -> int:
        return len(self._waiting)

    @property
    def next_id(self) -> int:
        """The id the next send gets (the owner numbers on from it to notice gaps)."""
        return self._next_id

    def missed(self, first: object, last: object) -> int:
        """The page never got sends ``first`` to ``last``: count them unsent; how many."""
        if not isinstance(first, int) or not isinstance(last, int):
            return 0
        return sum(self.refused(ref) for ref in range(first, min(last, self._next_id - 1) + 1))

    def add(self, payload: Payload) -> int:
        """Keep ``payload`` until reported; return its id (the ``ref`` of the reports)."""
        ident = self._next_id
        self._next_id += 1
        self._waiting[ident] = payload
        return ident

    def sent(self, ref: object) -> Payload | None:
        """The payload the page reports sent, or None if the kernel does not know ``ref``."""
        if not isinstance(ref, int):
            return None
        if ref in self._waiting:
            return self._waiting.pop(ref)
        if ref in self._orphans:  # counted unsent when its owner went silent: it was sent
            self.unsent -= 1
            return self._orphans.pop(ref)
        return None

    def refused(self, ref: object) -> bool:
        """The page did not send ``ref``; False if it was counted already (or unknown)."""
        if isinstance(ref, int) and self._waiting.pop(ref, None) is not None:
            self.unsent += 1
            return True
        return False

    def orphan(self) -> None:
        """The owner went silent: its waiting sends are counted unsent, and kept a while."""
        if not self._waiting:
            return
        self.unsent += len(self._waiting)
        self._orphans.update(self._waiting)
        self._waiting.clear()
        while len(self._orphans) > self.limit:
            del self._orphans[next(iter(self._orphans))]

    def end(self) -> int:
        """The connection ended for good: count what waits as unsent; return how many."""
        lost = len(self._waiting)
        self.unsent += lost
        self._waiting.clear()
        self._orphans.clear()
        return lost


def event_payload(event: dict[str, Any], buffers: Sequence[Any], outbox: Outbox) -> Payload | None:
    """The message an ``in``/``out`` event carries (a kernel send's by its ref), or None."""
    if "text" in event:
        return str(event["text"])
    if "buf" in event:
        index = event["buf"]
        if not isinstance(index, int) or not 0 <= index < len(buffers):
            return None
        data = bytes(buffers[index])
        # The page sends long texts as UTF-8 buffers: cheaper than JSON, and sized exactly.
        return data.decode("utf-8", "replace") if event.get("utf8") else data
    return outbox.sent(event.get("ref"))
