"""marimo as a front end: a real ``marimo edit`` server, its page in headless Chromium.

The test writes a marimo app (a .py file), starts ``marimo edit --headless
--no-token`` on a free 127.0.0.1 port with its own config dir (``[runtime]
auto_instantiate = true``: the notebook runs when the page opens), and drives
the page. marimo renders each anywidget in a shadow root; Playwright's CSS
selectors pierce open shadow roots, so the views' DOM contract is the same as
in JupyterLab (see test_views_*.py). Kernel-side numbers are read by clicking a
``mo.ui.run_button``, which re-runs the cell that prints them.

One server and one page for the module (a marimo edit session is one kernel
per notebook file); the tests run in order on the same running app.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from iws_e2e_harness import REPO_ROOT, ServerProcess, free_port, open_page

from timing import eventually, timeout_ms

pytestmark = pytest.mark.e2e

APP = textwrap.dedent(
    """
    import marimo

    app = marimo.App()


    @app.cell
    def _():
        import time

        import marimo as mo
        import ipywebsockets as iws
        from ipywebsockets.marimo import watch
        return iws, mo, time, watch


    @app.cell
    def _(iws, mo):
        ticker = iws.TickerServer(rate=50).start()
        ws = iws.WebSocket(ticker.url)
        mo.Html(f"<div id='ticker'>{mo.ui.anywidget(ws)}</div>")
        return (ws,)


    @app.cell
    def _(iws, mo, ws):
        mo.Html(f"<div id='chart'>{mo.ui.anywidget(iws.Chart(ws, 'price'))}</div>")
        return


    @app.cell
    def _(iws, mo):
        echo = iws.EchoServer().start()
        ews = iws.WebSocket(echo.url)
        mo.Html(f"<div id='echo'>{mo.ui.anywidget(ews)}</div>")
        return echo, ews


    @app.cell
    def _(iws, mo):
        becho = iws.EchoServer().start()
        bws = iws.WebSocket(becho.url, mode="browser")
        mo.Html(f"<div id='browser'>{mo.ui.anywidget(bws)}</div>")
        return becho, bws


    @app.cell
    def _(mo):
        check = mo.ui.run_button(label="check")
        count = mo.ui.run_button(label="count")
        mo.hstack([check, count])
        return check, count


    @app.cell
    def _(count, echo, ews, mo):
        mo.stop(not count.value)
        mo.Html(f"<pre id='echo-counts'>echo {echo.received} {ews.sent} {ews.received}</pre>")
        return


    @app.cell
    async def _(bws, check, iws, mo, time):
        mo.stop(not check.value)
        bws.send(b"\\x00\\xff\\x10")  # kernel -> page: one buffer; its echo comes back
        try:  # read what is unread: then a wait would have to wait for the page
            while True:
                bws.recv(timeout=0)
        except TimeoutError:
            pass
        refused = []
        for attempt in ("blocking", "awaited"):
            try:
                if attempt == "blocking":
                    bws.recv(timeout=10)
                else:
                    await bws.arecv(timeout=10)
                refused.append(f"{attempt} not refused")
            except iws.FrontendUnavailable as exc:
                said = "only between cells" in str(exc) and "marimo.watch" in str(exc)
                refused.append(f"{attempt} refused" if said else str(exc))
        time.sleep(4)  # a busy cell: longer than a visible owner may be silent (3 s)
        refused.append(f"after a busy cell {bws.status}")
        mo.Html("<pre id='counts'>" + "\\n".join(refused) + "</pre>")
        return


    @app.cell
    def _(becho, bws, watch):
        bcounts = watch(
            bws,
            lambda w: f"browser {becho.received} {w.sent} {w.received} {w.lost} "
            f"{w.last.kind if w.last else '-'}",
            max_fps=4,
        )
        return (bcounts,)


    @app.cell
    def _(bcounts, mo):
        mo.Html(f"<pre id='bcounts'>{bcounts()}</pre>")
        return


    @app.cell
    def _(iws, time, watch):
        slow = iws.TickerServer(rate=20).start()
        sws = iws.WebSocket(slow.url)
        runs = []
        # The value says when the watcher computed it (on its thread, as it sets the state).
        latest = watch(sws, lambda w: (w.received, time.monotonic()), max_fps=2)
        return latest, runs


    @app.cell
    def _(latest, mo, runs):
        runs.append(latest())
        _set = sorted({at for _, at in runs})
        _gap = min((b - a for a, b in zip(_set, _set[1:])), default=-1)
        mo.Html(
            f"<span id='latest' data-runs='{len(runs)}' data-min-gap='{_gap:.3f}'>"
            f"{latest()[0]}</span>"
        )
        return
    @app.cell
    def _(iws, mo):
        again = mo.ui.button(value=0, on_click=lambda n: n + 1, label="again")
        clients = mo.ui.run_button(label="clients")
        rerun_echo = iws.EchoServer().start()
        mo.hstack([again, clients])
        return again, clients, rerun_echo


    @app.cell
    def _(again, iws, mo, rerun_echo):
        rws = iws.WebSocket(rerun_echo.url)
        mo.Html(f"<span id='rerun' data-n='{again.value}'>{mo.ui.anywidget(rws)}</span>")
        return


    @app.cell
    def _(clients, mo, rerun_echo):
        mo.stop(not clients.value)
        mo.Html(f"<pre id='clients'>{rerun_echo.clients}</pre>")
        return
    @app.cell
    def _(watch, ws):
        _calls = []

        def _fails_later(w):
            _calls.append(w.received)
            return 1 // (len(_calls) == 1)  # the second value raises ZeroDivisionError

        broken = watch(ws, _fails_later)
        return


    """
)


class MarimoServer(ServerProcess):
    """``marimo edit`` or ``marimo run`` on one app file, in its own session (stopped by
    its pid)."""

    def __init__(self, root: Path, command: str) -> None:
        self.app = root / "iws_marimo_app.py"
        self.app.write_text(APP)
        config = root / "config" / "marimo"
        config.mkdir(parents=True)
        # Run the notebook when the page opens; no update check, no user config.
        (config / "marimo.toml").write_text("[runtime]\nauto_instantiate = true\n")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            XDG_CONFIG_HOME=str(root / "config"),
            PYTHONPATH=os.pathsep.join(
                p for p in [str(REPO_ROOT / "src"), env.get("PYTHONPATH", "")] if p
            ),
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            PYTHONUNBUFFERED="1",
        )
        cmd = [
            str(Path(sys.executable).parent / "marimo"),
            command,
            "--headless",
            "--no-token",
            "--no-sandbox",
            "--host=127.0.0.1",
            f"--port={self.port}",
            *(["--skip-update-check"] if command == "edit" else []),
            str(self.app),
        ]
        self.name = f"marimo {command}"
        super().__init__(cmd, root / "marimo-server.log", env=env, cwd=root)

    def wait_ready(self, within: float) -> None:
        """Wait (``within`` unscaled seconds) until ``/health`` answers 200."""
        self.wait_answers(f"{self.url}/health", within)


@pytest.fixture(scope="module", params=["edit", "run"])
def marimo_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[MarimoServer]:
    """The notebook (``marimo edit``: its kernel in a process of its own) and the app
    (``marimo run``: its kernel on a thread of the server's process)."""
    server = MarimoServer(tmp_path_factory.mktemp("iws-marimo"), request.param)
    try:
        server.wait_ready(60)
        yield server
    finally:
        server.stop()
    assert server.proc.returncode is not None


@pytest.fixture(scope="module")
def page(browser: Any, marimo_server: MarimoServer) -> Iterator[Any]:
    """The app, opened once and running (named ``page``: failures attach a screenshot)."""
    with open_page(browser) as pg:
        pg.goto(marimo_server.url)
        yield pg


def number(page: Any, selector: str) -> int:
    text = page.locator(selector).first.text_content(timeout=timeout_ms(20)) or ""
    digits = re.sub(r"[^0-9]", "", text)
    assert digits, f"{selector} shows no number: {text!r}"
    return int(digits)


def wait_open(page: Any, scope: str) -> None:
    status = page.locator(f"#{scope} .iws-status").first
    status.wait_for(timeout=timeout_ms(60))
    eventually(
        lambda: status.get_attribute("data-status") == "open",
        20,
        lambda: (
            f"#{scope} status open; shows {status.text_content()!r}, "
            f"error {page.locator(f'#{scope} .iws-error').first.text_content()!r}"
        ),
    )


def send(page: Any, scope: str, text: str, fmt: str = "text") -> None:
    view = page.locator(f"#{scope} .iws-widget").first
    view.locator(".iws-send-format").select_option(fmt)
    view.locator(".iws-send-input").fill(text)
    view.locator(".iws-send-input").press("Enter")


def echoed(page: Any, scope: str, kind: str, text: str) -> None:
    row = page.locator(f'#{scope} .iws-row[data-dir="in"][data-kind="{kind}"]').filter(
        has=page.locator(".iws-text", has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))
    )
    row.first.wait_for(timeout=timeout_ms(15))


def test_kernel_stream_streams_and_the_chart_draws(page):
    wait_open(page, "ticker")
    first = number(page, "#ticker .iws-received")
    eventually(lambda: number(page, "#ticker .iws-received") > first + 20, 15, "received climbs")
    rows = page.locator("#ticker .iws-row")
    eventually(lambda: rows.count() > 5, 10, "log rows shown")

    chart = page.locator("#chart .iws-chart").first
    chart.locator("canvas").first.wait_for(timeout=timeout_ms(20))
    eventually(lambda: int(chart.get_attribute("data-points") or 0) > 20, 15, "chart points")
    picture = chart.locator("canvas").first.evaluate("c => c.toDataURL()")
    drawn = int(chart.get_attribute("data-redraws") or 0)
    eventually(
        lambda: (
            int(chart.get_attribute("data-redraws") or 0) > drawn + 2
            and chart.locator("canvas").first.evaluate("c => c.toDataURL()") != picture
        ),
        10,
        "the chart redraws with new points",
    )


def test_composer_send_echoes_back_both_sides_count_it(page):
    wait_open(page, "echo")
    send(page, "echo", "hello-marimo")
    echoed(page, "echo", "text", "hello-marimo")
    assert number(page, "#echo .iws-sent") == 1
    assert number(page, "#echo .iws-received") == 1
    # The kernel's side: the echo server got it; the socket counts 1 sent, 1 received.
    page.get_by_role("button", name="count").click()
    counts = page.locator("#echo-counts")
    counts.wait_for(timeout=timeout_ms(30))
    assert counts.text_content() == "echo 1 1 1"


def test_browser_mode_carries_text_and_binary_both_ways(page):
    wait_open(page, "browser")
    send(page, "browser", "from-the-page")
    echoed(page, "browser", "text", "from-the-page")
    send(page, "browser", "00 ff 41", fmt="binary")
    echoed(page, "browser", "binary", "00 ff 41")
    # The kernel's side: every count, and a binary send from a cell (kernel -> page, one
    # buffer) whose echo comes back (page -> kernel, one buffer) after the cell.
    page.get_by_role("button", name="check").click()
    counts = page.locator("#counts")
    counts.wait_for(timeout=timeout_ms(30))
    lines = (counts.text_content() or "").split("\n")
    # marimo hands the page's messages to the kernel only between cells: a wait in a
    # cell could never be served, so it is refused at once, with the reason.
    assert lines[:2] == ["blocking refused", "awaited refused"], lines
    # The page's beats wait too: a busy cell does not make its socket look abandoned.
    assert lines[2:] == ["after a busy cell open"], lines
    # Page and cell sent 3, 3 echoes came back, nothing lost, the last one binary.
    bcounts = page.locator("#bcounts")
    eventually(
        lambda: bcounts.text_content() == "browser 3 3 3 0 binary",
        15,
        lambda: f"#bcounts shows {bcounts.text_content()!r}",
    )


def test_watch_reruns_the_cells_that_read_it(page):
    latest = page.locator("#latest")
    latest.wait_for(timeout=timeout_ms(30))
    first, runs = number(page, "#latest"), int(latest.get_attribute("data-runs") or 0)
    eventually(
        lambda: (
            int(latest.get_attribute("data-runs") or 0) >= runs + 4
            and number(page, "#latest") > first
        ),
        15,
        lambda: f"#latest re-runs with newer values; shows {latest.text_content()!r}",
    )
    # At most max_fps=2 new values a second (the ticker sends 20 messages a second):
    # the watcher's set times are at least 0.5 s apart (re-runs may bunch up in a
    # busy kernel; the values they read do not).
    gap = float(latest.get_attribute("data-min-gap") or -1)
    assert gap >= 0.5 - 0.01, f"two values {gap:.3f} s apart"


def test_rerunning_a_cell_closes_the_socket_it_opened(page):
    """marimo has no cell ids: its cell lifecycle closes the old socket (1001)."""
    for n in (1, 2, 3):
        page.get_by_role("button", name="again").click()
        page.locator(f"#rerun[data-n='{n}'] .iws-status[data-status='open']").wait_for(
            timeout=timeout_ms(20)
        )
    page.get_by_role("button", name="clients").click()
    shown = page.locator("#clients")
    shown.wait_for(timeout=timeout_ms(20))
    # Four runs of the cell, one connection left (before: 4).
    assert shown.text_content() == "1"


def test_a_failing_watch_value_is_shown_not_dropped(page):
    said = page.get_by_text("ipywebsockets.marimo.watch stopped: value(ws) raised")
    said.first.wait_for(timeout=timeout_ms(30))
    assert page.get_by_text("ZeroDivisionError").count() >= 1
