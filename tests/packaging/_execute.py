"""Execute a notebook with nbclient and save it with its widget state.

Run by the *installed* venv's Python (tests/packaging/test_wheel.py), so the
kernel nbclient starts is that venv's: jupyter_client runs the ``python3``
kernelspec's ``python`` as ``sys.executable``.

    python _execute.py IN.ipynb OUT.ipynb CELL_TIMEOUT STARTUP_TIMEOUT

Exit status 0 when every cell ran; 1 with the failing cell's error otherwise.
The executed notebook is written in both cases.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main(src: str, dst: str, cell_timeout: str, startup_timeout: str) -> int:
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=int(float(cell_timeout)),
        startup_timeout=int(float(startup_timeout)),
        store_widget_state=True,
        resources={"metadata": {"path": str(Path(dst).parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        nbformat.write(nb, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
