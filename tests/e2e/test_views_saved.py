"""What a notebook shows without its stream: the persisted tail after a reopen, binding errors.

* A notebook executed by nbclient (widget state stored, as a saved notebook has it)
  is opened in JupyterLab with a new kernel that never ran it: the default view
  shows the last ``persist`` messages, the final counters and the binding errors
  saved with it, with no socket and no kernel-side widget behind it.
* Live: bindings that cannot work (a misspelt path, a transform that raises)
  are said once each in the view's footer, and the stream goes on.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from iws_e2e_harness import (
    int_text,
    run_cell,
    wait_for_cell_output,
    wait_open,
)
from nbclient import NotebookClient

from timing import eventually, timeout_ms, timeout_s

pytestmark = pytest.mark.e2e

PERSIST = 20
COUNT = 300

SAVED_CELLS = [
    "import time\nimport ipywidgets as W\nimport ipywebsockets as iws\n"
    f"srv = iws.TickerServer(rate=1000, count={COUNT}).start()\n"
    f"ws = iws.WebSocket(srv.url, persist={PERSIST})\n"
    "slider = W.FloatSlider(max=1e9)\n"
    "b = ws.bind('price', slider, 'value', transform=lambda p: p / 0)\n"
    "ws",
    "deadline = time.monotonic() + 20\n"
    "while ws.status != 'closed' and time.monotonic() < deadline:\n"
    "    time.sleep(0.05)\n"
    # No waiting: the end of the cell publishes the final state, which nbclient saves.
    "ws.messages\n"
    "print('DONE', ws.received, ws.status, ws.messages[-1].data)",
]


def _saved_notebook(env, name: str) -> str:
    """Run SAVED_CELLS in a kernel of its own, save the result with its widget state, trust it.

    Trusted as the user's own saved notebook is: JupyterLab renders no widget view
    (an unsafe mime type) in an untrusted notebook, only its text/plain repr.
    """
    root: Path = env.notebooks
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in SAVED_CELLS])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=int(timeout_s(60)),
        startup_timeout=int(timeout_s(60)),
        store_widget_state=True,
        resources={"metadata": {"path": str(root)}},
    )
    nb = client.execute()
    out = nb.cells[1].outputs[0]["text"]
    assert out.startswith(f"DONE {COUNT} closed "), out
    path = root / f"{name}.ipynb"
    nbformat.write(nb, path)
    trust = [sys.executable, "-m", "jupyter", "trust", str(path)]
    subprocess.run(trust, env=env.env, check=True, capture_output=True, timeout=timeout_s(30))
    return out.split(" ", 3)[3].strip()


def test_reopened_without_its_kernel_the_view_shows_the_saved_tail(
    page, jupyter_server, jupyter_env
):
    name = "saved_tail"
    last_text = _saved_notebook(jupyter_env, name)
    saved = json.loads((jupyter_env.notebooks / f"{name}.ipynb").read_text("utf-8"))
    widgets = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    ws_state = next(m["state"] for m in widgets.values() if "persisted" in m["state"])
    assert [r["seq"] for r in ws_state["persisted"]] == list(range(COUNT - PERSIST + 1, COUNT + 1))

    base_url = jupyter_server("lab")
    page.goto(f"{base_url}/lab/tree/{name}.ipynb?reset", wait_until="domcontentloaded")
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell", timeout=timeout_ms(30)
    )
    widget = page.locator(".iws-widget").first
    widget.wait_for(timeout=timeout_ms(30))
    # The rows saved with the notebook, newest last; nothing runs behind them.
    page.wait_for_function(
        f"() => document.querySelectorAll('.iws-widget .iws-row[data-seq=\"{COUNT}\"]').length",
        timeout=timeout_ms(15),
    )
    seqs = [
        int(s)
        for s in widget.locator(".iws-row").evaluate_all("rows => rows.map(r => r.dataset.seq)")
    ]
    assert seqs[-1] == COUNT and min(seqs) >= COUNT - PERSIST + 1, seqs
    last = widget.locator(f'.iws-row[data-seq="{COUNT}"] .iws-text').inner_text()
    assert json.loads(last) == json.loads(last_text), (last, last_text)
    assert int_text(page, ".iws-widget .iws-received") == COUNT
    assert widget.locator(".iws-status").first.inner_text().strip().lower().startswith("closed")
    footer = widget.locator(".iws-binding-errors")
    assert footer.is_visible(), "the saved binding error is shown"
    assert "transform raised ZeroDivisionError" in footer.inner_text(), footer.inner_text()

    # The new kernel never ran the notebook: no widget of it lives there.
    kernel_state = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
    )
    assert kernel_state in {"idle", "busy", "starting"}, kernel_state
    # A sentinel round trip through the new kernel: anything it would have sent about
    # the widget before has arrived by then, and the saved rows and count are still shown.
    idx = run_cell(page, name, "print('SENTINEL')")
    wait_for_cell_output(page, name, idx, "SENTINEL", within=30)
    assert int_text(page, ".iws-widget .iws-received") == COUNT
    assert widget.locator(f'.iws-row[data-seq="{COUNT}"]').count() == 1


def test_binding_errors_are_said_once_each_in_the_footer(page, notebook_runner):
    name = notebook_runner(
        [
            "import ipywidgets as W\nimport ipywebsockets as iws",
            "srv = iws.TickerServer(rate=2000).start()\n"
            "ws = iws.WebSocket(srv.url)\n"
            "slider = W.FloatSlider(max=1e9)\n"
            "typo = ws.bind('prcie', slider, 'value')\n"
            "bad = ws.bind('price', slider, 'value', transform=lambda p: p / 0)",
            "ws",
        ],
        ui="lab",
    )
    wait_open(page, name)
    footer = page.locator(".iws-widget .iws-binding-errors").first
    footer.wait_for(state="visible", timeout=timeout_ms(15))
    page.wait_for_function(
        "() => document.querySelector('.iws-widget .iws-binding-errors')"
        ".textContent.includes(\"did you mean 'price'\")",
        timeout=timeout_ms(15),
    )
    # The stream goes on; each problem stays one line however many messages follow.
    # Wait until thousands more messages have come (ticker at 2,000/s), then look.
    before = int_text(page, ".iws-widget .iws-received")
    eventually(
        lambda: int_text(page, ".iws-widget .iws-received") >= before + 2000,
        10,
        "the stream goes on",
        interval=0.1,
    )
    lines = [line for line in footer.inner_text().splitlines() if line.strip()]
    assert len(lines) == 2, lines
    # In the order they happened: the transform fails on the first tick, the typo
    # is said after 100 ticks without the field.
    assert "transform raised ZeroDivisionError" in lines[0], lines
    assert re.search(r"no message carried 'prcie' in \d+ incoming messages", lines[1]), lines
    idx = run_cell(
        page,
        name,
        "print('COUNTS', bad.failed >= 1 and bad.coalesced > 100, typo.unmatched > 100,\n"
        "      bad.error == ws.binding_errors[0])",
    )
    wait_for_cell_output(page, name, idx, "COUNTS True True True")
    idx = run_cell(page, name, "ws.close()\nprint('CLOSED')")
    wait_for_cell_output(page, name, idx, "CLOSED")
