"""The package's shape: layers import one way, WebSocket owns its parts, files stay small.

Read from the source with ``ast`` (imports under ``if TYPE_CHECKING:`` are
for the type checker only and do not count).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import ipywebsockets as iws
from ipywebsockets._jupyter.browser import BrowserLink
from ipywebsockets.client import Connection
from ipywebsockets.replay import ReplayConnection
from ipywebsockets.transport import Events, Transport

PACKAGE = Path(iws.__file__).parent
MAX_LINES = 450
# widget.py is the facade: the public API, each method a delegation under its docstring
# (the reference docs are built from them). Its code, docstrings not counted, keeps the
# limit; its whole text may be longer.
FACADE = "widget"
FACADE_MAX_LINES = 650

# Lower layers never import higher ones: pure -> I/O -> Jupyter plumbing -> widgets.
PURE = {"exceptions", "message", "history", "paths", "frames", "wire", "_reasons", "redact"}
PURE |= {"backoff"}  # retry delays
PURE |= {"tables"}  # messages as table columns (DataFrames)
PURE |= {"protocols"}  # Sans-I/O codecs: GraphQL, Socket.IO, MQTT, STOMP
IO = {"transport", "runtime", "client", "direct", "replay", "record", "wiretap", "servers"}
IO |= {"dataframes"}  # to_pandas/to_polars frames, read_recording
IO |= {"credentials", "sending", "market"}  # each attempt's URL, headers and proxy; the send queue
IO |= {"codec_link"}  # a protocol codec between a transport and the stream
LAYERS = {"pure": 0, "io": 1, "jupyter": 2, "widgets": 3}
# What a layer must not import at all, whichever module it names.
NOT_IN = {
    "pure": {"threading", "traitlets", "ipywidgets", "anywidget", "IPython", "ipykernel", "comm"},
    "io": {"traitlets", "ipywidgets", "anywidget", "IPython", "ipykernel", "comm"},
}


def layer(module: str) -> str:
    """The layer of ``ipywebsockets.<module>`` (dotted, without the package name)."""
    top = module.split(".")[0]
    if top in PURE:
        return "pure"
    if top in IO:
        return "io"
    if top == "_jupyter":
        return "jupyter"
    return "widgets"


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__") or "__init__"
        found.append((name, path))
    return found


def runtime_imports(name: str, path: Path) -> set[str]:
    """Absolute names of what ``path`` imports at run time (``ipywebsockets.x`` as ``x``)."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for body in node.body for n in ast.walk(body))
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    if name == "__init__":
        package = []
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert node.module is not None
                found.add(node.module)
                continue
            base = package[: len(package) - (node.level - 1)]
            target = ".".join([*base, node.module] if node.module else base)
            found.add("ipywebsockets." + target if target else "ipywebsockets")
    return found


@pytest.mark.parametrize(("name", "path"), modules(), ids=[n for n, _ in modules()])
def test_imports_flow_one_way(name: str, path: Path) -> None:
    mine = layer(name)
    for imported in runtime_imports(name, path):
        if imported.startswith("ipywebsockets."):
            theirs = layer(imported.removeprefix("ipywebsockets."))
            assert LAYERS[theirs] <= LAYERS[mine], (
                f"{name} ({mine}) imports {imported} ({theirs}): imports flow "
                "pure -> I/O -> _jupyter -> widgets, never upward"
            )
        else:
            assert imported.split(".")[0] not in NOT_IN.get(mine, set()), (
                f"{name} is {mine} but imports {imported}"
            )


PURE_FILES = [p for n, p in modules() if layer(n) == "pure"]


@pytest.mark.parametrize("path", PURE_FILES, ids=[str(p.relative_to(PACKAGE)) for p in PURE_FILES])
def test_pure_modules_keep_no_caches(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            empty = ast.unparse(node.value) in ("{}", "[]", "dict()", "set()", "list()")
            assert not empty, f"{path.name} line {node.lineno}: module state in a pure module"


@pytest.mark.parametrize(("name", "path"), modules(), ids=[n for n, _ in modules()])
def test_no_source_file_over_the_limit(name: str, path: Path) -> None:
    text = path.read_text()
    lines = len(text.splitlines())
    if name == FACADE:
        code = lines - len(docstring_lines(text))
        assert code <= MAX_LINES, f"{path.name} has {code} lines of code: move logic to a part"
        assert lines <= FACADE_MAX_LINES, f"{path.name} has {lines} lines: split the facade"
        return
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines: it holds two ideas, split it"


def docstring_lines(text: str) -> set[int]:
    """The line numbers of the module's, classes' and functions' docstrings."""
    found: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                found.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return found


def test_websocket_is_a_facade_not_a_stack_of_mixins() -> None:
    ours = [c for c in iws.WebSocket.__mro__ if c.__module__.startswith("ipywebsockets")]
    assert ours == [iws.WebSocket]


def test_every_transport_offers_the_whole_protocol(tmp_path: Path) -> None:
    from ipywebsockets._jupyter.stream import Stream

    stream = Stream("ws://h", history=10, view_rows=10, callback_queue=10)
    recording = tmp_path / "r.jsonl"
    recording.write_text('{"seq": 1, "time": 0.0, "dir": "in", "kind": "text", "data": "x"}\n')
    transports = [
        Connection("ws://127.0.0.1:9/", stream),
        BrowserLink("ws://127.0.0.1:9/", stream, lambda content, buffers: None),
        ReplayConnection(recording, events=stream),
    ]
    wanted = {
        name
        for name, member in vars(Transport).items()
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property))
    }
    assert wanted >= {"start", "send", "close", "ping", "inspect", "check_close", "status"}
    for transport in transports:
        missing = {name for name in wanted if not hasattr(transport, name)}
        assert not missing, f"{type(transport).__name__} lacks {sorted(missing)}"


def test_the_stream_hears_every_event() -> None:
    from ipywebsockets._jupyter.stream import Stream

    events = {n for n, m in vars(Events).items() if inspect.isfunction(m) and n.startswith("on_")}
    assert events == {"on_status", "on_open", "on_message", "on_sent", "on_lost", "on_close"}
    assert all(callable(getattr(Stream, n, None)) for n in events)


def test_every_connection_argument_reaches_the_parts() -> None:
    """WebSocket.__init__ passes its connection arguments by name (parts.CONNECTION_OPTIONS)."""
    import inspect

    from ipywebsockets._jupyter.parts import CONNECTION_OPTIONS

    params = set(inspect.signature(iws.WebSocket.__init__).parameters)
    widget_level = {"self", "url", "max_fps", "view_rows", "connect", "inspect", "kwargs"}
    assert params - widget_level == CONNECTION_OPTIONS
