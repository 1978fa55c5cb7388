"""libwebsockets' own test server (Debian), a WebSocket server no one here wrote.

``dumb-increment-protocol`` sends a counter every 50 ms, per connection from 0,
and restarts it on ``reset\\n``; ``lws-mirror-protocol`` sends every message
any client sends to every client of that protocol, the sender included. The
server is killed (SIGKILL: no close frame) and started again on the same port:
the socket reconnects and data resumes with no action from the user, and an
``on_open`` hook's messages reach the server after every reopen, before
anything queued while away.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from thirdparty_servers import ServerProcess

import ipywebsockets as iws
from timing import eventually, timeout_s

T = timeout_s(10)
DUMB = "dumb-increment-protocol"
MIRROR = "lws-mirror-protocol"


def quick() -> iws.Backoff:
    """Reconnect after 50 ms, then 100 ms, ...: the test waits for the server, not the backoff."""
    return iws.Backoff(initial=0.05, factor=2.0, max_delay=0.5, jitter=0.0)


def counter(msg: iws.Message) -> int:
    return int(msg.text())


def test_dumb_increment_counts_up_and_resets(
    lws: ServerProcess, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(lws.url, protocols=[DUMB])
    values = [counter(ws.recv(timeout=T)) for _ in range(5)]
    assert values == list(range(values[0], values[0] + 5)), values
    assert ws.subprotocol == DUMB
    last = counter(ws.wait_for(lambda m: counter(m) >= 10, timeout=T))

    ws.send("reset\n")
    # The first value below the last one seen is the restarted counter: 0.
    assert counter(ws.wait_for(lambda m: counter(m) < last, timeout=T)) == 0


def test_data_resumes_after_the_server_is_killed_and_restarted(
    lws: ServerProcess, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(lws.url, protocols=[DUMB], reconnect=quick())
    for restart in range(3):
        top = counter(ws.wait_for(lambda m: counter(m) >= 5, timeout=T))
        lws.kill()
        eventually(lambda: ws.status != "open", 10, f"the client saw restart {restart}'s kill")
        lws.start()  # the same port
        # A new connection: its counter starts again below what the old one had reached.
        again = ws.wait_for(lambda m, top=top: counter(m) < top, timeout=T)  # type: ignore[misc]
        assert counter(again) == 0, f"restart {restart}: {again.text()!r}"
        assert ws.status == "open"


def test_on_open_resets_the_counter_after_every_reconnect(
    lws: ServerProcess, connect: Callable[..., iws.WebSocket]
) -> None:
    ws = connect(lws.url, protocols=[DUMB], reconnect=quick(), connect=False)
    opens: list[int] = []

    @ws.on_open
    def reset(sock: iws.WebSocket) -> None:
        opens.append(sock.reconnects)
        sock.send("reset\n")

    ws.connect()
    for restart in range(3):
        counter(ws.wait_for(lambda m: counter(m) >= 5, timeout=T))
        assert len(opens) == restart + 1, opens
        lws.kill()
        eventually(lambda: ws.status != "open", 10, "the client saw the kill")
        lws.start()
        assert counter(ws.wait_for(lambda m: counter(m) < 5, timeout=T)) == 0
    # The counter's data does not wait for the hook (the server sends regardless).
    eventually(lambda: opens == [0, 1, 2, 3], 5, lambda: f"the hook ran after each open: {opens}")


def test_mirror_feed_resubscribes_after_five_restarts(
    lws: ServerProcess, connect: Callable[..., iws.WebSocket]
) -> None:
    """A feed that only sends what was asked for: the hook's message, mirrored back, is the
    proof that the hook ran and reached the server after each reopen, before the queue."""
    ws = connect(lws.url, protocols=[MIRROR], reconnect=quick(), connect=False)
    opens = 0

    @ws.on_open
    def subscribe(sock: iws.WebSocket) -> None:
        nonlocal opens
        opens += 1
        sock.send(f"hello {opens}")

    ws.connect()
    assert ws.wait_for(lambda m: m.text().startswith("hello"), timeout=T).text() == "hello 1"
    resumed: list[float] = []
    for restart in range(2, 7):
        lws.kill()
        eventually(lambda: ws.status != "open", 10, "the client saw the kill")
        ws.send(f"queued while away {restart}")  # waits in the send queue
        started = time.monotonic()
        lws.start()
        first = ws.recv(timeout=T)
        resumed.append(time.monotonic() - started)
        second = ws.recv(timeout=T)
        assert [first.text(), second.text()] == [f"hello {restart}", f"queued while away {restart}"]
    print(
        "restart to first mirrored message (s): " + ", ".join(f"{s:.3f}" for s in resumed)
    )  # shown with -s; the figure for the notes
