"""The distributions: what they hold, their metadata, and the wheel on a machine without node.

The last test is the user's path: a fresh venv, ``pip install`` the wheel (its
dependencies from PyPI, pip's cache welcome), no node or npm on ``PATH``, then
the quickstart notebook executed by a kernel of that venv, and its saved widget
state read back: the socket streamed, and the page got the real front end
(the wheel's ``static/widget.js``), not the "front end is not built" stand-in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from conftest import REPO, Dists
from timing import timeout_s

pytestmark = pytest.mark.packaging

FRONT_END = ("widget.js", "widget.css", "teaching.js", "teaching.css")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NO_NODE = ("node", "nodejs", "npm", "npx")
# What executing a notebook needs besides the wheel and its own dependencies.
RUNNER = ("nbclient", "ipykernel", "nbformat")


def test_sdist_holds_the_front_end_sources(dists: Dists) -> None:
    names = set(dists.sdist_names())
    needed = {
        "pyproject.toml",
        "README.md",
        "js/package.json",
        "js/package-lock.json",
        "js/tsconfig.json",
        "js/src/index.ts",
        "js/src/teaching/index.ts",
        "js/src/styles.css",
        "src/ipywebsockets/__init__.py",
        "src/ipywebsockets/_jupyter/assets.py",
    }
    assert needed <= names, f"the sdist lacks {sorted(needed - names)}"
    # Sources only: the wheel built from this sdist had to build its front end with npm.
    built = sorted(n for n in names if n.startswith("src/ipywebsockets/static/"))
    assert built == [], f"the sdist ships a built front end that may be stale: {built}"
    assert not any("node_modules" in n for n in names), "the sdist ships node_modules"


def test_wheel_holds_the_built_front_end(dists: Dists) -> None:
    names = set(dists.wheel_names())
    for name in FRONT_END:
        path = f"ipywebsockets/static/{name}"
        assert path in names, f"{path} is not in {dists.wheel.name}"
        assert len(dists.wheel_text(path)) > 1000, f"{path} is (nearly) empty"
    # ES modules with a default export ({initialize, render}), as anywidget loads them.
    default_export = re.compile(r"export\s*\{[^}]*\bas default\s*\}|export default")
    for name in ("widget.js", "teaching.js"):
        source = dists.wheel_text(f"ipywebsockets/static/{name}")
        assert default_export.search(source), f"{name} has no default export"
    assert "ipywebsockets/py.typed" in names
    assert not any(n.startswith(("js/", "tests/", "bench/")) for n in names), sorted(names)[:20]


def test_metadata_passes_twine_check(dists: Dists) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dists.sdist), str(dists.wheel)],
        capture_output=True,
        text=True,
        timeout=timeout_s(60),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def _path_without_node() -> str:
    """This process's PATH minus every directory holding node, nodejs, npm or npx."""
    keep = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if entry and not any(shutil.which(tool, path=entry) for tool in NO_NODE):
            keep.append(entry)
    return os.pathsep.join(keep)


def _run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float) -> str:
    proc = subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_s(timeout)
    )
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"
    )
    return proc.stdout


def _anywidget_states(nb: dict[str, Any]) -> list[dict[str, Any]]:
    state = nb["metadata"]["widgets"][WIDGET_STATE]["state"]
    return [m["state"] for m in state.values() if m.get("model_name") == "AnyModel"]


@pytest.mark.timeout(int(timeout_s(400)))  # the build (once), a venv, pip, a kernel
def test_wheel_runs_the_quickstart_without_node(dists: Dists, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=timeout_s(120))
    python = venv / "bin" / "python"

    path = os.pathsep.join([str(venv / "bin"), _path_without_node()])
    for tool in NO_NODE:
        assert shutil.which(tool, path=path) is None, f"{tool} is still on the test's PATH"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env |= {"PATH": path, "VIRTUAL_ENV": str(venv), "PYTHONNOUSERSITE": "1"}
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[var] = str(tmp_path / var.lower())
    env.pop("JUPYTER_PATH", None)

    started = time.monotonic()
    _run(
        [str(python), "-m", "pip", "install", "--quiet", str(dists.wheel), *RUNNER],
        env,
        tmp_path,
        timeout=240,
    )
    installed = time.monotonic() - started

    # The notebook runs from a folder of its own, far from the checkout's src/.
    work = tmp_path / "work"
    work.mkdir()
    src, dst = work / "quickstart.ipynb", work / "quickstart.out.ipynb"
    nb = json.loads((REPO / "notebooks" / "quickstart.ipynb").read_text("utf-8"))
    nb["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": "import shutil, sys, ipywebsockets\nprint(sys.executable)\n"
            "print(ipywebsockets.__file__)\nprint(shutil.which('node'), shutil.which('npm'))",
        }
    )
    src.write_text(json.dumps(nb), "utf-8")
    runner = Path(__file__).with_name("_execute.py")
    started = time.monotonic()
    _run(
        [str(python), str(runner), str(src), str(dst), str(timeout_s(60)), str(timeout_s(60))],
        env,
        work,
        timeout=240,
    )
    executed = time.monotonic() - started
    print(f"wheel: build {dists.seconds:.1f} s, install {installed:.1f} s, run {executed:.1f} s")

    out = nbformat.read(dst, as_version=4)  # joins the multi-line strings of the file
    code = [c for c in out["cells"] if c["cell_type"] == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == [], errors
    where = "".join(o.get("text", "") for o in code[-1]["outputs"]).split()
    assert where[0].startswith(str(venv)), f"the kernel ran {where[0]}, not the venv's Python"
    assert where[1].startswith(str(venv)), f"ipywebsockets came from {where[1]}, not the wheel"
    assert where[2:] == ["None", "None"], f"the kernel finds node and npm: {where[2:]}"

    states = _anywidget_states(out)
    kernel_mode = [s for s in states if s.get("mode") == "kernel"]
    streamed = [s for s in kernel_mode if s.get("received", 0) >= 5 and s.get("status") == "open"]
    assert streamed, (
        "no kernel-mode WebSocket in the saved widget state streamed: "
        f"{[(s.get('url'), s.get('status'), s.get('received')) for s in kernel_mode]}"
    )
    esm = streamed[0]["_esm"]
    assert "is not built" not in esm, "the page got the stand-in: the wheel has no front end"
    shipped = dists.wheel_text("ipywebsockets/static/widget.js")
    assert esm.rstrip("\n") == shipped.rstrip("\n"), "the page's _esm is not the wheel's widget.js"
