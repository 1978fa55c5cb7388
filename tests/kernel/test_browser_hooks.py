"""Browser mode's on_open hooks, driven over the real comm by a test that plays the page.

The page opens the socket; the hooks run in the kernel. This test is the front end
(as in test_browser_protocol.py): it reads what the kernel posts (``owner`` with
``hooks``, ``ws_send`` with ``first``, ``hooks_done``) and reports opens, messages
and sends the way js/src/bridge.ts does. JupyterLab with a real browser socket is
covered by tests/e2e/test_browser_sessions.py.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from test_browser_protocol import batch, custom, owner_of, sent_to_front_end

from conftest import Entry, Kernel, result_line

pytestmark = pytest.mark.kernel


def make_socket(kernel: Kernel, hooks: str, extra: str = "") -> str:
    """A browser-mode socket with ``hooks`` registered before connect(); its model id."""
    return kernel.run(
        "import json, time\n"
        "import ipywebsockets as iws\n"
        'ws = iws.WebSocket("ws://127.0.0.1:9/feed", mode="browser", connect=False'
        f"{extra})\n" + hooks + "\nws.connect()\n" + result_line("ws.model_id")
    ).result()


def open_event(n: int, held: bool) -> list[dict[str, Any]]:
    return [
        {"e": "status", "status": "connecting", "error": ""},
        {"e": "open", "subprotocol": "", "n": n, "held": held},
        {"e": "status", "status": "open", "error": ""},
    ]


def open_held(kernel: Kernel, comm_id: str) -> tuple[dict[str, Any], int]:
    """The page takes the socket and reports its first open, held for the hooks.

    Returns the owner message and the IOPub index from before the open.
    """
    owner = owner_of(kernel, comm_id)
    mark = len(kernel.entries())
    custom(kernel, comm_id, batch(1, open_event(1, held=True), gen=owner["gen"]))
    return owner, mark


def told(entry: Entry) -> dict[str, Any]:
    content: dict[str, Any] = entry.content["data"]["content"]
    return content


def ws_sends(kernel: Kernel, start: int, end: int | None = None) -> list[dict[str, Any]]:
    """The ws_send messages the kernel posted between IOPub entries ``start`` and ``end``."""
    return [told(e) for e in kernel.entries()[start:end] if sent_to_front_end("ws_send")(e)]


def report_out(kernel: Kernel, comm_id: str, first: int, gen: int, refs: list[int]) -> None:
    now = time.time() * 1000
    events = [{"e": "out", "t": now, "ref": ref} for ref in refs]
    custom(kernel, comm_id, batch(first, events, gen=gen))


def test_hooks_run_in_the_kernel_after_every_open_and_go_first(kernel: Kernel) -> None:
    comm_id = make_socket(
        kernel,
        '@ws.on_open\ndef subscribe(sock):\n    sock.send({"op": "subscribe"})\n',
    )
    owner = owner_of(kernel, comm_id)
    # The page learns that hooks exist, and for how long it may hold its queue.
    assert owner["hooks"] is True and owner["hooks_timeout"] == 10.0, owner
    gen = owner["gen"]

    # A cell sends while the socket is not open yet: the page queues it.
    mark = len(kernel.entries())
    kernel.run('ws.send("queued-while-away")')
    queued = told(kernel.wait_entry(sent_to_front_end("ws_send"), 10, "queued send", mark))
    assert "first" not in queued, queued

    # The page opens (holding its queue): the hook runs, its send is marked for open 1
    # and comes before hooks_done, which releases the page's queue.
    for n in (1, 2):
        mark = len(kernel.entries())
        custom(kernel, comm_id, batch(1, open_event(n, held=True), gen=gen))
        done = kernel.wait_entry(sent_to_front_end("hooks_done"), 10, f"hooks_done {n}", mark)
        assert told(done) == {
            "type": "hooks_done",
            "client": "fe-1",
            "gen": gen,
            "n": n,
            "error": "",
        }
        sends = ws_sends(kernel, mark, done.index)
        assert [(c["text"], c["first"]) for c in sends] == [('{"op":"subscribe"}', n)], sends
        if n == 1:  # the page sent the hook's message, then what it held
            report_out(kernel, comm_id, 1, gen, [sends[0]["id"], queued["id"]])
        else:
            report_out(kernel, comm_id, 3, gen, [sends[0]["id"]])
        lost = [{"e": "status", "status": "reconnecting", "error": "connection lost"}]
        custom(kernel, comm_id, batch(1, lost, gen=gen, status="reconnecting"))

    state = kernel.run(
        "t0 = time.monotonic()\n"
        "while ws.sent < 3 and time.monotonic() - t0 < 10:\n"
        "    time.sleep(0.05)\n"
        + result_line(
            "dict(sent=ws.sent, unsent=ws.unsent, errors=ws.callback_errors, "
            "out=[m.data for m in ws.messages if m.direction == 'out'])"
        )
    ).result()
    assert state["out"] == ['{"op":"subscribe"}', "queued-while-away", '{"op":"subscribe"}']
    assert state["unsent"] == 0 and state["errors"] == 0, state


def test_a_hook_may_wait_for_a_reply_through_the_page(kernel: Kernel) -> None:
    """The hook runs on a thread of its own: the reply it waits for comes in a comm message."""
    comm_id = make_socket(
        kernel,
        "@ws.on_open\n"
        "def login(sock):\n"
        '    reply = sock.request({"op": "login"}, match=lambda m: m.json().get("ok"), '
        "timeout=10)\n"
        '    sock.send({"op": "subscribe", "session": reply.json()["session"]})\n',
    )
    owner, mark = open_held(kernel, comm_id)
    gen = owner["gen"]
    login = told(kernel.wait_entry(sent_to_front_end("ws_send"), 10, "the login request", mark))
    assert login["text"] == '{"op":"login"}' and login["first"] == 1, login
    assert not [e for e in kernel.entries()[mark:] if sent_to_front_end("hooks_done")(e)]

    mark = len(kernel.entries())
    now = time.time() * 1000
    events = [
        {"e": "out", "t": now, "ref": login["id"]},
        {"e": "in", "t": now, "text": '{"ok": true, "session": "s-7"}'},
    ]
    custom(kernel, comm_id, batch(1, events, gen=gen))
    done = kernel.wait_entry(sent_to_front_end("hooks_done"), 10, "hooks_done", mark)
    sends = ws_sends(kernel, mark, done.index)
    assert [c["text"] for c in sends] == ['{"op":"subscribe","session":"s-7"}'], sends
    # The reply was the request's: it is in the history, and recv() does not get it.
    state = kernel.run(
        "try:\n"
        "    got = ws.recv(timeout=0).data\n"
        "except TimeoutError:\n"
        "    got = None\n"
        + result_line(
            "dict(got=got, errors=ws.callback_errors, "
            "ins=[m.data for m in ws.messages if m.direction == 'in'])"
        )
    ).result()
    assert state == {"got": None, "errors": 0, "ins": ['{"ok": true, "session": "s-7"}']}, state


def test_a_raising_hook_is_counted_and_its_error_goes_to_the_page(kernel: Kernel) -> None:
    comm_id = make_socket(
        kernel,
        "@ws.on_open\n"
        "def broken(sock):\n"
        '    raise RuntimeError("no token")\n'
        "@ws.on_open\n"
        "def fine(sock):\n"
        '    sock.send("after")\n',
    )
    _, mark = open_held(kernel, comm_id)
    done = told(kernel.wait_entry(sent_to_front_end("hooks_done"), 10, "hooks_done", mark))
    assert "on_open hook broken raised RuntimeError: no token" in done["error"], done
    sends = ws_sends(kernel, mark)
    assert [c["text"] for c in sends] == ["after"], "the next hook did not run"
    state = kernel.run(
        "t0 = time.monotonic()\n"
        "while ws.callback_errors < 1 and time.monotonic() - t0 < 10:\n"
        "    time.sleep(0.05)\n" + result_line("dict(errors=ws.callback_errors, error=ws.error)")
    ).result()
    assert state["errors"] == 1 and "no token" in state["error"], state


def test_a_hook_that_hangs_releases_the_page_after_open_timeout(kernel: Kernel) -> None:
    comm_id = make_socket(
        kernel,
        "import threading\nstuck = threading.Event()\n"
        "@ws.on_open\n"
        "def hangs(sock):\n"
        "    stuck.wait(30)\n",
        extra=", open_timeout=0.5",
    )
    owner, mark = open_held(kernel, comm_id)
    opened = time.monotonic()
    assert owner["hooks_timeout"] == 0.5
    done = kernel.wait_entry(sent_to_front_end("hooks_done"), 10, "hooks_done", mark)
    took = done.arrived - opened
    assert 0.4 <= took < 5, f"released after {took:.1f} s, open_timeout=0.5"
    assert "still running after 0.5 s (open_timeout)" in told(done)["error"], told(done)
    kernel.run("stuck.set()")


def test_the_page_is_told_when_hooks_come_and_go(kernel: Kernel) -> None:
    comm_id = make_socket(kernel, "")
    owner = owner_of(kernel, comm_id)
    assert owner["hooks"] is False, owner
    gen = owner["gen"]

    # An open the page did not hold runs no hooks and needs no hooks_done.
    mark = len(kernel.entries())
    custom(kernel, comm_id, batch(1, open_event(1, held=False), gen=gen))
    kernel.run("def sub(sock):\n    sock.send('sub')\nws.on_open(sub)")
    added = told(kernel.wait_entry(sent_to_front_end("hooks"), 10, "hooks added", mark))
    assert added == {"type": "hooks", "client": "fe-1", "gen": gen, "wanted": True, "timeout": 10}
    # The socket is open already: the new hook runs at once, for this open (as in kernel
    # mode); the page holds nothing, so its send is an ordinary one.
    now = told(kernel.wait_entry(sent_to_front_end("ws_send"), 10, "the hook's send", mark))
    assert now["text"] == "sub" and "first" not in now, now
    assert not [e for e in kernel.entries()[mark:] if sent_to_front_end("hooks_done")(e)]

    # Removed again before the next open, which the page held: released at once.
    mark = len(kernel.entries())
    kernel.run("ws.on_open(sub, remove=True)")
    removed = told(kernel.wait_entry(sent_to_front_end("hooks"), 10, "hooks removed", mark))
    assert removed["wanted"] is False
    custom(kernel, comm_id, batch(1, open_event(2, held=True), gen=gen))
    done = told(kernel.wait_entry(sent_to_front_end("hooks_done"), 10, "hooks_done", mark))
    assert done["n"] == 2 and done["error"] == ""
    assert not ws_sends(kernel, mark)
