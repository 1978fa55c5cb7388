"""Browser mode with no front end at all (a kernel driven by jupyter_client): say so, never hang."""

from __future__ import annotations

import pytest

from conftest import Kernel, result_line

pytestmark = pytest.mark.kernel

CODE = """\
import asyncio, json, time
import ipywebsockets as iws

ws = iws.WebSocket("ws://127.0.0.1:9/feed?token=SECRET-T", mode="browser", protocols=["chat"])
t0 = time.monotonic()
while ws.status != "no-browser" and time.monotonic() - t0 < 15:
    time.sleep(0.05)
report = {"status": ws.status, "after": time.monotonic() - t0, "error": ws.error, "raised": {}}

async def attempt(name, call):
    t0 = time.monotonic()
    try:
        result = call()
        if asyncio.iscoroutine(result):
            await result
        report["raised"][name] = ["nothing", time.monotonic() - t0, ""]
    except Exception as exc:
        report["raised"][name] = [type(exc).__name__, time.monotonic() - t0, str(exc)]

await attempt("send", lambda: ws.send({"hello": 1}))
await attempt("recv", lambda: ws.recv(timeout=30))
await attempt("wait_for", lambda: ws.wait_for(lambda m: True, timeout=30))
await attempt("arecv", lambda: ws.arecv(timeout=30))
t0 = time.monotonic()
ws.close()
report["close"] = [ws.status, time.monotonic() - t0]
await attempt("send_after_close", lambda: ws.send("x"))
report["traits"] = {"url": ws.url, "mode": ws.mode, "sent": ws.sent, "unsent": ws.unsent}
"""


def test_no_front_end(kernel: Kernel) -> None:
    kernel.run(CODE, timeout=90)
    report = kernel.run(result_line("report")).result()

    assert report["status"] == "no-browser", report
    assert report["after"] < 5, f"took {report['after']:.1f} s to notice no browser is there"
    assert "no browser has this widget open" in report["error"], report["error"]
    assert "SECRET-T" not in report["error"], "the URL's token leaked into the error"

    raised = report["raised"]
    for name in ("send", "recv", "wait_for", "arecv"):
        kind, took, text = raised[name]
        assert kind == "FrontendUnavailable", f"{name}: {raised[name]}"
        assert took < 5, f"{name} took {took:.1f} s to give up (timeout was 30 s)"
        assert "display the widget" in text and "mode='kernel'" in text, text
    assert raised["send_after_close"][0] == "ConnectionClosed", raised["send_after_close"]

    status, took = report["close"]
    assert status == "closed" and took < 2, report["close"]
    traits = report["traits"]
    assert traits["mode"] == "browser"
    assert traits["url"] == "ws://127.0.0.1:9/feed?token=***"
    assert traits["sent"] == 0


def test_browser_mode_refuses_what_browsers_cannot_do(kernel: Kernel) -> None:
    cell = kernel.run(
        "import ipywebsockets as iws\n"
        "errors = []\n"
        "for kwargs in ({'headers': {'Authorization': 'x'}}, {'mode': 'tab'}):\n"
        "    try:\n"
        "        iws.WebSocket('ws://127.0.0.1:9', **{'mode': 'browser', **kwargs})\n"
        "    except ValueError as exc:\n"
        "        errors.append(str(exc))\n"
        "ws = iws.WebSocket('ws://127.0.0.1:9', mode='browser', connect=False)\n"
        "ws.connect()\n"
        "try:\n"
        "    ws.close(1001)\n"
        "except ValueError as exc:\n"
        "    errors.append(str(exc))\n"
        "ws.close()\n" + result_line("errors")
    )
    headers, mode, code = cell.result()
    assert "browsers do not let pages set" in headers and "mode='kernel'" in headers, headers
    assert "'kernel' or 'browser'" in mode, mode
    assert "1000 or an application code from 3000 to 4999" in code, code
