"""Helpers shared by the e2e tests (imported by conftest.py and the test modules).

Timeouts are multiples of ``UNIT`` seconds, scaled by the environment variable
``IPYWEBSOCKETS_TIMEOUT_SCALE`` (default 1) for slow machines.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import nbformat

# --------------------------------------------------------------------------- timeouts

SCALE = float(os.environ.get("IPYWEBSOCKETS_TIMEOUT_SCALE", "1") or "1")
UNIT = 1.0 * SCALE  # seconds


def timeout_s(units: float) -> float:
    """A timeout of ``units`` (scaled) seconds."""
    return units * UNIT


def timeout_ms(units: float) -> float:
    """The same in milliseconds, for Playwright."""
    return units * UNIT * 1000.0


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

    Lab: the status-bar text contains ``| Idle`` (FACTS.md readiness race: the
    execution indicator can say idle while the session is still initialising).
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


def _wait_ready(page: Any, name: str, ui: str, timeout: float) -> None:
    pred = _ready(ui)
    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {}
    stable_since: float | None = None
    while time.monotonic() < deadline:
        state = notebook_state(page, name)
        ok = page.evaluate(f"({pred})", state)
        if ok:
            # Require the ready state to hold for a short moment: the session can
            # flip idle -> busy -> idle while it initialises the kernel.
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= 0.3:
                return
        else:
            stable_since = None
        time.sleep(0.1)
    raise AssertionError(
        f"{ui}: notebook {name}.ipynb not ready within {timeout:.0f}s; last state: {state}"
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
    _wait_ready(page, name, ui, timeout_s(30))
    _dismiss_dialogs(page)

    # Run All.  Verify it was taken: some cell gets an execution count or the
    # kernel goes busy.  If nothing at all happened (no cell executed, kernel
    # idle) the command was dropped; re-issuing it is then safe.
    for attempt in range(2):
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        deadline = time.monotonic() + timeout_s(5)
        while time.monotonic() < deadline:
            recs = cell_records(page, name)
            st = notebook_state(page, name)
            if any(r["count"] is not None for r in recs) or st.get("kernelStatus") == "busy":
                return
            time.sleep(0.05)
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
    page: Any, name: str, index: int, pattern: str, timeout: float | None = None
) -> re.Match[str]:
    """Wait until code cell ``index`` has text output matching ``pattern``.

    Reads the notebook *model* (stream text, ``text/plain`` results, errors), so it
    works whatever the windowing/virtualisation of the rendered cells.  Fails at
    once, with the traceback, if any cell raised.
    """
    rx = re.compile(pattern)
    timeout = timeout_s(15) if timeout is None else timeout
    deadline = time.monotonic() + timeout
    text = ""
    while True:
        recs = cell_records(page, name)
        errors = [_short(e) for r in recs for e in r["errors"]]
        if errors:
            raise AssertionError("a notebook cell raised:\n" + "\n\n".join(errors))
        if index < len(recs):
            text = recs[index]["text"]
            m = rx.search(text)
            if m:
                return m
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"cell {index} of {name}.ipynb: no output matching {pattern!r} within "
                f"{timeout:.0f}s; output was {text!r}; cells: "
                f"{[(r['count'], r['text'][:200]) for r in recs]}"
            )
        time.sleep(0.1)


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


def wait_for_text(page: Any, selector: str, values: tuple[str, ...], timeout: float) -> None:
    """Wait until the first ``selector`` has trimmed text (or ``data-status``) in ``values``."""
    try:
        page.wait_for_function(
            """([sel, values]) => {
                const el = document.querySelector(sel);
                if (!el) return false;
                return values.includes(el.textContent.trim())
                    || values.includes(el.getAttribute('data-status'));
            }""",
            arg=[selector, list(values)],
            timeout=timeout * 1000.0,
        )
    except Exception as exc:
        el = page.locator(selector)
        shown = (
            el.first.evaluate("e => ({text: e.textContent, status: e.getAttribute('data-status')})")
            if el.count()
            else "<absent>"
        )
        raise AssertionError(
            f"{selector} did not reach {values} within {timeout:.0f}s; it shows {shown}"
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


def wait_visible(page: Any, name: str, selector: str, timeout: float) -> None:
    """Wait until ``selector`` is visible; fail at once (with the traceback) if a cell raised."""
    loc = page.locator(selector).first
    deadline = time.monotonic() + timeout
    while True:
        if loc.is_visible():
            return
        errors = [_short(e) for e in cell_errors(page, name)]
        if errors:
            raise AssertionError(
                f"{selector} never appeared: a notebook cell raised:\n" + "\n\n".join(errors)
            )
        if time.monotonic() >= deadline:
            recs = cell_records(page, name)
            raise AssertionError(
                f"{selector} not visible within {timeout:.0f}s; cells (count, output): "
                f"{[(r['count'], r['text'][:300]) for r in recs]}"
            )
        time.sleep(0.1)


def wait_open(page: Any, name: str) -> None:
    """The widget view is shown and its status reaches ``open``."""
    wait_visible(page, name, ".iws-widget", timeout_s(20))
    try:
        wait_for_text(page, ".iws-status", ("open",), timeout_s(15))
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
    deadline = time.monotonic() + timeout_s(10)
    n = second
    while n <= 10 and time.monotonic() < deadline:
        time.sleep(0.2)
        n = int_text(page, ".iws-received")
    assert n > 10, f".iws-received stuck at {n}"
