"""What the saved notebook keeps of a stream: the last incoming messages, unless asked."""

from __future__ import annotations

import pytest

from ipywebsockets._jupyter.options import check_persist
from ipywebsockets._jupyter.rows import persisted_tail
from ipywebsockets.history import History
from ipywebsockets.message import Message


def _history(directions: str, maxlen: int = 100) -> History:
    history = History(maxlen)
    for seq, d in enumerate(directions, start=1):
        history.append(Message.make(seq, float(seq), "in" if d == "i" else "out", f"m{seq}"))
    return history


def test_incoming_only_by_default() -> None:
    history = _history("oioiooiio")
    assert [m.seq for m in persisted_tail(history, 3)] == [4, 7, 8]
    assert [m.seq for m in persisted_tail(history, 100)] == [2, 4, 7, 8]
    assert persisted_tail(_history("ooo"), 5) == []
    assert persisted_tail(history, 0) == []


def test_sent_messages_when_asked() -> None:
    history = _history("oioiooiio")
    assert [m.seq for m in persisted_tail(history, 3, sent=True)] == [7, 8, 9]


def test_only_what_the_history_still_keeps() -> None:
    history = _history("ioioioioio", maxlen=4)  # keeps 7..10
    assert [m.seq for m in persisted_tail(history, 10)] == [7, 9]


def test_check_persist() -> None:
    assert check_persist(0) == 0 and check_persist(5, True) == 5
    with pytest.raises(ValueError, match="persist must be an int >= 0"):
        check_persist(-1)
    with pytest.raises(ValueError, match="persist must be an int >= 0"):
        check_persist(True)
    with pytest.raises(TypeError, match="persist_sent must be True or False"):
        check_persist(5, "yes")
