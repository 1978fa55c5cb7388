"""ipywebsockets.marimo: marimo stays optional, and watch() says clearly when it cannot work.

What watch() does in a running notebook is tested in tests/e2e/test_marimo.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import ipywebsockets as iws
from ipywebsockets.marimo import watch


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_importing_ipywebsockets_does_not_import_marimo() -> None:
    done = run(
        "import sys, ipywebsockets, ipywebsockets.marimo\n"
        "assert 'marimo' not in sys.modules, 'marimo imported'\n"
    )
    assert done.returncode == 0, done.stderr


def test_without_marimo_watch_says_what_to_install() -> None:
    done = run(
        "import sys; sys.modules['marimo'] = None\n"
        "import ipywebsockets as iws\n"
        "from ipywebsockets.marimo import watch\n"
        "ws = iws.WebSocket('ws://127.0.0.1:9', connect=False)\n"
        "try:\n"
        "    watch(ws)\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "pip install marimo" in done.stdout, done.stdout


@pytest.fixture
def ws():
    sock = iws.WebSocket("ws://127.0.0.1:9", connect=False)
    yield sock
    sock.close()


def test_outside_a_running_notebook_watch_says_where_it_works(ws) -> None:
    with pytest.raises(RuntimeError, match="running marimo notebook"):
        watch(ws)


def test_bad_arguments_are_refused(ws) -> None:
    with pytest.raises(TypeError, match=r"ipywebsockets\.WebSocket"):
        watch("ws://127.0.0.1:9")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="function of the WebSocket"):
        watch(ws, "received")  # type: ignore[arg-type]
    for bad in (0, 0.05, 61, float("nan"), "2"):
        with pytest.raises(ValueError, match="max_fps"):
            watch(ws, max_fps=bad)  # type: ignore[arg-type]
