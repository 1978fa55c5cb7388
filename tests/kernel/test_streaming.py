"""Reception and kernel→browser traffic while cells block, at high rates, with slow callbacks."""

from __future__ import annotations

import pytest

from conftest import Kernel, result_line
from timing import eventually

pytestmark = pytest.mark.kernel

IMPORTS = "import json, time\nimport ipywebsockets as iws\n"


def _widget_comm_msgs(kernel: Kernel, comm_id: str, entries=None):  # type: ignore[no-untyped-def]
    entries = kernel.entries() if entries is None else entries
    return [e for e in entries if e.msg_type == "comm_msg" and e.content["comm_id"] == comm_id]


def _frames_payload(entry) -> dict | None:  # type: ignore[no-untyped-def]
    data = entry.content["data"]
    if data.get("method") == "custom" and data["content"].get("type") == "frames":
        return data["content"]
    return None


def test_blocking_cell_keeps_receiving(kernel: Kernel) -> None:
    model_id = kernel.run(
        IMPORTS + "srv = iws.TickerServer(rate=200).start()\n"
        "ws = iws.WebSocket(srv.url, history=5000)\n"
        "ws.recv(timeout=10)\n" + result_line("ws.model_id")
    ).result()
    kernel.show(model_id)  # a page shows it: rows go out

    blocking = kernel.run(
        "t0 = time.time(); time.sleep(3); t1 = time.time()\n"
        "inc = [m for m in ws.messages if m.direction == 'in']\n"
        "during = [m.json()['seq'] for m in inc if t0 <= m.time <= t1]\n"
        + result_line("{'t0': t0, 't1': t1, 'during': during}")
    )
    r = blocking.result()
    during = r["during"]
    # 200/s for 3 s is 600 ticks: they arrived while the main thread slept.
    assert len(during) >= 400, f"only {len(during)} messages arrived during a 3 s blocking cell"
    assert during == list(range(during[0], during[0] + len(during))), "gaps in the tick sequence"

    # The view kept updating: comm messages for this widget were published between
    # the blocking cell's busy and idle, spread over the whole sleep.
    live = _widget_comm_msgs(kernel, model_id, blocking.during())
    assert len(live) >= 30, f"only {len(live)} comm messages for the widget during the 3 s cell"
    dates = [e.date for e in live]
    assert min(dates) <= r["t0"] + 0.5, "no comm message in the first half second of the sleep"
    assert max(dates) >= r["t1"] - 0.5, "no comm message in the last half second of the sleep"
    in_sleep = [e for e in live if r["t0"] <= e.date <= r["t1"]]
    seqs = [s for e in in_sleep if (p := _frames_payload(e)) for s in p["frames"]["seq"]]
    assert seqs, "the comm messages during the sleep carried no frames"
    assert max(seqs) - min(seqs) >= 400

    kernel.run("ws.close(); srv.stop()")


def _stream_rate(kernel: Kernel, max_fps: int, seconds: float) -> None:
    setup = kernel.run(
        IMPORTS
        # rate=20000: about as fast as this machine's client reads.
        + "srv = iws.TickerServer(rate=20000).start()\n"
        f"ws = iws.WebSocket(srv.url, max_fps={max_fps})\n"
        "ws.recv(timeout=10)\n" + result_line("ws.model_id")
    )
    model_id = setup.result()
    kernel.show(model_id)
    cell = kernel.run(
        f"t0 = time.time(); time.sleep({seconds}); t1 = time.time()\n"
        "ws.messages\n"  # brings the traits up to date
        + result_line("{'t0': t0, 't1': t1, 'received': ws.received}")
    )
    r = cell.result()
    end = kernel.run(
        "ws.close(); srv.stop(); ws.messages\n"
        + result_line("{'received': ws.received, 'sent': ws.sent, 'status': ws.status}")
    ).result()

    # Dozens of messages per possible flush, even on a loaded machine (~20k/s when quiet).
    assert r["received"] > 1_000 * seconds, f"not a fast stream: {r['received']} in {seconds} s"

    window = r["t1"] - r["t0"]
    in_window = [e for e in _widget_comm_msgs(kernel, model_id) if r["t0"] <= e.date <= r["t1"]]
    per_second = len(in_window) / window
    print(
        f"max_fps={max_fps}: {r['received']} messages in {window:.2f} s, "
        f"{len(in_window)} comm messages = {per_second:.1f}/s"
    )
    assert per_second <= max_fps + (3 if max_fps >= 30 else 2), (
        f"{len(in_window)} comm messages in {window:.2f} s = {per_second:.1f}/s > max_fps={max_fps}"
    )
    assert per_second >= max_fps / 3, f"the widget hardly published: {per_second:.1f}/s"

    # Everything the whole cell published on IOPub stays far below Jupyter's 1,000/s limit.
    assert len(cell.during()) / window <= 2 * max_fps + 10
    texts = "".join(e.content.get("text", "") for e in kernel.entries() if e.msg_type == "stream")
    assert "IOPub message rate exceeded" not in texts
    assert "IOPub message rate exceeded" not in kernel.kernel_stderr()

    # Coalescing counts what it leaves out: rows shown + rows omitted = every message,
    # once the publisher has done its last flush after the close.
    assert end["status"] == "closed"
    accounted = 0

    def all_accounted() -> bool:
        nonlocal accounted
        frames = [p for e in _widget_comm_msgs(kernel, model_id) if (p := _frames_payload(e))]
        accounted = sum(len(p["frames"]["seq"]) + p["omitted"] for p in frames)
        return accounted >= end["received"] + end["sent"]

    eventually(all_accounted, 5, "the last flush after the close")
    assert accounted == end["received"] + end["sent"], (
        f"frames messages account for {accounted} messages, the widget saw "
        f"{end['received']} in + {end['sent']} out"
    )


def test_a_socket_no_page_shows_publishes_its_state_once_a_second(kernel: Kernel) -> None:
    model_id = kernel.run(
        IMPORTS + "srv = iws.TickerServer(rate=2000).start()\n"
        "ws = iws.WebSocket(srv.url)\n"
        "ws.recv(timeout=10)\n" + result_line("ws.model_id")
    ).result()
    cell = kernel.run(
        "t0 = time.time(); time.sleep(3); t1 = time.time()\n"
        + result_line("{'t0': t0, 't1': t1, 'received': ws.received}")
    )
    r = cell.result()
    in_window = [e for e in _widget_comm_msgs(kernel, model_id) if r["t0"] <= e.date <= r["t1"]]
    assert not [e for e in in_window if _frames_payload(e)], "rows sent to no view"
    updates = [e for e in in_window if e.content["data"].get("method") == "update"]
    assert 2 <= len(updates) <= 5, f"{len(updates)} state updates in 3 s (about 1/s expected)"
    assert "received" in updates[-1].content["data"]["state"]

    # A view appears: it gets the history's tail, and rows from then on.
    kernel.show(model_id)
    kernel.run("time.sleep(1)")
    after = [e for e in _widget_comm_msgs(kernel, model_id) if e.date > r["t1"]]
    frames = [p for e in after if (p := _frames_payload(e))]
    assert frames and frames[0]["reset"] is True, "no tail for the view that said hello"
    assert len(frames) >= 10, f"only {len(frames)} frames messages in 1 s after the hello"
    kernel.run("ws.close(); srv.stop()")


def test_a_displayed_socket_sends_rows_before_its_view_says_hello(kernel: Kernel) -> None:
    """The hello may wait for a blocking cell: display itself tells the kernel a page shows it."""
    model_id = kernel.run(
        IMPORTS + "srv = iws.TickerServer(rate=2000).start()\n"
        "ws = iws.WebSocket(srv.url)\n"
        "display(ws)\n"
        "t0 = time.time(); time.sleep(1); t1 = time.time()\n"
        + result_line("{'id': ws.model_id, 't0': t0, 't1': t1}")
    ).result()
    frames = [
        p
        for e in _widget_comm_msgs(kernel, model_id["id"])
        if model_id["t0"] <= e.date <= model_id["t1"] and (p := _frames_payload(e))
    ]
    assert len(frames) >= 10, f"only {len(frames)} frames messages in 1 s after display()"
    kernel.run("ws.close(); srv.stop()")


def test_iopub_coalesced_at_high_rate(kernel: Kernel) -> None:
    _stream_rate(kernel, max_fps=30, seconds=3)


def test_iopub_coalesced_at_low_max_fps(kernel: Kernel) -> None:
    _stream_rate(kernel, max_fps=5, seconds=2)


def test_slow_callback_does_not_block_reception(kernel: Kernel) -> None:
    kernel.run(
        IMPORTS + "srv = iws.TickerServer(rate=500, count=1000).start()\n"
        "ws = iws.WebSocket(srv.url, history=5000, connect=False)\n"
        "seen = []\n"
        "slow = True\n"
        "@ws.on_message\n"
        "def handler(m):\n"
        "    seen.append(m.json()['seq'])\n"
        "    if slow:\n"
        "        time.sleep(0.05)\n"
        "ws.connect()\n"
    )
    r = kernel.run(
        "time.sleep(2)\n"
        "ws.messages\n"  # refresh the traits before reading them
        + result_line("{'received': ws.received, 'handled': len(seen)}")
    ).result()
    assert r["received"] >= 800, f"reception stalled behind the slow handler: {r}"
    assert r["handled"] <= 100, f"the handler cannot have handled that many at 20/s: {r}"

    # Nothing was dropped: once the handler is fast again it catches up, in order.
    done = kernel.run(
        "slow = False\n"
        "deadline = time.monotonic() + 15\n"
        "while (len(seen) < 1000 or ws._stream.state['status'] != 'closed') "
        "and time.monotonic() < deadline:\n"
        "    time.sleep(0.02)\n"
        "ws.messages\n"
        + result_line(
            "{'seen': seen, 'received': ws.received, 'status': ws.status, "
            "'close_code': ws.close_code, 'errors': ws.callback_errors}"
        ),
        timeout=40,
    ).result()
    assert done["received"] == 1000
    assert done["close_code"] == 1000 and done["status"] == "closed"
    assert done["seen"] == list(range(1, 1001)), (
        f"handler saw {len(done['seen'])} messages, not 1..1000 in order"
    )
    assert done["errors"] == 0
    kernel.run("srv.stop()")


def test_callback_backpressure_loses_nothing(kernel: Kernel) -> None:
    """A full callback queue pauses reception instead of dropping messages."""
    r = kernel.run(
        IMPORTS + "srv = iws.TickerServer(rate=None, count=3000).start()\n"
        "ws = iws.WebSocket(srv.url, history=5000, callback_queue=50, connect=False)\n"
        "seen = []\n"
        "@ws.on_message\n"
        "def handler(m):\n"
        "    seen.append(m.json()['seq'])\n"
        "    if len(seen) % 100 == 0:\n"
        "        time.sleep(0.01)\n"
        "ws.connect()\n"
        "deadline = time.monotonic() + 20\n"
        "while len(seen) < 3000 and time.monotonic() < deadline:\n"
        "    time.sleep(0.02)\n"
        "ws.messages\n"
        "srv.stop()\n" + result_line("{'seen': seen, 'received': ws.received}"),
        timeout=40,
    ).result()
    assert r["received"] == 3000
    assert r["seen"] == list(range(1, 3001))
