"""Browser mode's kernel half, driven over the real comm by a front end without subshells.

This test is the front end: it speaks the widget's wire protocol
(src/ipywebsockets/_jupyter/browser.py) over jupyter_client, on the main shell, the way
VS Code or an older JupyterLab delivers widget messages. JupyterLab itself
(with subshells) is covered by tests/e2e/test_browser_mode.py.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from conftest import Entry, Kernel, result_line
from timing import timeout_s

pytestmark = pytest.mark.kernel


def custom(kernel: Kernel, comm_id: str, content: dict[str, Any], buffers: Any = None) -> None:
    """A widget custom message from the "front end", with no subshell id (the main shell)."""
    data = {"comm_id": comm_id, "data": {"method": "custom", "content": content}}
    kc = kernel.kc
    kc.session.send(kc.shell_channel.socket, "comm_msg", data, buffers=buffers or [])


def sent_to_front_end(kind: str, client: str | None = None) -> Any:
    def match(entry: Entry) -> bool:
        if entry.msg_type != "comm_msg":
            return False
        data = entry.content.get("data", {})
        content = data.get("content", {})
        return (
            data.get("method") == "custom"
            and content.get("type") == kind
            and (client is None or content.get("client") == client)
        )

    return match


KEY_BYTES = 8192  # src/ipywebsockets/_jupyter/peers.py


def hello(kernel: Kernel, comm_id: str, client: str, visible: bool = True) -> bytes:
    """A front end appears, with its random key; returns the key."""
    key = os.urandom(KEY_BYTES)
    content = {"type": "hello", "client": client, "visible": visible, "key": 0}
    custom(kernel, comm_id, content, [key])
    return key


def unseal(entry: Entry, key: bytes) -> str:
    """The URL an owner message carries for the front end holding ``key``."""
    assert entry.content["data"]["content"]["sealed"] is True
    sealed = bytes(entry.msg["buffers"][0])
    return bytes(a ^ b for a, b in zip(sealed, key, strict=False)).decode("utf-8", "replace")


def run_while_sending(
    kernel: Kernel, code: str, comm_id: str, content: dict[str, Any], delay: float = 0.7
) -> None:
    """Start ``code``, send ``content`` while it runs, wait for the cell to end."""
    kc = kernel.kc
    msg_id = kc.execute(code, store_history=True, allow_stdin=False)
    time.sleep(delay)
    custom(kernel, comm_id, content)
    deadline = time.monotonic() + timeout_s(30)
    while True:
        msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            assert msg["content"]["status"] == "ok", msg["content"]
            return


def batch(first: int, events: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "batch",
        "client": "fe-1",
        "gen": 1,
        "first": first,
        "running": True,
        "status": "open",
        "error": "",
        "events": events,
        **extra,
    }


def test_protocol_over_the_main_shell(kernel: Kernel) -> None:
    comm_id = kernel.run(
        "import asyncio, json, time\n"
        "import ipywebsockets as iws\n"
        'ws = iws.WebSocket("ws://127.0.0.1:9/feed?token=SECRET", mode="browser", '
        'protocols=["chat"])\n' + result_line("ws.model_id")
    ).result()
    start = len(kernel.entries())

    # A front end appears: the kernel gives it the socket, with the full URL sealed
    # with its key; every front end sees the owner message, and only the redacted URL.
    key = hello(kernel, comm_id, "fe-1")
    owner = kernel.wait_entry(sent_to_front_end("owner"), 10, "owner message", start)
    told = owner.content["data"]["content"]
    assert told["client"] == "fe-1" and told["connect"] is True
    assert told["url"] == "ws://127.0.0.1:9/feed?token=***"
    assert unseal(owner, key) == "ws://127.0.0.1:9/feed?token=SECRET"
    assert b"SECRET" not in bytes(owner.msg["buffers"][0])
    assert told["protocols"] == ["chat"] and told["seq"] == 1 and told["max_size"] == 2**20
    gen = told["gen"]

    # The browser opened and received a text and a binary frame.
    now = time.time() * 1000
    events = [
        {"e": "status", "status": "connecting", "error": ""},
        {"e": "open", "subprotocol": "chat"},
        {"e": "status", "status": "open", "error": ""},
        {"e": "in", "t": now, "text": "a"},
        {"e": "in", "t": now + 1, "buf": 0},
    ]
    kc = kernel.kc
    kc.session.send(
        kc.shell_channel.socket,
        "comm_msg",
        {
            "comm_id": comm_id,
            "data": {"method": "custom", "content": batch(1, events, gen=gen)},
        },
        buffers=[b"\x00\xff"],
    )
    state = kernel.run(
        "time.sleep(0.3)\n"
        "first, second = ws.recv(timeout=0), ws.recv(timeout=0)\n"
        "t0 = time.monotonic()\n"
        "try:\n"
        "    ws.recv(timeout=20)\n"
        "    blocking = ['nothing']\n"
        "except Exception as exc:\n"
        "    blocking = [type(exc).__name__, str(exc), time.monotonic() - t0]\n"
        + result_line(
            "dict(status=ws.status, subprotocol=ws.subprotocol, received=ws.received, "
            "first=first.data, second=list(second.data), blocking=blocking)"
        )
    ).result()
    assert state["status"] == "open" and state["subprotocol"] == "chat", state
    assert state["received"] == 2 and state["first"] == "a" and state["second"] == [0, 255]
    kind, text, took = state["blocking"]
    # Over the main shell nothing can arrive while the cell blocks: the owner is probed
    # (its answer over a subshell would do) and, as none comes within 1 s, it says so.
    assert kind == "FrontendUnavailable", state["blocking"]
    assert "await ws.arecv()" in text and "no kernel subshells" in text, text
    assert 0.9 <= took < 2, f"gave up after {took:.1f} s instead of after the 1 s probe"

    # An awaiting cell is served: ipykernel handles comm messages while it awaits.
    run_while_sending(
        kernel,
        "m = await ws.arecv(timeout=20)\n",
        comm_id,
        batch(3, [{"e": "in", "t": time.time() * 1000, "text": "c"}], gen=gen),
    )
    assert kernel.run(result_line("m.data")).result() == "c"

    # A send from a cell goes to the owner; the browser reports it sent.
    start = len(kernel.entries())
    kernel.run('ws.send({"x": 1})')
    order = kernel.wait_entry(sent_to_front_end("ws_send"), 10, "ws_send", start)
    sent = order.content["data"]["content"]
    assert sent["client"] == "fe-1" and sent["text"] == '{"x":1}'
    custom(
        kernel,
        comm_id,
        batch(4, [{"e": "out", "t": time.time() * 1000, "ref": sent["id"]}], gen=gen),
    )
    # Messages 5-9 never arrive: the next batch starts at 10.
    custom(kernel, comm_id, batch(10, [{"e": "in", "t": time.time() * 1000, "text": "j"}], gen=gen))
    state = kernel.run(
        "time.sleep(0.3)\n"
        + result_line(
            "dict(sent=ws.sent, out=[m.data for m in ws.messages if m.direction == 'out'], "
            "lost=ws.lost, error=ws.error, received=ws.received)"
        )
    ).result()
    assert state["sent"] == 1 and state["out"] == ['{"x":1}'], state
    assert state["lost"] == 5 and "never reached the kernel" in state["error"], state
    assert state["received"] == 4

    # A run of incoming texts travels as one event of columns: the browser's seqs 11-13
    # (its 10, repeated from the last batch, is skipped), each with its own time.
    t0 = time.time() * 1000 - 5000
    run = {"e": "ins", "t0": t0, "t": [0, 1.5, 1000], "text": ["k", "l", "m"]}
    custom(kernel, comm_id, batch(10, [{"e": "in", "t": t0, "text": "j"}, run], gen=gen))
    state = kernel.run(
        "time.sleep(0.3)\n"
        + result_line(
            "dict(received=ws.received, lost=ws.lost, "
            f"tail=[(m.seq, m.data, round(m.time * 1000 - {t0!r}, 1)) for m in ws.messages[-4:]])"
        )
    ).result()
    assert state["received"] == 7 and state["lost"] == 5, state
    assert [m[1] for m in state["tail"]] == ["j", "k", "l", "m"], state
    assert [m[2] for m in state["tail"][1:]] == [0.0, 1.5, 1000.0], state

    # ws.close() asks the owner; its report ends the connection for good.
    start = len(kernel.entries())
    kernel.run("ws.close(4000, 'done')")
    order = kernel.wait_entry(sent_to_front_end("ws_close"), 10, "ws_close", start)
    assert order.content["data"]["content"]["code"] == 4000
    custom(
        kernel,
        comm_id,
        batch(
            14,
            [
                {"e": "status", "status": "closing", "error": ""},
                {"e": "closed", "code": 4000, "reason": "done", "error": ""},
            ],
            gen=gen,
            running=False,
            status="closed",
        ),
    )
    state = kernel.run(
        "time.sleep(0.3)\n"
        + result_line("dict(status=ws.status, code=ws.close_code, reason=ws.close_reason)")
    ).result()
    assert state == {"status": "closed", "code": 4000, "reason": "done"}


def start_browser_widget(kernel: Kernel, extra: str = "") -> str:
    return kernel.run(
        "import json, time\n"
        "import ipywebsockets as iws\n"
        'ws = iws.WebSocket("ws://127.0.0.1:9/feed?token=SECRET", mode="browser"'
        f"{extra})\n" + result_line("ws.model_id")
    ).result()


def owner_of(kernel: Kernel, comm_id: str) -> dict[str, Any]:
    """A front end, "fe-1", says hello; the owner message the kernel answers with."""
    start = len(kernel.entries())
    hello(kernel, comm_id, "fe-1")
    entry = kernel.wait_entry(sent_to_front_end("owner", "fe-1"), 10, "owner message", start)
    content: dict[str, Any] = entry.content["data"]["content"]
    return content


def opened(first: int, gen: int, events: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    now = time.time() * 1000
    return batch(
        first,
        [
            {"e": "status", "status": "connecting", "error": ""},
            {"e": "open", "subprotocol": ""},
            {"e": "status", "status": "open", "error": ""},
            *({"t": now, **e} for e in events),
        ],
        gen=gen,
        **extra,
    )


def kernel_send(kernel: Kernel, text: str) -> dict[str, Any]:
    start = len(kernel.entries())
    kernel.run(f"ws.send({text!r})")
    return kernel.wait_entry(sent_to_front_end("ws_send"), 10, "ws_send", start).content["data"][
        "content"
    ]


def test_ownership_handover_between_two_front_ends(kernel: Kernel) -> None:
    comm_id = start_browser_widget(kernel)
    start = len(kernel.entries())
    key1 = hello(kernel, comm_id, "fe-1")
    first = kernel.wait_entry(sent_to_front_end("owner", "fe-1"), 10, "owner fe-1", start)
    gen = first.content["data"]["content"]["gen"]
    key2 = hello(kernel, comm_id, "fe-2")
    custom(kernel, comm_id, opened(1, gen, [{"e": "in", "text": "a"}]))
    order = kernel_send(kernel, "to-fe-1")
    assert order["client"] == "fe-1"

    # fe-1 falls silent (its tab closed without a word); fe-2 keeps beating.
    mark = len(kernel.entries())
    silent_since = time.monotonic()
    deadline = silent_since + timeout_s(15)
    handed = None
    while handed is None and time.monotonic() < deadline:
        custom(kernel, comm_id, {"type": "beat", "client": "fe-2", "visible": True})
        handed = next(
            (e for e in kernel.entries()[mark:] if sent_to_front_end("owner", "fe-2")(e)), None
        )
        time.sleep(0.3)  # fe-2's beat cadence
    assert handed is not None, "the socket never went to the front end that is still there"
    took = handed.arrived - silent_since
    assert 3.0 <= took < 6.0 * timeout_s(1), f"handed over after {took:.1f} s of silence"
    probes = [e for e in kernel.entries()[mark : handed.index] if sent_to_front_end("probe")(e)]
    assert probes and all(p.content["data"]["content"]["client"] == "fe-1" for p in probes)

    # Only fe-2 can read the URL; fe-1's key opens nothing, and both see the redacted one.
    told = handed.content["data"]["content"]
    assert told["url"] == "ws://127.0.0.1:9/feed?token=***" and told["gen"] == gen
    assert unseal(handed, key2) == "ws://127.0.0.1:9/feed?token=SECRET"
    assert "SECRET" not in unseal(handed, key1)
    assert told["seq"] == 2  # fe-2 numbers on from the kernel's stream

    # fe-1 comes back late, reporting the send: it no longer owns the socket, so the
    # kernel repeats who does and takes nothing from it (the send stays counted unsent).
    mark = len(kernel.entries())
    late = batch(2, [{"e": "out", "t": time.time() * 1000, "ref": order["id"]}], gen=gen)
    custom(kernel, comm_id, late)
    again = kernel.wait_entry(sent_to_front_end("owner"), 10, "owner again", mark)
    assert again.content["data"]["content"]["client"] == "fe-2"

    # fe-2 opens and streams on from seq 2.
    fe2 = opened(2, gen, [{"e": "in", "text": "b"}], client="fe-2")
    custom(kernel, comm_id, fe2)
    state = kernel.run(
        "t0 = time.monotonic()\n"
        "while ws.received < 2 and time.monotonic() - t0 < 10:\n"
        "    time.sleep(0.05)\n"
        + result_line(
            "dict(status=ws.status, sent=ws.sent, unsent=ws.unsent, lost=ws.lost, "
            "rows=[(m.seq, m.direction, m.data) for m in ws.messages])"
        )
    ).result()
    assert state["rows"] == [[1, "in", "a"], [2, "in", "b"]], state
    assert state["status"] == "open" and state["sent"] == 0 and state["unsent"] == 1, state
    assert state["lost"] == 0, state


def test_a_hidden_owner_keeps_the_socket_and_its_sends(kernel: Kernel) -> None:
    """A hidden tab's timers may run once a minute: its silence is not its end."""
    comm_id = start_browser_widget(kernel)
    told = owner_of(kernel, comm_id)
    gen = told["gen"]
    custom(kernel, comm_id, opened(1, gen, [], visible=False))
    order = kernel_send(kernel, "while-hidden")

    # Silent past the 3 s a visible page is given: the kernel probes, and waits.
    mark = len(kernel.entries())
    silent_since = time.monotonic()
    is_probe = sent_to_front_end("probe", "fe-1")

    def fourth_probe(e: Entry) -> bool:
        return is_probe(e) and sum(map(is_probe, kernel.entries()[mark : e.index + 1])) == 4

    probes = kernel.wait_entry(fourth_probe, 15, "four probes of the hidden owner", mark)
    assert probes.arrived - silent_since > 3.0
    said = [e for e in kernel.entries()[mark:] if "no-browser" in str(e.content)]
    assert not said, f"the status flapped while the owner was hidden: {said[0].content}"
    assert not [e for e in kernel.entries()[mark:] if sent_to_front_end("owner")(e)]

    # It answers at last (a probe, or its throttled timer): the send went out.
    custom(
        kernel,
        comm_id,
        batch(1, [{"e": "out", "t": time.time() * 1000, "ref": order["id"]}], gen=gen),
    )
    state = kernel.run(
        "t0 = time.monotonic()\n"
        "while ws.sent < 1 and time.monotonic() - t0 < 10:\n"
        "    time.sleep(0.05)\n"
        + result_line(
            "dict(status=ws.status, sent=ws.sent, unsent=ws.unsent, "
            "out=[m.data for m in ws.messages if m.direction == 'out'])"
        )
    ).result()
    assert state == {"status": "open", "sent": 1, "unsent": 0, "out": ["while-hidden"]}, state


def test_late_and_broken_reports_never_make_up_messages(kernel: Kernel) -> None:
    comm_id = start_browser_widget(kernel)
    told = owner_of(kernel, comm_id)
    gen = told["gen"]
    custom(kernel, comm_id, opened(1, gen, []))
    order = kernel_send(kernel, "late")

    # A visible owner silent for 3 s is taken as gone: its send is counted unsent.
    mark = len(kernel.entries())
    kernel.wait_entry(lambda e: "no-browser" in str(e.content), 15, "status no-browser", mark)
    assert kernel.run(result_line("ws.unsent")).result() == 1

    # Its late batch: the send it reports was sent after all (the kernel still has it),
    # and an event whose buffer is missing is counted lost, not recorded as b"".
    now = time.time() * 1000
    events = [{"e": "out", "t": now, "ref": order["id"]}, {"e": "in", "t": now, "buf": 3}]
    custom(kernel, comm_id, batch(1, events, gen=gen))
    state = kernel.run(
        "t0 = time.monotonic()\n"
        "while ws.lost < 1 and time.monotonic() - t0 < 10:\n"
        "    time.sleep(0.05)\n"
        + result_line(
            "dict(status=ws.status, sent=ws.sent, unsent=ws.unsent, lost=ws.lost, "
            "error=ws.error, rows=[(m.direction, m.data) for m in ws.messages])"
        )
    ).result()
    assert state["rows"] == [["out", "late"]], state
    assert state["sent"] == 1 and state["unsent"] == 0 and state["lost"] == 1, state
    assert state["status"] == "open", state


def test_browser_mode_max_size_and_url_limits(kernel: Kernel) -> None:
    errors = kernel.run(
        "import ipywebsockets as iws\n"
        "errors = []\n"
        "for kwargs in ({'max_size': None}, {'max_size': 9 * 2**20},"
        " {'url': 'ws://h/' + 'x' * 9000}):\n"
        "    try:\n"
        "        iws.WebSocket(**{'url': 'ws://127.0.0.1:9', 'mode': 'browser', **kwargs})\n"
        "    except ValueError as exc:\n"
        "        errors.append(str(exc))\n"
        "ws = iws.WebSocket('ws://127.0.0.1:9', mode='browser', max_size=1000)\n"
        + result_line("[errors, ws.model_id]")
    ).result()
    (none, big, long_url), comm_id = errors
    for text in (none, big):
        assert "10 MiB" in text and "8388608" in text and "mode='kernel'" in text, text
    assert "at most 8192 bytes" in long_url, long_url
    start = len(kernel.entries())
    hello(kernel, comm_id, "fe-1")
    owner = kernel.wait_entry(sent_to_front_end("owner", "fe-1"), 10, "owner", start)
    assert owner.content["data"]["content"]["max_size"] == 1000


def test_sends_the_page_never_got_are_counted_unsent(kernel: Kernel) -> None:
    """Jupyter's connection to a frozen tab may drop kernel messages: the page says so."""
    comm_id = start_browser_widget(kernel)
    told = owner_of(kernel, comm_id)
    gen = told["gen"]
    custom(kernel, comm_id, opened(1, gen, []))
    first, second, third = (kernel_send(kernel, f"s{i}")["id"] for i in range(3))
    assert [first, second, third] == [told["next_id"] + i for i in range(3)]
    # The page got only the third: it reports the gap, and the third as sent.
    now = time.time() * 1000
    events = [{"e": "missed", "from": first, "to": second}, {"e": "out", "t": now, "ref": third}]
    custom(kernel, comm_id, batch(1, events, gen=gen))
    state = kernel.run(
        "t0 = time.monotonic()\n"
        "while ws.sent < 1 and time.monotonic() - t0 < 10:\n"
        "    time.sleep(0.05)\n"
        + result_line(
            "dict(sent=ws.sent, unsent=ws.unsent, error=ws.error, "
            "out=[m.data for m in ws.messages if m.direction == 'out'])"
        )
    ).result()
    assert state["sent"] == 1 and state["unsent"] == 2 and state["out"] == ["s2"], state
    assert "2 sends never reached the browser" in state["error"], state


def test_the_page_s_batches_do_not_each_send_the_whole_state(kernel: Kernel) -> None:
    """ipykernel runs post_execute hooks around every comm message: not a cell's end.

    Each batch used to send every widget's whole state (an ``update`` of about
    10 kB with ``persisted``), 30 a second while a browser-mode socket streams.
    """
    comm_id = start_browser_widget(kernel)
    told = owner_of(kernel, comm_id)
    gen = told["gen"]
    custom(kernel, comm_id, opened(1, gen, []))
    mark = len(kernel.entries())
    t0 = time.monotonic()
    for b in range(40):
        texts = [f'{{"n": {b * 10 + i}}}' for i in range(10)]
        run = {"e": "ins", "t0": time.time() * 1000, "t": [0] * 10, "text": texts}
        custom(kernel, comm_id, batch(1 + 10 * b, [run], gen=gen))
        time.sleep(0.025)
    assert kernel.run(result_line("ws.received")).result() == 400
    took = time.monotonic() - t0
    updates = [
        e
        for e in kernel.entries()[mark:]
        if e.msg_type == "comm_msg"
        and e.content.get("comm_id") == comm_id
        and e.content.get("data", {}).get("method") == "update"
    ]
    # About one a second while it streams, one at the end of the cell that asked.
    assert len(updates) <= took + 3, f"{len(updates)} updates in {took:.1f} s for 40 batches"
