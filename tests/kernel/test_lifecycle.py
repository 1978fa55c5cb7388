"""Kernel shutdown closes sockets cleanly; closing a socket leaves no thread, fd or task behind."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from conftest import Kernel, RecordingServer, result_line
from timing import eventually, timeout_s

pytestmark = pytest.mark.kernel


def test_kernel_shutdown_closes_socket(
    kernel_factory: Callable[[], Kernel], recording_server: RecordingServer
) -> None:
    kernel = kernel_factory()
    kernel.run(
        "import ipywebsockets as iws\n"
        f"ws = iws.WebSocket({recording_server.url!r})\n"
        "import time\n"
        "deadline = time.monotonic() + 10\n"
        "while ws.handshake is None and time.monotonic() < deadline:\n"
        "    time.sleep(0.02)\n"
    )
    assert recording_server.connected.wait(timeout_s(10)), "the kernel never connected"
    assert recording_server.closed == []

    started = time.monotonic()
    kernel.shutdown(now=False)  # a normal shutdown_request, as a front end sends it
    eventually(lambda: recording_server.closed, 5, "the server saw the connection end")
    end = recording_server.closed[0]
    assert end.at - started <= timeout_s(5)
    assert end.rcvd_close_frame, f"the connection dropped without a close frame: {end}"
    assert end.code == 1001, f"expected 1001 (going away), got {end.code} {end.reason!r}"


PROBE = """\
def _threads():
    return sorted(t.name for t in threading.enumerate())

def _fds():
    # ipykernel gives every thread that publishes on IOPub its own zmq pipe (an eventfd),
    # and closes those of dead threads only every 10 s: they are not ours to count.
    kinds = []
    for fd in os.listdir('/proc/self/fd'):
        try:
            kinds.append(os.readlink(f'/proc/self/fd/{fd}'))
        except OSError:
            pass
    return len([k for k in kinds if k != 'anon_inode:[eventfd]'])

async def _tasks():
    me = asyncio.current_task()
    return [repr(t) for t in asyncio.all_tasks() if t is not me]
"""


def test_no_thread_left_after_close(kernel: Kernel) -> None:
    r = kernel.run(
        "import asyncio, json, os, threading, time\n"
        + PROBE
        # pyzmq's garbage collector (a thread and its sockets) exists once per process from
        # the first zero-copy send (the widget's comm_open carries a >64 KiB bundle).
        + "from zmq.utils.garbage import gc as zmq_gc\n"
        "zmq_gc.start()\n"
        "zmq_gc._push_socket\n"
        "threads0 = _threads()\n"
        "import ipywebsockets as iws\n"
        "from ipywebsockets import runtime\n"
        "srv = iws.EchoServer().start()\n"
        # The runtime threads (and their loops' fds) exist once per process: start them first.
        "io = runtime.get_runtime()\n"
        "io.run(asyncio.sleep(0), 5)\n"  # its loop runs: its fds exist
        "fds0 = _fds()\n"
        "ws = iws.WebSocket(srv.url)\n"
        "got = []\n"
        "@ws.on_message\n"
        "def h(m):\n"
        "    got.append(m.data)\n"
        "for i in range(5):\n"
        "    ws.send(f'm{i}')\n"
        "ws.wait_for(lambda m: m.data == 'm4', timeout=10)\n"
        "deadline = time.monotonic() + 5\n"
        "while len(got) < 5 and time.monotonic() < deadline:\n"
        "    time.sleep(0.02)\n"
        "threads1, fds1, tasks1 = _threads(), _fds(), io.run(_tasks(), 5)\n"
        "ws.close()\n"
        "deadline = time.monotonic() + 3\n"
        "while time.monotonic() < deadline:\n"
        "    threads2, fds2, tasks2 = _threads(), _fds(), io.run(_tasks(), 5)\n"
        "    if fds2 == fds0 and not tasks2 and not any(\n"
        "            n.startswith('ipywebsockets-callbacks') for n in threads2):\n"
        "        break\n"
        "    time.sleep(0.05)\n"
        "ws.messages\n"
        + result_line(
            "dict(threads0=threads0, threads1=threads1, threads2=threads2, fds0=fds0, "
            "fds1=fds1, fds2=fds2, tasks1=tasks1, tasks2=tasks2, got=got, status=ws.status, "
            "close_code=ws.close_code)"
        )
    ).result()

    # While open: a callback thread, the socket's fds and tasks exist (so the checks can fail).
    assert r["got"] == [f"m{i}" for i in range(5)]
    assert any(n.startswith("ipywebsockets-callbacks") for n in r["threads1"])
    assert r["fds1"] > r["fds0"]
    assert r["tasks1"], "no task on the I/O loop while the socket was open?"

    assert r["status"] == "closed" and r["close_code"] == 1000
    assert not any(n.startswith("ipywebsockets-callbacks") for n in r["threads2"]), r["threads2"]
    once_per_process = {"ipywebsockets-io", "ipywebsockets-servers", "ipywebsockets-publish"}
    new_threads = set(r["threads2"]) - set(r["threads0"])
    assert new_threads <= once_per_process, f"threads left after close: {new_threads}"
    assert r["fds2"] == r["fds0"], f"fds: {r['fds0']} before, {r['fds2']} after close"
    assert r["tasks2"] == [], f"tasks left on the I/O loop: {r['tasks2']}"

    # Stopping the demo server leaves no task on its loop either.
    tasks = kernel.run(
        "srv.stop()\n"
        "from ipywebsockets.runtime import get_runtime\n"
        "servers = get_runtime('ipywebsockets-servers')\n"
        "deadline = time.monotonic() + 3\n"
        "while (left := servers.run(_tasks(), 5)) and time.monotonic() < deadline:\n"
        "    time.sleep(0.02)\n" + result_line("left")
    ).result()
    assert tasks == [], f"tasks left on the servers' loop: {tasks}"
