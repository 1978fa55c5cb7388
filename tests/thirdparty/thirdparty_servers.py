"""Third-party servers for the tests: found or installed, started, awaited and stopped.

Nothing here is written by this project except the glue: each server is a
program from Debian or PyPI, run in a process of its own on 127.0.0.1 and a
free port, its output in a log file whose tail every start-up error quotes.

* Debian programs (``libwebsockets-test-server``, ``tinyproxy``,
  ``microsocks``, ``rabbitmq-server``) are installed by ``make thirdparty``
  (apt-get, as root);
  :func:`debian_program` finds them or says how to install them.
* PyPI servers (python-lsp-server, python-socketio) live in venvs of their own under
  ``.cache/thirdparty/<name>-<key>`` in the checkout, keyed by the pinned
  requirements and the Python version, made once and reused
  (:func:`venv_for`; ``make thirdparty`` makes them ahead of the tests,
  ``make clean`` removes them). They never enter the project's venv.

``python tests/thirdparty/thirdparty_servers.py`` checks the Debian programs
and makes the venvs (what ``make thirdparty`` runs after apt-get).
See docs/third-party.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE = REPO_ROOT / ".cache" / "thirdparty"

DEBIAN_PACKAGES = {  # program -> the Debian package that installs it
    "libwebsockets-test-server": "libwebsockets-test-server",
    "tinyproxy": "tinyproxy",
    "microsocks": "microsocks",
    "rabbitmq-server": "rabbitmq-server",  # its Web-STOMP plugin comes with it
    "epmd": "rabbitmq-server",  # Erlang's port mapper (erlang-base, a dependency)
}

# python-lsp-server over WebSocket (`pylsp --ws`), pinned; installs in about 30 s.
PYLSP_REQUIREMENTS = ("python-lsp-server[websockets]==1.15.0", "websockets==17.4")

# python-socketio's ASGI app under uvicorn, pinned (and what they pull in: the
# Engine.IO server, uvicorn's WebSocket library); installs in about 6 s.
SOCKETIO_REQUIREMENTS = (
    "python-socketio==5.18.1",
    "python-engineio==4.15.1",
    "uvicorn==0.54.0",
    "websockets==17.4",
)

# amqtt's MQTT broker (its "ws" listener speaks MQTT 3.1.1 over WebSocket, subprotocol
# "mqtt"), pinned; installs in about 12 s. It pins websockets 15, so it stays out of our venv.
AMQTT_REQUIREMENTS = ("amqtt==0.12.1", "websockets==15.0.1")

# pylsp 1.15's --ws ignores --host and listens on every interface; this starts the
# same server with websockets.serve bound to 127.0.0.1 (nothing else changes).
PYLSP_ON_LOOPBACK = (
    "import functools, sys, websockets\n"
    "websockets.serve = functools.partial(websockets.serve, host='127.0.0.1')\n"
    "from pylsp.__main__ import main\n"
    "sys.exit(main())\n"
)


# strawberry-graphql under uvicorn (GraphQL over WebSocket: graphql-transport-ws and the
# legacy graphql-ws), pinned; the app is tests/thirdparty/apps/graphql_app.py.
GRAPHQL_REQUIREMENTS = (
    "strawberry-graphql==0.341.2",
    "uvicorn==0.54.0",
    "starlette==1.10.0",
    "websockets==17.4",
)
# The apps the PyPI servers run (in their venvs, not ours).
APPS = Path(__file__).resolve().parent / "apps"


def _timeout(seconds: float) -> float:
    """Scaled like tests/timing.py (kept standalone: this file also runs as a script)."""
    return seconds * float(os.environ.get("IPYWEBSOCKETS_TIMEOUT_SCALE", "") or 1)


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def debian_program(name: str) -> str:
    """The path of Debian program ``name``, or an error saying how to install it."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")  # not on PATH
    if path is None:
        raise RuntimeError(
            f"{name} is not installed: run `make thirdparty` (as root it runs apt-get), "
            f"or `sudo apt-get install -y {DEBIAN_PACKAGES[name]}`"
        )
    return path


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two pytest runs never build one venv at once
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def venv_for(name: str, requirements: Sequence[str]) -> Path:
    """A venv holding ``requirements`` (pinned), made once under ``.cache/thirdparty``.

    Keyed by the requirements and the Python version: changing a pin makes a new
    venv. A venv whose install did not finish is made again. Raises RuntimeError
    with pip's output tail if the install fails.
    """
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    key = hashlib.sha256("\n".join([version, *requirements]).encode()).hexdigest()[:12]
    path = CACHE / f"{name}-{key}"
    done = path / ".complete"
    if done.exists():
        return path
    with _locked(CACHE / f"{name}.lock"):
        if done.exists():
            return path
        shutil.rmtree(path, ignore_errors=True)
        started = time.monotonic()
        print(f"making the {name} venv ({' '.join(requirements)}) in {path}", file=sys.stderr)
        steps = [
            [sys.executable, "-m", "venv", str(path)],
            [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", *requirements],
        ]  # fmt: skip
        for step in steps:
            done_step = subprocess.run(step, capture_output=True, text=True, timeout=600)
            if done_step.returncode != 0:
                tail = "\n".join((done_step.stdout + done_step.stderr).splitlines()[-30:])
                raise RuntimeError(
                    f"could not make the {name} venv: {' '.join(step)} exited with "
                    f"{done_step.returncode} (is PyPI reachable?)\n{tail}"
                )
        done.write_text(f"{time.monotonic() - started:.1f} s\n")
        print(f"{name} venv made in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return path


def pylsp_python() -> Path:
    """The python of the python-lsp-server venv (made on first use)."""
    return venv_for("pylsp", PYLSP_REQUIREMENTS) / "bin" / "python"


def graphql_python() -> Path:
    """The python of the strawberry-graphql + uvicorn venv (made on first use)."""
    return venv_for("graphql", GRAPHQL_REQUIREMENTS) / "bin" / "python"


def socketio_python() -> Path:
    """The python of the python-socketio venv (made on first use)."""
    return venv_for("socketio", SOCKETIO_REQUIREMENTS) / "bin" / "python"


def amqtt_python() -> Path:
    """The python of the amqtt broker's venv (made on first use)."""
    return venv_for("amqtt", AMQTT_REQUIREMENTS) / "bin" / "python"


# --------------------------------------------------------------------------- readiness


def accepts_tcp(port: int) -> bool:
    """True once something accepts TCP connections on 127.0.0.1:``port``."""
    with socket.socket() as sock:
        sock.settimeout(1)
        try:
            sock.connect(("127.0.0.1", port))
        except OSError:
            return False
    return True


def completes_handshake(url: str, subprotocol: str | None = None) -> Callable[[int], bool]:
    """A readiness check: a WebSocket opening handshake to ``url`` succeeds (then closes)."""
    from websockets.sync.client import connect

    def check(port: int) -> bool:
        try:
            with connect(
                url,
                subprotocols=[subprotocol] if subprotocol else None,  # type: ignore[list-item]
                proxy=None,
                open_timeout=2,
                close_timeout=1,
            ):
                return True
        except Exception:  # refused, reset, not (yet) a WebSocket server: not ready
            return False

    return check


# --------------------------------------------------------------------------- processes


class ServerProcess:
    """A third-party server in a process (and session) of its own, its output in a log file.

    ``start()`` waits until ``ready(port)`` is true, within a bounded time, and
    fails with the log's tail if the process exits or the time runs out.
    ``kill()`` ends it abruptly (SIGKILL, a crash); ``stop()`` politely (SIGTERM,
    then SIGKILL); ``start()`` again restarts it on the same port. Only the pid
    started here is ever signalled.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        port: int,
        log_path: Path,
        ready: Callable[[int], bool],
        *,
        cwd: Path | None = None,
        ready_within: float = 30.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.port = port
        self.log_path = log_path
        self.ready = ready
        self.cwd = cwd or log_path.parent
        self.ready_within = ready_within
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"<no log: {exc}>"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def _failure(self, what: str) -> RuntimeError:
        return RuntimeError(
            f"{self.name} {what}\ncommand: {' '.join(self.argv)}\n"
            f"--- log tail ({self.log_path}) ---\n{self.log_tail()}"
        )

    def start(self) -> ServerProcess:
        """Start the server (again) and wait until it is ready."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if accepts_tcp(self.port):  # else another process's answer would pass for ours
            raise RuntimeError(
                f"{self.name} cannot start: something else already listens on 127.0.0.1:"
                f"{self.port} (a server left over from an earlier run?)"
            )
        with open(self.log_path, "ab") as log:
            log.write(f"--- start {self.starts + 1}: {' '.join(self.argv)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv,
                cwd=str(self.cwd),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        limit = _timeout(self.ready_within)
        deadline = time.monotonic() + limit
        while True:
            if self.proc.poll() is not None:
                raise self._failure(f"exited with code {self.proc.returncode} while starting")
            if self.ready(self.port):
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise self._failure(f"was not ready on port {self.port} within {limit:.0f} s")
            time.sleep(0.05)

    def kill(self) -> None:
        """End the process at once (SIGKILL): its connections drop without a close frame."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=_timeout(10))

    def stop(self) -> None:
        """End the process: SIGTERM, then SIGKILL if it has not ended within 5 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=_timeout(5))
            except subprocess.TimeoutExpired:
                self.kill()


# --------------------------------------------------------------------------- the servers


def libwebsockets_server(log_dir: Path, port: int | None = None) -> ServerProcess:
    """libwebsockets' test server (Debian): ``dumb-increment-protocol``, ``lws-mirror-protocol``.

    ``--interface=lo`` keeps it on 127.0.0.1; ready once a handshake with
    ``dumb-increment-protocol`` completes.
    """
    port = port or free_port()
    program = debian_program("libwebsockets-test-server")
    url = f"ws://127.0.0.1:{port}"
    return ServerProcess(
        "libwebsockets-test-server",
        [program, f"--port={port}", "--interface=lo"],
        port,
        log_dir / "libwebsockets-test-server.log",
        completes_handshake(url, "dumb-increment-protocol"),
    )


def pylsp_server(log_dir: Path, port: int | None = None) -> ServerProcess:
    """python-lsp-server over WebSocket (PyPI, its own venv), on 127.0.0.1."""
    port = port or free_port()
    python = pylsp_python()
    return ServerProcess(
        "pylsp --ws",
        [str(python), "-c", PYLSP_ON_LOOPBACK, "--ws", "--port", str(port), "-v"],
        port,
        log_dir / "pylsp.log",
        completes_handshake(f"ws://127.0.0.1:{port}"),
        ready_within=60.0,  # the first start compiles the venv's bytecode
    )


def graphql_server(log_dir: Path, port: int | None = None) -> ServerProcess:
    """strawberry-graphql's ASGI app under uvicorn (PyPI, its own venv), on 127.0.0.1.

    The app is ``apps/graphql_app.py`` (``hello``, ``boom``, ``count``, ``fail``);
    ``/graphql`` speaks graphql-transport-ws and the legacy graphql-ws. Ready once
    a graphql-transport-ws handshake completes.
    """
    port = port or free_port()
    python = graphql_python()
    argv = [str(python), "-m", "uvicorn", "graphql_app:app", "--app-dir", str(APPS)]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio"]
    return ServerProcess(
        "strawberry-graphql (uvicorn)",
        argv,
        port,
        log_dir / "graphql.log",
        completes_handshake(f"ws://127.0.0.1:{port}/graphql", "graphql-transport-ws"),
        ready_within=60.0,  # the first start compiles the venv's bytecode
    )


def engine_io_opens(port: int) -> bool:
    """Ready once the Engine.IO handshake answers: the server's open packet (``0{...}``)."""
    from websockets.sync.client import connect

    url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
    try:
        with connect(url, proxy=None, open_timeout=2, close_timeout=1) as ws:
            return str(ws.recv(timeout=2)).startswith("0{")
    except Exception:  # refused, reset, not (yet) answering: not ready
        return False


def socketio_server(log_dir: Path, port: int | None = None) -> ServerProcess:
    """python-socketio (PyPI, its own venv): tests/thirdparty/apps/socketio_app.py under uvicorn.

    Socket.IO 5 / Engine.IO 4 at ``ws://127.0.0.1:PORT/socket.io/?EIO=4&transport=websocket``
    (the app pings every 2 s); ready once an Engine.IO handshake gets the open packet.
    """
    port = port or free_port()
    python = socketio_python()
    argv = [str(python), "-m", "uvicorn", "socketio_app:app", "--app-dir", str(APPS),
            "--host", "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio"]  # fmt: skip
    return ServerProcess(
        "python-socketio (uvicorn)",
        argv,
        port,
        log_dir / "socketio.log",
        engine_io_opens,
        ready_within=60.0,  # the first start compiles the venv's bytecode
    )


def mqtt_handshake(port: int) -> bool:
    """Ready once a WebSocket handshake with subprotocol ``mqtt`` gets CONNACK for CONNECT."""
    from websockets.sync.client import connect

    hello = b"\x10\x15\x00\x04MQTT\x04\x02\x00\x0a\x00\x09ready-chk"
    try:
        with connect(
            f"ws://127.0.0.1:{port}",
            subprotocols=["mqtt"],  # type: ignore[list-item]
            proxy=None,
            open_timeout=2,
            close_timeout=1,
        ) as ws:
            ws.send(hello)
            return ws.recv(timeout=2) == b"\x20\x02\x00\x00"
    except Exception:  # refused, reset, not (yet) an MQTT broker: not ready
        return False


def amqtt_server(
    log_dir: Path, port: int | None = None, users: Sequence[str] = ()
) -> ServerProcess:
    """amqtt's MQTT broker (PyPI, its own venv): one WebSocket listener on 127.0.0.1.

    ``users``: ``"name:password"`` entries a client may log in as (anonymous
    clients are let in too). Ready once CONNECT over WebSocket gets CONNACK 0.
    """
    port = port or free_port()
    python = amqtt_python()
    app = APPS / "amqtt_broker.py"
    return ServerProcess(
        "amqtt broker",
        [str(python), str(app), "--port", str(port), *(f"--user={u}" for u in users)],
        port,
        log_dir / f"amqtt-{port}.log",
        mqtt_handshake,
        ready_within=60.0,  # the first start compiles the venv's bytecode
    )


def tinyproxy_server(log_dir: Path, connect_ports: Sequence[int]) -> ServerProcess:
    """tinyproxy (Debian), an HTTP proxy that allows CONNECT to ``connect_ports`` only.

    Its config file is written here; ``-d`` keeps it in the foreground, logging
    every CONNECT (and every refusal) to its output at ``LogLevel Info``.
    """
    port = free_port()
    program = debian_program("tinyproxy")
    config = log_dir / f"tinyproxy-{port}.conf"
    lines = [
        f"Port {port}",
        "Listen 127.0.0.1",
        "Timeout 60",
        "MaxClients 50",
        "LogLevel Info",
        "Allow 127.0.0.1",
        *(f"ConnectPort {p}" for p in connect_ports),
    ]
    config.write_text("\n".join(lines) + "\n")
    return ServerProcess(
        "tinyproxy",
        [program, "-d", "-c", str(config)],
        port,
        log_dir / f"tinyproxy-{port}.log",
        accepts_tcp,
    )


def socks5_server(log_dir: Path) -> ServerProcess:
    """microsocks (Debian), a SOCKS5 proxy on 127.0.0.1 that logs each connection it makes."""
    port = free_port()
    program = debian_program("microsocks")
    return ServerProcess(
        "microsocks",
        [program, "-i", "127.0.0.1", "-p", str(port)],
        port,
        log_dir / f"microsocks-{port}.log",
        accepts_tcp,
    )


# RabbitMQ's own start script (Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user).
RABBITMQ_SCRIPT = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
RABBITMQ_CONF = """\
listeners.tcp = none
stomp.listeners.tcp = none
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = {port}
log.console = true
log.console.level = info
log.file = false
"""


class RabbitMQProcess(ServerProcess):
    """RabbitMQ with Erlang's port mapper (epmd) of its own, started before it, stopped after.

    epmd runs in the foreground on a free port of 127.0.0.1 (``ERL_EPMD_PORT``),
    so the node never starts (and leaves behind) a system-wide ``epmd -daemon``
    on 4369. ``kill()`` ends RabbitMQ only; ``start()`` again reuses the epmd.
    """

    def __init__(self, epmd: ServerProcess, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.epmd = epmd

    def start(self) -> ServerProcess:
        if self.epmd.proc is None or self.epmd.proc.poll() is not None:
            self.epmd.start()
        try:
            return super().start()
        except BaseException:
            self.epmd.stop()
            raise

    def stop(self) -> None:
        super().stop()
        self.epmd.stop()


def stomp_server(log_dir: Path, port: int | None = None) -> ServerProcess:
    """RabbitMQ (Debian) with its Web-STOMP plugin: STOMP 1.2 over WebSocket at ``/ws``.

    A node of its own (name, Mnesia, config, enabled plugins and cookie under
    ``log_dir``), its Web-STOMP listener on 127.0.0.1 and a free port, no AMQP
    or plain STOMP listener, its Erlang distribution on 127.0.0.1 too. User
    ``guest``/``guest`` (RabbitMQ makes it on first boot; loopback only).
    Ready once a WebSocket handshake with ``v12.stomp`` completes (about 6 s).
    """
    debian_program("rabbitmq-server")
    port = port or free_port()
    base = log_dir / f"rabbitmq-{port}"
    base.mkdir(parents=True, exist_ok=True)
    (base / "rabbitmq.conf").write_text(RABBITMQ_CONF.format(port=port))
    (base / "enabled_plugins").write_text("[rabbitmq_web_stomp].\n")
    epmd_port = free_port()
    epmd = ServerProcess(
        "epmd",
        [debian_program("epmd"), "-port", str(epmd_port), "-address", "127.0.0.1"],
        epmd_port,
        log_dir / f"epmd-{epmd_port}.log",
        accepts_tcp,
    )
    env = {
        "HOME": base,  # the Erlang cookie
        "ERL_EPMD_PORT": epmd_port,
        "RABBITMQ_NODENAME": f"iws-stomp-{port}@localhost",
        "RABBITMQ_DIST_PORT": free_port(),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        "RABBITMQ_CONFIG_FILE": base / "rabbitmq.conf",
        "RABBITMQ_ENABLED_PLUGINS_FILE": base / "enabled_plugins",
        "RABBITMQ_ADVANCED_CONFIG_FILE": base / "advanced.config",
        "RABBITMQ_CONF_ENV_FILE": base / "rabbitmq-env.conf",
        "RABBITMQ_MNESIA_BASE": base / "mnesia",
        "RABBITMQ_LOG_BASE": base / "log",
        "RABBITMQ_PLUGINS_EXPAND_DIR": base / "plugins",
        "RABBITMQ_FEATURE_FLAGS_FILE": base / "feature_flags",
        "RABBITMQ_PID_FILE": base / "rabbitmq.pid",
        "RUNNING_UNDER_SYSTEMD": "true",  # the script execs erl: our pid is the broker's
    }
    return RabbitMQProcess(
        epmd,
        "rabbitmq-server (web-stomp)",
        ["env", *(f"{k}={v}" for k, v in env.items()), str(RABBITMQ_SCRIPT)],
        port,
        log_dir / f"rabbitmq-{port}.log",
        completes_handshake(f"ws://127.0.0.1:{port}/ws", "v12.stomp"),
        ready_within=60.0,
    )


def main() -> int:
    """Check the Debian programs and make the PyPI venvs (``make thirdparty``)."""
    started = time.monotonic()
    try:
        for name in DEBIAN_PACKAGES:
            debian_program(name)
        pylsp_python()
        graphql_python()
        socketio_python()
        amqtt_python()
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"third-party servers ready ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
