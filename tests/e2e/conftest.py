"""End-to-end harness: a real JupyterLab / Notebook 7 server driven by headless Chromium.

Everything here follows docs/jupyter-internals.md#jupyterlab-and-notebook-7-test-harness:

* Every Jupyter directory (config, data, runtime, IPython, Lab settings and
  workspaces) points into one session temp dir, so tests share no state with the
  user or with each other's sessions.
* The ``python3`` kernelspec is written into that temp data dir (and put first on
  ``JUPYTER_PATH``) with ``argv[0] = sys.executable``, so the kernel is always the
  test process's venv python.  ``{sys.prefix}/share/jupyter`` stays on
  ``JUPYTER_PATH`` so prebuilt labextensions (jupyterlab_widgets, anywidget) load.
* ``{repo}/src`` is prepended to the kernel's ``PYTHONPATH``: the tests always
  exercise this checkout, whether or not it is pip-installed.
* Readiness: see ``_wait_ready`` below (documented there for Lab and Notebook 7).

Timeouts and polling: ``timing.py`` (``IPYWEBSOCKETS_TIMEOUT_SCALE``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from timing import timeout_ms, timeout_s

# Plain asserts in the shared helpers get pytest's detailed messages too.
pytest.register_assert_rewrite("iws_e2e_harness")

from iws_e2e_harness import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    KERNELSPEC_META,
    REPO_ROOT,
    RESULTS_DIR,
    ServerProcess,
    free_port,
    open_page,
    run_notebook,
)

# --------------------------------------------------------------------------- markers & reports


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    rep = yield
    setattr(item, "rep_" + rep.when, rep)
    if rep.when == "call" and rep.failed:
        _attach_failure_artifacts(item, rep)
    return rep


def _artifact_stem(item: pytest.Item) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Drop this test's artifacts from an earlier failed run, so none are stale."""
    stem = _artifact_stem(item)
    for suffix in (".png", ".console.txt"):
        (RESULTS_DIR / f"{stem}{suffix}").unlink(missing_ok=True)


def _attach_failure_artifacts(item: pytest.Item, rep: pytest.TestReport) -> None:
    """Screenshot + browser console + server log tail into the failure report."""
    funcargs = getattr(item, "funcargs", {})
    page = funcargs.get("page")
    RESULTS_DIR.mkdir(exist_ok=True)
    stem = _artifact_stem(item)
    if page is not None:
        shot = RESULTS_DIR / f"{stem}.png"
        try:
            page.screenshot(path=str(shot), full_page=True, timeout=timeout_ms(10))
            rep.sections.append(("e2e screenshot", str(shot)))
        except Exception as exc:  # page may be dead already
            rep.sections.append(("e2e screenshot", f"could not take screenshot: {exc!r}"))
        console = getattr(page, "_iws_console", None)
        if console:
            text = "\n".join(console[-200:])
            (RESULTS_DIR / f"{stem}.console.txt").write_text("\n".join(console))
            rep.sections.append(("e2e browser console (last 200)", text))
    servers = funcargs.get("jupyter_server")
    if servers is not None:
        for kind, srv in servers.started.items():
            rep.sections.append((f"e2e {kind} server log tail ({srv.log_path})", srv.log_tail()))


# --------------------------------------------------------------------------- environment


class JupyterEnv:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.config_dir = root / "config"
        self.data_dir = root / "data"
        self.runtime_dir = root / "runtime"
        self.ipython_dir = root / "ipython"
        self.settings_dir = root / "lab-settings"
        self.workspaces_dir = root / "lab-workspaces"
        self.notebooks = root / "notebooks"
        for d in (
            self.config_dir,
            self.data_dir,
            self.runtime_dir,
            self.ipython_dir,
            self.settings_dir,
            self.workspaces_dir,
            self.notebooks,
        ):
            d.mkdir(parents=True, exist_ok=True)

        # Kernelspec bound to this very interpreter.
        kdir = self.data_dir / "kernels" / "python3"
        kdir.mkdir(parents=True, exist_ok=True)
        (kdir / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": KERNELSPEC_META["display_name"],
                    "language": "python",
                    "metadata": {"debugger": False},
                },
                indent=1,
            )
        )

        # Silence the news / update pop-up (docs/jupyter-internals.md#lab-test-server).
        notif = self.settings_dir / "@jupyterlab" / "apputils-extension"
        notif.mkdir(parents=True, exist_ok=True)
        (notif / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )

        env = dict(os.environ)
        # Nothing from the user's own Jupyter setup may leak in.
        for var in ("JUPYTER_PREFER_ENV_PATH", "JUPYTER_PLATFORM_DIRS", "JUPYTER_TOKEN"):
            env.pop(var, None)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.config_dir),
            JUPYTER_DATA_DIR=str(self.data_dir),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            IPYTHONDIR=str(self.ipython_dir),
            JUPYTERLAB_SETTINGS_DIR=str(self.settings_dir),
            JUPYTERLAB_WORKSPACES_DIR=str(self.workspaces_dir),
            # Temp data dir first (our kernelspec wins), then the environment's
            # share/jupyter (labextensions of jupyterlab_widgets / anywidget).
            JUPYTER_PATH=os.pathsep.join(
                [str(self.data_dir), str(Path(sys.prefix, "share", "jupyter"))]
            ),
            PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
            PYTHONUNBUFFERED="1",
            # The kernel imports ipywebsockets from this checkout, installed
            # (editable) or not.
            PYTHONPATH=os.pathsep.join(
                p for p in [str(REPO_ROOT / "src"), env.get("PYTHONPATH", "")] if p
            ),
            # Loopback servers in tests must not go through a system proxy.
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        self.env = env


@pytest.fixture(scope="session")
def jupyter_env(tmp_path_factory: pytest.TempPathFactory) -> JupyterEnv:
    return JupyterEnv(tmp_path_factory.mktemp("iws-e2e"))


# --------------------------------------------------------------------------- server


class JupyterServer(ServerProcess):
    def __init__(self, kind: str, env: JupyterEnv) -> None:
        if kind not in ("lab", "notebook"):
            raise ValueError(f"unknown server kind {kind!r}")
        self.kind = kind
        self.env = env
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        app = "JupyterNotebookApp" if kind == "notebook" else "LabApp"
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            kind,
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            # test_browser_mode opens Lab as http://lab.example (mapped to 127.0.0.1).
            "--ServerApp.local_hostnames=localhost",
            "--ServerApp.local_hostnames=lab.example",
            f"--{app}.expose_app_in_browser=True",
            f"--ServerApp.root_dir={env.notebooks}",
            f"--{app}.workspaces_dir={env.workspaces_dir}",
            f"--{app}.user_settings_dir={env.settings_dir}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.name = f"jupyter {kind}"
        super().__init__(cmd, env.root / f"{kind}-server.log", env=env.env, cwd=env.notebooks)

    def wait_ready(self, within: float) -> None:
        """Wait (``within`` unscaled seconds) until ``/api/status`` answers 200."""
        self.wait_answers(f"{self.base_url}/api/status", within)


class JupyterServers:
    """Lazily started servers, one per kind, shared by the session."""

    def __init__(self, env: JupyterEnv) -> None:
        self.env = env
        self.started: dict[str, JupyterServer] = {}

    def __call__(self, kind: str = "lab") -> str:
        srv = self.started.get(kind)
        if srv is None:
            srv = JupyterServer(kind, self.env)
            self.started[kind] = srv
            srv.wait_ready(60)
        return srv.base_url

    def stop_all(self) -> None:
        for srv in self.started.values():
            srv.stop()


@pytest.fixture(scope="session")
def jupyter_server(jupyter_env: JupyterEnv) -> Iterator[JupyterServers]:
    """``jupyter_server("lab")`` / ``jupyter_server("notebook")`` -> base URL."""
    servers = JupyterServers(jupyter_env)
    try:
        yield servers
    finally:
        servers.stop_all()


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM} (apt-get install -y chromium, "
            "or set IPYWEBSOCKETS_CHROMIUM)"
        )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # Closing the page drops the kernel websocket; the running kernels are shut
    # down with the server (SIGTERM -> jupyter_server shuts down all kernels).
    with open_page(browser) as pg:
        yield pg


@pytest.fixture
def notebook_runner(
    page: Any,
    jupyter_server: JupyterServers,
    jupyter_env: JupyterEnv,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., str]]:
    """``notebook_runner(cells, ui="lab", name=None)`` -> notebook name (opened and running)."""
    counter = {"n": 0}

    def run(cells: list[str], ui: str = "lab", name: str | None = None) -> str:
        counter["n"] += 1
        if name is None:
            base = re.sub(r"[^A-Za-z0-9_]+", "_", request.node.name)[:60]
            name = f"{base}_{counter['n']}"
        base_url = jupyter_server(ui)
        opened.append((base_url, f"{name}.ipynb"))
        run_notebook(page, base_url, cells, name, ui, notebooks_root=jupyter_env.notebooks)
        return name

    opened: list[tuple[str, str]] = []
    yield run
    # Clean end: close the page (drops the kernel websockets), then shut down the
    # sessions/kernels this test started through the REST API.
    with contextlib.suppress(Exception):
        page.close()
    for base_url, path in opened:
        _shutdown_sessions(base_url, path)


def _shutdown_sessions(base_url: str, path: str) -> None:
    try:
        with urllib.request.urlopen(f"{base_url}/api/sessions", timeout=timeout_s(5)) as r:
            sessions = json.load(r)
    except (urllib.error.URLError, OSError):
        return
    for s in sessions:
        if s.get("path") == path:
            req = urllib.request.Request(f"{base_url}/api/sessions/{s['id']}", method="DELETE")
            with contextlib.suppress(urllib.error.URLError, OSError):
                urllib.request.urlopen(req, timeout=timeout_s(10)).close()
