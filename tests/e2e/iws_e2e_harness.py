"""Helpers shared by the e2e tests (imported by conftest.py and the test modules).

Timeouts: the ``wait_*`` helpers here take unscaled seconds and scale them
(``timing.py``: ``IPYWEBSOCKETS_TIMEOUT_SCALE``); Playwright gets ``timeout_ms(...)``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat

from timing import eventually, timeout_ms, timeout_s

CHROMIUM = os.environ.get("IPYWEBSOCKETS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO_ROOT / "test-results"

KERNELSPEC_META = {
    "name": "python3",
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
}


# --------------------------------------------------------------------------- notebook helpers

# In both front ends, ``window.jupyterapp.shell.currentWidget`` is the NotebookPanel.
_JS_PANEL = """
(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  const w = app.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path || !w.sessionContext) return null;
  return w;
}
"""

_JS_STATE = (
    """
(path) => {
  const find = """
    + _JS_PANEL
    + """;
  const w = find(path);
  if (!w) return {panel: false};
  const sc = w.sessionContext;
  const kernel = sc.session && sc.session.kernel;
  const bar = document.querySelector('#jp-main-statusbar');
  const ind = w.node.closest('body').querySelector('.jp-Notebook-ExecutionIndicator');
  return {
    panel: true,
    contextReady: w.context.isReady,
    sessionReady: sc.isReady,
    display: sc.kernelDisplayStatus,
    kernelStatus: kernel ? kernel.status : null,
    connection: kernel ? kernel.connectionStatus : null,
    statusbar: bar ? bar.innerText : null,
    indicator: ind ? ind.getAttribute('data-status') : null,
  };
}
"""
)

_JS_CELLS = (
    """
(path) => {
  const find = """
    + _JS_PANEL
    + """;
  const w = find(path);
  if (!w) return null;
  const out = [];
  for (const cell of w.content.widgets) {
    const m = cell.model;
    const rec = {type: m.type, count: null, text: '', errors: []};
    if (m.type === 'code') {
      rec.count = m.executionCount;
      const outputs = m.outputs.toJSON();
      for (const o of outputs) {
        if (o.output_type === 'stream') {
          rec.text += Array.isArray(o.text) ? o.text.join('') : o.text;
        } else if (o.output_type === 'error') {
          rec.errors.push(o.ename + ': ' + o.evalue + '\\n' + (o.traceback || []).join('\\n'));
        } else if (o.data && o.data['text/plain'] !== undefined) {
          const t = o.data['text/plain'];
          rec.text += (Array.isArray(t) ? t.join('') : t) + '\\n';
        }
      }
    }
    out.push(rec);
  }
  return out;
}
"""
)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def write_notebook(root: Path, name: str, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC_META)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    path = root / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return path


def notebook_state(page: Any, name: str) -> dict[str, Any]:
    return page.evaluate(_JS_STATE, f"{name}.ipynb")  # type: ignore[no-any-return]


def cell_records(page: Any, name: str) -> list[dict[str, Any]]:
    return page.evaluate(_JS_CELLS, f"{name}.ipynb") or []  # type: ignore[no-any-return]


def _ready(ui: str) -> str:
    """JS predicate: kernel ready for Run All.

    Lab: the status-bar text contains ``| Idle`` (the readiness race,
    docs/jupyter-internals.md#lab-readiness-race: the execution indicator can
    say idle while the session is still initialising).
    Notebook 7 has no status bar.  There the signal is the source that Lab's
    status-bar item renders, read directly: ``sessionContext.isReady`` and
    ``sessionContext.kernelDisplayStatus === 'idle'`` (which is 'initializing' /
    'unknown' until the session has its kernel) and the kernel connection
    ``'connected'``, plus the toolbar's ``.jp-Notebook-ExecutionIndicator``
    ``data-status="idle"``.  In both UIs the notebook context must be loaded and
    the state must hold for 300 ms (see ``_wait_ready``); ``run_notebook`` then
    checks that Run All really started a cell.
    """
    common = (
        "s.panel && s.contextReady && s.sessionReady && s.display === 'idle' "
        "&& s.connection === 'connected'"
    )
    if ui == "lab":
        return f"(s) => {common} && s.statusbar !== null && /\\| Idle/.test(s.statusbar)"
    return f"(s) => {common} && s.indicator === 'idle'"


def _wait_ready(page: Any, name: str, ui: str, within: float) -> None:
    pred = _ready(ui)
    state: dict[str, Any] = {}
    stable_since: float | None = None

    def ready() -> bool:
        nonlocal state, stable_since
        state = notebook_state(page, name)
        if not page.evaluate(f"({pred})", state):
            stable_since = None
            return False
        # Require the ready state to hold for a short moment: the session can
        # flip idle -> busy -> idle while it initialises the kernel.
        stable_since = stable_since or time.monotonic()
        return time.monotonic() - stable_since >= 0.3

    eventually(
        ready,
        within,
        lambda: f"{ui}: notebook {name}.ipynb ready; last state: {state}",
        interval=0.1,
    )


def _dismiss_dialogs(page: Any) -> None:
    """A kernel-selection dialog would block Run All; fail loudly if one shows up."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        raise AssertionError(f"unexpected dialog: {dialog.first.inner_text()!r}")


def run_notebook(
    page: Any,
    base_url: str,
    cells: list[str],
    name: str,
    ui: str = "lab",
    *,
    notebooks_root: Path,
) -> None:
    """Write ``cells`` as ``NAME.ipynb``, open it, wait until ready, run all cells."""
    write_notebook(notebooks_root, name, cells)
    if ui == "lab":
        url = f"{base_url}/lab/tree/{name}.ipynb?reset"
    elif ui == "notebook":
        url = f"{base_url}/notebooks/{name}.ipynb"
    else:
        raise ValueError(ui)
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms(30))
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell", timeout=timeout_ms(30)
    )
    _wait_ready(page, name, ui, 30)
    _dismiss_dialogs(page)

    # Run All.  Verify it was taken: some cell gets an execution count or the
    # kernel goes busy.  If nothing at all happened (no cell executed, kernel
    # idle) the command was dropped; re-issuing it is then safe.
    def started() -> bool:
        recs = cell_records(page, name)
        st = notebook_state(page, name)
        return any(r["count"] is not None for r in recs) or st.get("kernelStatus") == "busy"

    for attempt in range(2):
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        try:
            eventually(started, 5, "Run All started a cell", interval=0.05)
            return
        except AssertionError:
            pass
        if attempt == 0:
            page._iws_console.append("[harness] run-all-cells seemed dropped; re-issuing")
    raise AssertionError(
        f"{ui}: Run All on {name}.ipynb did not start any cell; state: {notebook_state(page, name)}"
    )


def _short(error: str, lines: int = 40) -> str:
    """``ename: evalue`` plus the last ``lines`` lines of the traceback, ANSI-free."""
    text = _ANSI.sub("", error).splitlines()
    if len(text) <= lines + 1:
        return "\n".join(text)
    return "\n".join([text[0], "  [...]", *text[-lines:]])


def cell_errors(page: Any, name: str) -> list[str]:
    return [e for r in cell_records(page, name) for e in r["errors"]]


def wait_for_cell_output(
    page: Any, name: str, index: int, pattern: str, within: float = 15
) -> re.Match[str]:
    """Wait (``within`` unscaled seconds) until code cell ``index`` has output matching ``pattern``.

    Reads the notebook *model* (stream text, ``text/plain`` results, errors), so it
    works whatever the windowing/virtualisation of the rendered cells.  Fails at
    once, with the traceback, if any cell raised.
    """
    rx = re.compile(pattern)
    text = ""
    recs: list[dict[str, Any]] = []

    def matched() -> re.Match[str] | None:
        nonlocal text, recs
        recs = cell_records(page, name)
        errors = [_short(e) for r in recs for e in r["errors"]]
        if errors:
            raise AssertionError("a notebook cell raised:\n" + "\n\n".join(errors))
        if index < len(recs):
            text = recs[index]["text"]
            return rx.search(text)
        return None

    return eventually(
        matched,
        within,
        lambda: (
            f"cell {index} of {name}.ipynb: output matching {pattern!r}; output was {text!r}; "
            f"cells: {[(r['count'], r['text'][:200]) for r in recs]}"
        ),
        interval=0.1,
    )


def int_text(page: Any, selector: str) -> int:
    """The integer shown by the first element matching ``selector`` (digits only)."""
    txt = page.locator(selector).first.inner_text(timeout=timeout_ms(10))
    digits = re.sub(r"[^0-9]", "", txt)
    if not digits:
        raise AssertionError(f"{selector} shows no integer: {txt!r}")
    return int(digits)


_JS_RUN_CELL = (
    """
async ([path, code, wait]) => {
  const find = """
    + _JS_PANEL
    + """;
  const w = find(path);
  if (!w) throw new Error('notebook ' + path + ' is not the current widget');
  const nb = w.content;
  const n = nb.model.cells.length;
  nb.model.sharedModel.insertCell(n, {cell_type: 'code', source: code});
  nb.mode = 'command';
  nb.activeCellIndex = n;
  nb.deselectAll();
  // The command's promise settles when the cell has finished running.
  const done = window.jupyterapp.commands.execute('notebook:run-cell');
  if (wait) await done;
  return n;
}
"""
)


def run_cell(page: Any, name: str, code: str, *, wait: bool = True) -> int:
    """Append a code cell to the open notebook, run it, return its index.

    For kernel-side checks that must run *after* browser-side conditions hold
    (Run All would run them at once).  Read its output with
    :func:`wait_for_cell_output`. ``wait=False`` returns as soon as the cell is
    sent to the kernel, to look at the page while it runs.
    """
    return int(page.evaluate(_JS_RUN_CELL, [f"{name}.ipynb", code, wait]))


def wait_for_text(page: Any, selector: str, values: tuple[str, ...], within: float) -> None:
    """Wait (``within`` unscaled seconds) until the first ``selector`` has trimmed text
    (or ``data-status``) in ``values``."""
    try:
        page.wait_for_function(
            """([sel, values]) => {
                const el = document.querySelector(sel);
                if (!el) return false;
                return values.includes(el.textContent.trim())
                    || values.includes(el.getAttribute('data-status'));
            }""",
            arg=[selector, list(values)],
            timeout=timeout_ms(within),
        )
    except Exception as exc:
        el = page.locator(selector)
        shown = (
            el.first.evaluate("e => ({text: e.textContent, status: e.getAttribute('data-status')})")
            if el.count()
            else "<absent>"
        )
        raise AssertionError(
            f"{selector} did not reach {values} within {timeout_s(within):.0f}s; it shows {shown}"
        ) from exc


# --------------------------------------------------------------------------- ipywebsockets widget

TICKER_CELLS = [
    "import ipywebsockets as iws",
    "srv = iws.TickerServer(rate=50).start()",
    "ws = iws.WebSocket(srv.url)",
    "ws",
]

ECHO_CELLS = [
    "import ipywebsockets as iws",
    "echo = iws.EchoServer().start()",
    "ws = iws.WebSocket(echo.url)",
    "ws",
]


def echo_cells(mode: str) -> list[str]:
    """ECHO_CELLS with the WebSocket in ``mode`` ("kernel" or "browser")."""
    cells = [
        c.replace("iws.WebSocket(echo.url)", f"iws.WebSocket(echo.url, mode={mode!r})")
        for c in ECHO_CELLS
    ]
    assert cells != ECHO_CELLS
    return cells


def wait_visible(page: Any, name: str, selector: str, within: float) -> None:
    """Wait (``within`` unscaled seconds) until ``selector`` is visible; fail at once (with
    the traceback) if a cell raised."""
    loc = page.locator(selector).first

    def visible() -> bool:
        if loc.is_visible():
            return True
        errors = [_short(e) for e in cell_errors(page, name)]
        if errors:
            raise AssertionError(
                f"{selector} never appeared: a notebook cell raised:\n" + "\n\n".join(errors)
            )
        return False

    eventually(
        visible,
        within,
        lambda: (
            f"{selector} visible; cells (count, output): "
            f"{[(r['count'], r['text'][:300]) for r in cell_records(page, name)]}"
        ),
        interval=0.1,
    )


def wait_open(page: Any, name: str) -> None:
    """The widget view is shown and its status reaches ``open``."""
    wait_visible(page, name, ".iws-widget", 20)
    try:
        wait_for_text(page, ".iws-status", ("open",), 15)
    except AssertionError as exc:
        err = page.locator(".iws-error")
        shown = err.first.inner_text() if err.count() else "<no .iws-error>"
        raise AssertionError(f"{exc}; .iws-error shows {shown!r}") from None
    status = page.locator(".iws-status").first
    assert status.get_attribute("data-status") == "open"
    # textContent: the view may style it (CSS text-transform), the contract is the text.
    assert (status.text_content() or "").strip() == "open"


def assert_ticker_live(page) -> None:
    """``.iws-received`` climbs and reaches > 10 (ticker at 50/s)."""
    first = int_text(page, ".iws-received")
    time.sleep(1.0)
    second = int_text(page, ".iws-received")
    assert second > first, f".iws-received did not climb in 1 s: {first} -> {second}"
    n = second

    def past_ten() -> bool:
        nonlocal n
        n = int_text(page, ".iws-received")
        return n > 10

    eventually(past_ten, 10, lambda: f".iws-received stuck at {n}", interval=0.2)


def free_port() -> int:
    """A free port on 127.0.0.1 (closed again: the caller's server binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A server (Jupyter, marimo) run in a session of its own, its output in a log file.

    Stopped by its pid: SIGTERM, then SIGKILL if it does not end in time.
    """

    name = "server"

    def __init__(self, cmd: list[str], log_path: Path, *, env: dict[str, str], cwd: Path) -> None:
        self.cmd = cmd
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=str(cwd),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"<no log: {exc}>"
        return "\n".join(text.splitlines()[-lines:])

    def wait_answers(self, url: str, within: float) -> None:
        """Wait (``within`` unscaled seconds) until ``url`` answers 200; fail if it exited."""
        last: object = None

        def answers() -> bool:
            nonlocal last
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.proc.returncode} during start\n"
                    f"command: {self.cmd}\n--- log tail ---\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    return r.status == 200
            except (urllib.error.URLError, OSError) as exc:
                last = exc
                return False

        eventually(
            answers,
            within,
            lambda: (
                f"{self.name} answers {url} (last error: {last!r})"
                f"\ncommand: {self.cmd}\n--- log tail ---\n{self.log_tail()}"
            ),
            interval=0.1,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            # The server runs in its own session; signal only the pid we started.
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s(10))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout_s(5))
        self._log.close()


@contextlib.contextmanager
def open_page(browser: Any) -> Iterator[Any]:
    """A page in a context of its own (1400 x 1000, 15 s default timeout) whose console
    messages and page errors are kept in ``page._iws_console`` (failure reports show them)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(timeout_ms(15))
    pg = context.new_page()
    console: list[str] = []
    pg._iws_console = console
    pg.on("console", lambda m: console.append(f"[{m.type}] {m.text}"))
    pg.on("pageerror", lambda e: console.append(f"[pageerror] {e}"))
    try:
        yield pg
    finally:
        with contextlib.suppress(Exception):
            pg.close()
        with contextlib.suppress(Exception):
            context.close()
