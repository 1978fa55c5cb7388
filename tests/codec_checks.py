"""What every protocol codec's property tests check: any input is survived, in documented events."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ipywebsockets.protocols.base import Codec, Deliver, Fail, Problem, Ready


def feed_anything(
    codec: Codec, frames: Iterable[str | bytes], end: float | None = None
) -> list[Any]:
    """Give ``codec`` each frame (a tick after each, and at ``end`` if given); return the messages.

    Checks on the way: nothing raises, ``describe`` is text, ``outgoing`` is None or a
    payload, the events are of the documented kinds, problems and failures say something.
    """
    for i, frame in enumerate(frames):
        codec.receive(frame, 1.0 + i)
        codec.tick(1.5 + i)
        assert isinstance(codec.describe(frame), str)
        out = codec.outgoing(frame)
        assert out is None or isinstance(out, (str, bytes))
    if end is not None:
        codec.tick(end)
    delivered = []
    for event in codec.events_received():
        assert isinstance(event, (Deliver, Ready, Problem, Fail)), event
        if isinstance(event, Deliver):
            delivered.append(json.loads(event.data))
        elif isinstance(event, (Problem, Fail)):
            assert event.text
    return delivered
