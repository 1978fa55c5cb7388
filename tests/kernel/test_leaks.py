"""Sockets opened and closed in a real kernel, with comms and views: nothing is left behind.

It found two leaks (anywidget's file watcher held every widget; ipywidgets'
close() left each DOM widget's Layout registered) and a deadlock: the garbage
collector ran a view's ``__del__`` on the publisher thread while it held its lock.
"""

from __future__ import annotations

import pytest

from conftest import Kernel, result_line

pytestmark = pytest.mark.kernel

CYCLES = """\
import gc, os, threading, time, weakref, asyncio
import ipywebsockets as iws
from ipywebsockets import runtime
from ipywidgets.widgets import widget as _w

def census():
    gc.collect()
    async def tasks():
        return len(asyncio.all_tasks())
    statm = open('/proc/self/statm').read().split()
    return dict(
        widgets=len(_w._instances), threads=threading.active_count(),
        tasks=runtime.get_runtime().run(tasks(), 5),
        rss_mb=int(statm[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20,
    )

srv = iws.EchoServer().start()
refs = []
def cycles(n):
    for i in range(n):
        ws = iws.WebSocket(srv.url)
        log = iws.Log(ws)
        ws.send(str(i))
        assert ws.recv(timeout=10).data == str(i)
        log.close()
        ws.close(widget=True)
        refs.append(weakref.ref(ws))
        del ws, log

cycles(300)  # warm-up: allocator arenas, zmq buffers, caches (RSS +15 MB, then flat)
before = census()
started = time.monotonic()
cycles(N)
took = time.monotonic() - started
time.sleep(0.5)
after = census()
alive = sum(r() is not None for r in refs[300:])
"""


def test_open_close_cycles_in_a_kernel_leak_nothing(kernel: Kernel) -> None:
    r = kernel.run(
        CYCLES.replace("N)", "300)")
        + result_line("dict(before=before, after=after, alive=alive, took=took)"),
        timeout=120,
    ).result()
    print(r)
    before, after = r["before"], r["after"]
    assert r["alive"] <= 1
    assert after["widgets"] <= before["widgets"], r
    assert after["threads"] <= before["threads"], r
    assert after["tasks"] <= before["tasks"], r
    assert after["rss_mb"] - before["rss_mb"] < 12, r  # measured +1.3 and +7.2 MB
