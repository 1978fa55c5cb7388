"""mode="browser" in a hidden, stalled tab of a real JupyterLab (issue 14, point 10).

Chromium runs a hidden page's timers once a second, once a minute after five minutes
(intensive wake-up throttling), and not at all while it freezes the page. The widget's
heartbeat and flush timers then stall: the kernel must not take the silence of a hidden
tab for a closed one (no ``no-browser``), must not count sends unsent, and must never
make up messages (docs/browser-mode.md#hidden-tabs).

The tab is hidden (another tab in front), then frozen for FROZEN seconds: a
stricter stall than a minute of intensive throttling, which could not be
reproduced in the JupyterLab page here (its hidden timers kept running every
second even with the grace period shortened by
``--enable-features=IntensiveWakeUpThrottling:grace_period_seconds/1``, while a plain
page's slept for a minute). Playwright keeps the pages it drives visible (focus
emulation), so the notebook is opened in a tab Playwright does not drive, over the
DevTools protocol itself (``--remote-debugging-port``). Freezing closes the tab's
WebSockets, JupyterLab's kernel connection included: reports come late, once the tab
runs again and JupyterLab reconnects. The test measures the page's own timer gaps to
prove the stall.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from iws_e2e_harness import CHROMIUM, CHROMIUM_ARGS, free_port, run_cell, run_notebook
from websockets.sync.client import connect

from timing import eventually, timeout_s

pytestmark = pytest.mark.e2e

WINDOW = 30  # seconds the kernel watches
FROZEN = 12.0  # seconds the hidden tab runs nothing: 4x what a visible tab is allowed
THROTTLING_OFF = [  # Playwright's defaults that would keep timers on time
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


class CdpPage:
    """The few ``Page`` calls the e2e harness makes, over a raw DevTools connection."""

    def __init__(self, ws_url: str) -> None:
        self._stack = contextlib.ExitStack()
        self._ws = self._stack.enter_context(
            connect(ws_url, max_size=None, proxy=None, open_timeout=timeout_s(10))
        )
        self._ids = count(1)
        self._iws_console: list[str] = []

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params or {}}))
        while True:
            reply = json.loads(self._ws.recv(timeout=timeout_s(60)))
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]  # type: ignore[no-any-return]

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        """Calls the function ``expression`` with ``arg`` in the page (awaits promises)."""
        result = self.call(
            "Runtime.evaluate",
            {
                "expression": f"({expression})({json.dumps(arg)})",
                "awaitPromise": True,
                "returnByValue": True,
            },
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, url: str, **_: Any) -> None:
        self.call("Page.navigate", {"url": url})

    def wait_for_function(self, expression: str, timeout: float = 30_000) -> None:
        truthy = f"(a) => Boolean(({expression})(a))"
        eventually(lambda: self.evaluate(truthy), timeout / 1000, expression, interval=0.1)

    def locator(self, selector: str) -> Any:
        page = self

        class Locator:
            def count(self) -> int:
                found = page.evaluate("(s) => document.querySelectorAll(s).length", selector)
                return int(found)

        return Locator()

    def close(self) -> None:
        self._stack.close()


CELLS = [
    "import json, threading, time\n"
    "import ipywebsockets as iws\n"
    "ticker = iws.TickerServer(rate=20).start()\n"
    "echo = iws.EchoServer().start()\n"
    'ws = iws.WebSocket(ticker.url, mode="browser")\n'
    'e = iws.WebSocket(echo.url, mode="browser")',
    "ws",
    "e",
]

OBSERVER = f"""\
report = {{"log": [], "errors": []}}

def observe():
    t0, n, next_send = time.monotonic(), 0, 0.0
    while time.monotonic() - t0 < {WINDOW}:
        now = time.monotonic() - t0
        if now >= next_send:  # a kernel send every 2 s, through the hidden tab
            try:
                e.send(f"k{{n}}")
                n += 1
            except Exception as exc:
                report["errors"].append(repr(exc))
            next_send += 2.0
        report["log"].append(
            [round(now, 2), ws.status, e.status, ws.received, ws.error, e.sent, e.received]
        )
        time.sleep(0.1)
    # A frozen tab may also have lost JupyterLab's own kernel connection, which the
    # hidden tab re-opens on its (throttled) timers: reports may come late, never wrong.
    t1 = time.monotonic()
    while (e.received < e.sent or e.sent + e.unsent < n) and time.monotonic() - t1 < 60:
        time.sleep(0.1)
    report["final"] = dict(
        sends=n, sent=e.sent, unsent=e.unsent, lost=[ws.lost, e.lost], error=e.error,
        echoes=[m.data for m in e.messages if m.direction == "in"],
        outs=[m.data for m in e.messages if m.direction == "out"],
        kinds=sorted({{m.kind for w in (ws, e) for m in w.messages}}),
        status=[ws.status, e.status],
    )
    with open("throttle_report.json", "w") as f:
        json.dump(report, f)

threading.Thread(target=observe, daemon=True).start()
print("OBSERVING")
"""

GAPS = """() => {
  window.__iwsVisibility = [];
  document.addEventListener("visibilitychange", () =>
    window.__iwsVisibility.push(document.visibilityState));
  window.__iwsGaps = [];
  let last = performance.now();
  const tick = () => {  // a chained timer, as intensive throttling counts them
    const now = performance.now();
    window.__iwsGaps.push(now - last);
    last = now;
    setTimeout(tick, 200);
  };
  setTimeout(tick, 200);
}"""


def test_hidden_throttled_tab_keeps_the_socket(browser, jupyter_server, jupyter_env):
    base = jupyter_server("lab")
    port = free_port()
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            f"--remote-debugging-port={port}",
            "--enable-features=IntensiveWakeUpThrottling:grace_period_seconds/1",
        ],
        ignore_default_args=THROTTLING_OFF,
    )
    page = None
    name = "browser_throttled"
    report_path = Path(jupyter_env.notebooks) / "throttle_report.json"
    report_path.unlink(missing_ok=True)
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT"
        )
        with urllib.request.urlopen(request, timeout=timeout_s(10)) as r:
            target = json.load(r)
        page = CdpPage(target["webSocketDebuggerUrl"])
        page.call("Page.enable")
        # As Playwright does: JupyterLab's currentWidget follows focus.
        page.call("Emulation.setFocusEmulationEnabled", {"enabled": True})
        run_notebook(page, base, CELLS, name, notebooks_root=jupyter_env.notebooks)
        statuses = (
            "() => [...document.querySelectorAll('.iws-status')].map((s) => s.textContent.trim())"
        )
        eventually(lambda: page.evaluate(statuses) == ["open", "open"], 30, "both widgets open")

        run_cell(page, name, OBSERVER)
        page.evaluate(GAPS)
        # Focus emulation keeps a page visible (that is what Playwright's pages have on).
        page.call("Emulation.setFocusEmulationEnabled", {"enabled": False})
        # Another tab in front hides this one (timers once a second, sockets kept).
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT"
        )
        with urllib.request.urlopen(request, timeout=timeout_s(10)) as r:
            front = json.load(r)
        urllib.request.urlopen(f"http://127.0.0.1:{port}/json/activate/{front['id']}").close()
        # The widget's own visibilitychange listener ran with ours and told the kernel;
        # its message travels over JupyterLab's kernel connection, which freezing closes:
        # give it a moment to leave before the freeze.
        eventually(
            lambda: page.evaluate("() => window.__iwsVisibility") == ["hidden"], 10, "hidden"
        )
        time.sleep(2)
        page.call("Page.setWebLifecycleState", {"state": "frozen"})
        time.sleep(FROZEN)  # the window measured: the kernel sends and watches meanwhile
        page.call("Page.setWebLifecycleState", {"state": "active"})

        eventually(report_path.exists, WINDOW + 90, "the kernel's report", interval=1)
        report = json.loads(report_path.read_text())
        gaps = page.evaluate("() => window.__iwsGaps")
    finally:
        if page is not None:
            page.close()
        chromium.close()

    # The stall was real: the page's 200 ms timer did not run for FROZEN seconds.
    longest = max(gaps) / 1000
    print(f"hidden tab: {len(gaps)} timer runs, longest gap {longest:.1f} s")
    assert longest >= FROZEN - 1, f"the tab's timers did not stall (longest gap {longest:.1f} s)"

    log = report["log"]
    flapped = [row for row in log if "no-browser" in (row[1], row[2])]
    assert not flapped, f"the kernel gave up on the hidden tab: {flapped[:3]}"
    shown = sorted({(row[1], row[4]) for row in log})
    print("statuses while hidden:", shown)
    # Messages reached the kernel before and after the stall, none was lost.
    assert log[-1][3] > log[0][3] > 0, (log[0], log[-1])

    final = report["final"]
    assert report["errors"] == [], report["errors"]
    # Every kernel send is accounted for: sent (and echoed), or counted unsent because
    # the page said it never got it (freezing dropped JupyterLab's own connection, and
    # jupyter_server did not replay what the kernel sent meanwhile). None stays pending.
    print(f"kernel sends: {final['sends']}, sent {final['sent']}, unsent {final['unsent']}")
    assert final["sent"] + final["unsent"] == final["sends"], final
    assert final["outs"] == final["echoes"] and len(final["outs"]) == final["sent"], final
    sends = [f"k{i}" for i in range(final["sends"])]
    assert [x for x in sends if x in final["outs"]] == final["outs"], "sent out of order"
    assert final["sent"] >= final["sends"] // 2, final
    if final["unsent"]:
        assert "never reached the browser" in final["error"], final["error"]
    assert final["kinds"] == ["text"], f"messages made up: kinds {final['kinds']}"
    assert final["lost"] == [0, 0] and final["status"] == ["open", "open"], final
