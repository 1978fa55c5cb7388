"""Kernel-level test harness: a real ipykernel driven over ZMQ with jupyter_client.

Nothing is mocked. Each test gets a fresh kernel (``kernel`` fixture) started
from the ``python3`` kernelspec; jupyter_client replaces its ``argv[0]``
("python") by ``sys.executable``, and the fixture checks inside the kernel
that it really runs the test process's interpreter.

A collector thread reads every IOPub message as it arrives and keeps them in
arrival order (the order the kernel published them), so a test can ask which
messages came under which cell (``parent_header.msg_id``) and which were
published between a cell's ``status: busy`` and ``status: idle``.

Timeouts are unscaled seconds, scaled by ``timing.timeout_s`` (``IPYWEBSOCKETS_TIMEOUT_SCALE``).
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from timing import timeout_s

RESULT_MARK = "__IWS_RESULT__"
KERNEL_NAME = "python3"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass
class Entry:
    """One IOPub message and when (test-process monotonic clock) it arrived."""

    index: int
    arrived: float
    msg: dict[str, Any]

    @property
    def msg_type(self) -> str:
        return self.msg["header"]["msg_type"]

    @property
    def parent_id(self) -> str | None:
        return (self.msg.get("parent_header") or {}).get("msg_id")

    @property
    def content(self) -> dict[str, Any]:
        return self.msg["content"]

    @property
    def date(self) -> float:
        """The kernel's send time (header date) as a POSIX timestamp."""
        return self.msg["header"]["date"].timestamp()


@dataclass
class Cell:
    """An executed cell: its request id, reply and where it sits in the IOPub stream."""

    kernel: Kernel
    code: str
    msg_id: str
    reply: dict[str, Any]
    busy_index: int
    idle_index: int
    started: float
    finished: float

    @property
    def ok(self) -> bool:
        return self.reply["content"]["status"] == "ok"

    def entries(self) -> list[Entry]:
        """Every IOPub message so far whose parent is this cell (including later thread output)."""
        return [e for e in self.kernel.entries() if e.parent_id == self.msg_id]

    def during(self) -> list[Entry]:
        """Every IOPub message (any parent) published between this cell's busy and idle."""
        return self.kernel.entries()[self.busy_index : self.idle_index + 1]

    def stream(self, name: str = "stdout") -> str:
        return "".join(
            e.content["text"]
            for e in self.entries()
            if e.msg_type == "stream" and e.content["name"] == name
        )

    def result(self) -> Any:
        """The JSON the cell printed after ``RESULT_MARK`` (the last one)."""
        for line in reversed(self.stream("stdout").splitlines()):
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK) :])
        raise AssertionError(
            f"cell printed no result; stdout={self.stream('stdout')!r} "
            f"stderr={self.stream('stderr')!r}"
        )

    def error_text(self) -> str:
        content = self.reply["content"]
        tb = "\n".join(strip_ansi(line) for line in content.get("traceback", []))
        return f"{content.get('ename')}: {content.get('evalue')}\n{tb}"


class Kernel:
    """A running ipykernel, a blocking client and an IOPub collector."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.stdout_path = workdir / "kernel-stdout.txt"
        self.stderr_path = workdir / "kernel-stderr.txt"
        self._stdout = open(self.stdout_path, "wb")
        self._stderr = open(self.stderr_path, "wb")
        self.km = KernelManager(kernel_name=KERNEL_NAME)
        env = dict(os.environ)
        env["IPYTHONDIR"] = str(workdir / "ipython")
        env["PYTHONUNBUFFERED"] = "1"
        self.km.start_kernel(stdout=self._stdout, stderr=self._stderr, env=env, cwd=str(workdir))
        self.kc = self.km.client()
        self._entries: list[Entry] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self.kc.start_channels()
        # wait_for_ready() reads the IOPub socket itself: start the collector only after it,
        # never two readers on one zmq socket.
        self.kc.wait_for_ready(timeout=timeout_s(60))
        self._collector = threading.Thread(
            target=self._collect, name="kernel-test-iopub", daemon=True
        )
        self._collector.start()
        self._shut = False

    # -- IOPub ---------------------------------------------------------------

    def _collect(self) -> None:
        channel = self.kc.iopub_channel
        while not self._stop.is_set():
            try:
                msg = channel.get_msg(timeout=0.05)
            except queue.Empty:
                continue
            except Exception:  # the channel closed under us at shutdown
                if self._stop.is_set():
                    return
                raise
            with self._cond:
                self._entries.append(Entry(len(self._entries), time.monotonic(), msg))
                self._cond.notify_all()

    def entries(self) -> list[Entry]:
        with self._cond:
            return list(self._entries)

    def wait_entry(
        self, pred: Callable[[Entry], bool], within: float, what: str, start: int = 0
    ) -> Entry:
        """The first IOPub entry (from index ``start``) matching ``pred``, waiting for it."""
        limit = timeout_s(within)
        deadline = time.monotonic() + limit
        with self._cond:
            while True:
                for e in self._entries[start:]:
                    if pred(e):
                        return e
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no IOPub message within {limit:.1f} s: {what}")
                self._cond.wait(remaining)

    # -- execution -----------------------------------------------------------

    def execute(self, code: str, timeout: float = 30) -> Cell:
        """Run ``code`` as a cell; wait for its reply and its ``status: idle``."""
        started = time.monotonic()
        msg_id = self.kc.execute(code, store_history=True, allow_stdin=False)
        deadline = started + timeout_s(timeout)
        reply = None
        while reply is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no execute_reply within {timeout_s(timeout)} s for:\n{code}")
            try:
                msg = self.kc.get_shell_msg(timeout=remaining)
            except Exception:
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                reply = msg
        remaining = max(1.0, deadline - time.monotonic())

        def is_status(state: str) -> Callable[[Entry], bool]:
            return lambda e: (
                e.msg_type == "status"
                and e.parent_id == msg_id
                and e.content["execution_state"] == state
            )

        busy = self.wait_entry(is_status("busy"), remaining, f"busy for {code!r}")
        idle = self.wait_entry(is_status("idle"), remaining, f"idle for {code!r}", busy.index)
        return Cell(self, code, msg_id, reply, busy.index, idle.index, started, time.monotonic())

    def run(self, code: str, timeout: float = 30) -> Cell:
        """Like :meth:`execute`, failing the test with the kernel's traceback on error."""
        cell = self.execute(code, timeout)
        if not cell.ok:
            raise AssertionError(f"cell failed:\n{code}\n---\n{cell.error_text()}")
        return cell

    def show(self, comm_id: str) -> None:
        """Say ``hello`` to a widget's comm, as the page's view of it does when it appears.

        Shell messages run in order: the next cell runs after the kernel handled it.
        """
        content = {"comm_id": comm_id, "data": {"method": "custom", "content": {"type": "hello"}}}
        msg = self.kc.session.msg("comm_msg", content)
        self.kc.shell_channel.send(msg)

    def kernel_stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text("utf-8", "replace")

    # -- shutdown ------------------------------------------------------------

    def shutdown(self, now: bool = False) -> None:
        if self._shut:
            return
        self._shut = True
        try:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=now)
        finally:
            self._stop.set()
            self._collector.join(timeout_s(2))
            self.kc.stop_channels()
            self._stdout.close()
            self._stderr.close()


@pytest.fixture
def kernel_factory() -> Iterator[Callable[[], Kernel]]:
    """Start fresh kernels on demand; every one still alive is shut down at the end."""
    kernels: list[Kernel] = []
    with tempfile.TemporaryDirectory(prefix="iws-kernel-") as tmp:

        def make() -> Kernel:
            workdir = Path(tmp) / f"k{len(kernels)}"
            workdir.mkdir()
            k = Kernel(workdir)
            kernels.append(k)
            cell = k.run(f"import sys, json; print({RESULT_MARK!r} + json.dumps(sys.executable))")
            assert cell.result() == sys.executable, "the kernel must run the test's interpreter"
            return k

        try:
            yield make
        finally:
            for k in kernels:
                try:
                    k.shutdown(now=False)
                except Exception:  # pragma: no cover - best effort; report the test's own failure
                    k.km.shutdown_kernel(now=True)


@pytest.fixture
def kernel(kernel_factory: Callable[[], Kernel]) -> Kernel:
    """A fresh kernel for one test (tests run widgets and servers; no sharing, no leaks)."""
    return kernel_factory()


def result_line(expr: str) -> str:
    """Python source that prints ``expr`` as a JSON result line (for Cell.result())."""
    return f"print({RESULT_MARK!r} + json.dumps({expr}))"


# --------------------------------------------------------------------------- test-side WS server


@dataclass
class ClosedConnection:
    code: int | None
    reason: str
    rcvd_close_frame: bool
    at: float


@dataclass
class RecordingServer:
    """A plain ``websockets`` server in the test process that records how connections end."""

    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    connected: threading.Event = field(default_factory=threading.Event)
    closed: list[ClosedConnection] = field(default_factory=list)
    port: int = 0

    def start(self) -> RecordingServer:
        from websockets.asyncio.server import serve

        self._thread = threading.Thread(
            target=self.loop.run_forever, name="kernel-test-ws-server", daemon=True
        )
        self._thread.start()

        async def _start() -> Any:
            return await serve(self._handler, "127.0.0.1", 0)

        self._server = asyncio.run_coroutine_threadsafe(_start(), self.loop).result(timeout_s(10))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def _handler(self, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        self.connected.set()
        try:
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass
        self.closed.append(
            ClosedConnection(
                ws.close_code,
                ws.close_reason or "",
                ws.protocol.close_rcvd is not None,
                time.monotonic(),
            )
        )

    def stop(self) -> None:
        async def _stop() -> None:
            self._server.close()
            await self._server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(_stop(), self.loop).result(timeout_s(10))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout_s(5))
            self.loop.close()


@pytest.fixture
def recording_server() -> Iterator[RecordingServer]:
    srv = RecordingServer().start()
    try:
        yield srv
    finally:
        srv.stop()
