"""Notebooks executed headless with nbclient: secrets never saved, shipped notebooks run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from conftest import KERNEL_NAME
from timing import timeout_s

pytestmark = pytest.mark.kernel

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def _execute(nb: Any, cwd: Path, cell_timeout: float = 60) -> Any:
    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,  # jupyter_client runs argv[0]="python" as sys.executable
        timeout=int(timeout_s(cell_timeout)),
        startup_timeout=int(timeout_s(60)),
        store_widget_state=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    return client.execute()


def _secret_notebook() -> Any:
    cells = [
        "import sys, time\nimport ipywebsockets as iws\nprint(sys.executable)",
        # The secrets are built at run time: the cell's own source must not contain them.
        'token, header = "-".join(["SECRET", "Q"]), "-".join(["SECRET", "H"])\n'
        "srv = iws.EchoServer().start()\n"
        'ws = iws.WebSocket(srv.url + "/?token=" + token, '
        'headers={"Authorization": "Bearer " + header})\n'
        "ws",
        'ws.send("hello")\nprint(ws.recv(timeout=10).data)',
        # No waiting: the end of every cell publishes each widget's current state.
        "ws.messages\nprint('RECEIVED', ws.received, 'SENT', ws.sent)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = KERNELSPEC
    return nb


def _saved_widget_states(text: str) -> dict[str, dict[str, Any]]:
    meta = json.loads(text)["metadata"]["widgets"][WIDGET_STATE]["state"]
    return {mid: m["state"] for mid, m in meta.items() if m.get("model_name") == "AnyModel"}


def _run_and_save(tmp_path: Path) -> tuple[str, Any]:
    nb = _execute(_secret_notebook(), tmp_path)
    path = tmp_path / "secrets.ipynb"
    nbformat.write(nb, path)
    return path.read_text("utf-8"), nb


def test_secrets_not_saved(tmp_path: Path) -> None:
    text, nb = _run_and_save(tmp_path)
    assert sys.executable in nb.cells[0].outputs[0]["text"]
    assert "hello" in nb.cells[2].outputs[0]["text"]

    assert "SECRET-H" not in text, "the Authorization header was saved in the notebook"
    assert "SECRET-Q" not in text, "the URL's token was saved in the notebook"

    states = _saved_widget_states(text)
    assert len(states) == 1, f"expected one WebSocket model in the saved state, got {states}"
    (state,) = states.values()
    assert "received" in state and "status" in state
    assert state["url"].endswith("/?token=***"), state["url"]


def test_saved_widget_state_is_current(tmp_path: Path) -> None:
    """The state nbclient saves matches what the kernel had (stream traits are not stale)."""
    text, nb = _run_and_save(tmp_path)
    printed = nb.cells[3].outputs[0]["text"].split()
    received, sent = int(printed[1]), int(printed[3])
    assert (received, sent) == (1, 1)
    (state,) = _saved_widget_states(text).values()
    assert (state["received"], state["sent"]) == (received, sent), (
        f"saved widget state says received={state['received']} sent={state['sent']}, "
        f"the kernel had received={received} sent={sent}"
    )
    assert state["status"] == "open"
    assert state["last_value"] == "hello"


def test_notebooks_execute(tmp_path: Path) -> None:
    notebooks = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    assert notebooks, f"no notebooks under {NOTEBOOKS}: there must be at least one to execute"
    failures = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        try:
            executed = _execute(nb, path.parent)
        except CellExecutionError as exc:
            failures.append(f"{path.relative_to(REPO)}: {exc}")
            continue
        errors = [
            out
            for cell in executed.cells
            if cell.cell_type == "code"
            for out in cell.get("outputs", [])
            if out.get("output_type") == "error"
        ]
        if errors:
            failures.append(f"{path.relative_to(REPO)}: {errors}")
    assert not failures, "\n\n".join(failures)
