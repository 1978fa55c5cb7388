"""python-lsp-server over WebSocket (PyPI, in a venv of its own): JSON-RPC 2.0 no one here wrote.

Each connection is a language-server session of its own: ``initialize``, the
``initialized`` and ``textDocument/didOpen`` notifications, then requests.
Replies are matched by id; the server's notifications
(``textDocument/publishDiagnostics``) are ordinary messages; an unknown method
is JSON-RPC error -32601.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from thirdparty_servers import ServerProcess

import ipywebsockets as iws
from timing import timeout_s

T = timeout_s(20)  # the first hover imports jedi's caches
SOURCE = "import os\nos.path.join\n"


def is_reply(request_id: int) -> Callable[[iws.Message], bool]:
    return lambda m: m.json().get("id") == request_id and "method" not in m.json()


def initialize_params(root: Path) -> dict[str, Any]:
    return {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}


def notify(ws: iws.WebSocket, method: str, params: dict[str, Any]) -> None:
    ws.send({"jsonrpc": "2.0", "method": method, "params": params})


def open_document(ws: iws.WebSocket, root: Path) -> str:
    """``initialized`` and ``didOpen`` (notifications, sent with ``ws.send``); the doc's uri."""
    uri = (root / "example.py").as_uri()
    notify(ws, "initialized", {})
    notify(
        ws,
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": SOURCE}},
    )
    return uri


def hover_params(uri: str) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 9}}  # "join"


def test_initialize_sent_by_hand(
    pylsp: ServerProcess, connect: Callable[..., iws.WebSocket], tmp_path: Path
) -> None:
    ws = connect(pylsp.url)
    ws.send(
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize_params(tmp_path)}
    )
    reply = ws.wait_for(is_reply(1), timeout=T).json()
    assert reply["jsonrpc"] == "2.0"
    assert reply["result"]["capabilities"]["hoverProvider"] is True

    uri = open_document(ws, tmp_path)
    diagnostics = ws.wait_for(
        lambda m: m.json().get("method") == "textDocument/publishDiagnostics", timeout=T
    ).json()
    assert diagnostics["params"]["uri"] == uri
    ws.send(
        {"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": hover_params(uri)}
    )
    hover = ws.wait_for(is_reply(2), timeout=T).json()
    assert "join" in hover["result"]["contents"]["value"]


def test_call_initialize_hover_and_notifications(
    pylsp: ServerProcess, connect: Callable[..., iws.WebSocket], tmp_path: Path
) -> None:
    ws = connect(pylsp.url)
    result = ws.call("initialize", initialize_params(tmp_path), timeout=T)
    assert result["capabilities"]["hoverProvider"] is True
    assert result["capabilities"]["completionProvider"]["triggerCharacters"] == ["."]

    uri = open_document(ws, tmp_path)
    hover = ws.call("textDocument/hover", hover_params(uri), timeout=T)
    assert "join" in hover["contents"]["value"], hover
    completion = ws.call(
        "textDocument/completion",
        {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 3}},  # "os."
        timeout=T,
    )
    labels = [item["label"] for item in completion["items"]]
    assert any(label.startswith("path") for label in labels), labels[:20]

    # The server's notification arrives as an ordinary message; the replies that
    # call() took never do.
    seen: list[dict[str, Any]] = []

    def diagnostics(m: iws.Message) -> bool:
        seen.append(m.json())
        return m.json().get("method") == "textDocument/publishDiagnostics"

    note = ws.wait_for(diagnostics, timeout=T).json()
    assert note["params"]["uri"] == uri
    assert not [m for m in seen if "id" in m], seen


def test_request_matches_the_reply_and_keeps_it_from_recv(
    pylsp: ServerProcess, connect: Callable[..., iws.WebSocket], tmp_path: Path
) -> None:
    ws = connect(pylsp.url)
    ws.call("initialize", initialize_params(tmp_path), timeout=T)
    uri = open_document(ws, tmp_path)
    request = {"jsonrpc": "2.0", "id": "hover-7", "method": "textDocument/hover"}
    reply = ws.request(
        {**request, "params": hover_params(uri)},
        match=lambda m: m.json().get("id") == "hover-7",
        timeout=T,
    )
    assert "join" in reply.json()["result"]["contents"]["value"]

    # A notification sent after it: everything recv() sees up to its answer, and the
    # request's reply is not among it.
    notify(
        ws,
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": SOURCE + "x = 1\n"}],
        },
    )
    read: list[dict[str, Any]] = []
    while not (read and read[-1].get("params", {}).get("version") == 2):
        read.append(ws.recv(timeout=T).json())
    assert [m.get("id") for m in read if "id" in m] == [], read


def test_unknown_method_raises_remote_error(
    pylsp: ServerProcess, connect: Callable[..., iws.WebSocket], tmp_path: Path
) -> None:
    ws = connect(pylsp.url)
    ws.call("initialize", initialize_params(tmp_path), timeout=T)
    with pytest.raises(iws.RemoteError) as caught:
        ws.call("no/such/method", {"x": 1}, timeout=T)
    assert caught.value.code == -32601
    assert "no/such/method" in caught.value.message
    # The session goes on after the error.
    assert ws.call("shutdown", None, timeout=T) is None


def test_a_reply_is_json_rpc_2(pylsp: ServerProcess, connect: Callable[..., iws.WebSocket]) -> None:
    """What ``call`` relies on, read off the wire: the error reply's exact shape."""
    ws = connect(pylsp.url)
    ws.send({"jsonrpc": "2.0", "id": 5, "method": "no/such/method", "params": {}})
    reply = json.loads(ws.wait_for(is_reply(5), timeout=T).text())
    assert reply == {
        "jsonrpc": "2.0",
        "id": 5,
        "error": {"code": -32601, "message": "Method Not Found: no/such/method"},
    }
