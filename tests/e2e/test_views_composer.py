"""The Composer in a real JupyterLab: JSON checked, binary as hex, saved messages, repeat.

DOM contract: ``.iws-composer`` > ``.iws-send-input``, ``.iws-send-format``
(text, json, binary), ``.iws-send-button``, ``.iws-send-error``,
``.iws-save-name``, ``.iws-save-button``, ``.iws-repeat-ms``,
``.iws-repeat-button``, ``.iws-repeat-status``, ``.iws-saved`` >
``.iws-saved-item[data-format]`` > ``.iws-saved-load`` / ``.iws-saved-send`` /
``.iws-saved-delete``. Standalone widgets: ``.iws-composer-widget``, ``.iws-log-widget``.
"""

from __future__ import annotations

import json
import re

import pytest
from iws_e2e_harness import (
    ECHO_CELLS,
    run_cell,
    wait_for_cell_output,
    wait_open,
    wait_visible,
)

from timing import timeout_ms

pytestmark = pytest.mark.e2e


def exact(page, scope: str, direction: str, kind: str, text: str):
    return page.locator(f'{scope} .iws-row[data-dir="{direction}"][data-kind="{kind}"]').filter(
        has=page.locator(".iws-text", has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))
    )


def test_composer_json_binary_saved_repeat_and_reload(page, notebook_runner):
    name = notebook_runner(
        [*ECHO_CELLS, "c = iws.Composer(ws)\nc", "log = iws.Log(ws)\nlog"], ui="lab"
    )
    wait_open(page, name)
    wait_visible(page, name, ".iws-log-widget .iws-log", 20)
    main = page.locator(".iws-widget").first
    box, fmt, error = (
        main.locator(".iws-send-input"),
        main.locator(".iws-send-format"),
        main.locator(".iws-send-error"),
    )

    # JSON is checked before sending; the error is shown, nothing is sent.
    fmt.select_option("json")
    box.fill('{"a": 1,}')
    main.locator(".iws-send-button").click()
    assert "not sent: invalid JSON" in error.inner_text()
    box.fill('{"a": 1}')
    box.press("Enter")
    exact(page, ".iws-widget", "in", "text", '{"a":1}').first.wait_for(timeout=timeout_ms(10))
    assert error.inner_text().strip() == ""

    # Binary, written as hex; bad hex is refused.
    fmt.select_option("binary")
    box.fill("00 ff 4")
    box.press("Enter")
    assert "not hex" in error.inner_text()
    box.fill("00 ff 41")
    box.press("Enter")
    exact(page, ".iws-widget", "in", "binary", "00 ff 41").first.wait_for(timeout=timeout_ms(10))

    # Saved messages: in the list, in the kernel's trait.
    fmt.select_option("json")
    box.fill('{"hi": 1}')
    main.locator(".iws-save-name").fill("greet")
    main.locator(".iws-save-button").click()
    main.locator(".iws-saved-item", has_text="greet").wait_for(timeout=timeout_ms(5))
    box.fill("")
    main.locator(".iws-saved-item", has_text="greet").locator(".iws-saved-send").click()
    exact(page, ".iws-widget", "in", "text", '{"hi":1}').first.wait_for(timeout=timeout_ms(10))

    # The standalone Composer sends through the kernel; the standalone Log shows it.
    solo = page.locator(".iws-composer-widget")
    solo.locator(".iws-send-input").fill("from-composer")
    solo.locator(".iws-send-button").click()
    exact(page, ".iws-log-widget", "in", "text", "from-composer").first.wait_for(
        timeout=timeout_ms(10)
    )
    solo.locator(".iws-save-name").fill("solo")
    solo.locator(".iws-save-button").click()
    solo.locator(".iws-saved-item", has_text="solo").wait_for(timeout=timeout_ms(5))
    idx = run_cell(
        page,
        name,
        "import json, time\n"
        "for _ in range(50):\n"
        "    if ws.saved and c.saved: break\n"
        "    time.sleep(0.1)\n"
        'print("SAVED", json.dumps([ws.saved, c.saved]))',
    )
    saved = json.loads(wait_for_cell_output(page, name, idx, r"SAVED (.*)").group(1))
    assert saved == [
        [{"name": "greet", "format": "json", "data": '{"hi": 1}'}],
        [{"name": "solo", "format": "text", "data": "from-composer"}],
    ], saved

    # Repeat every 20 ms; it stops, and says why, when the connection closes.
    fmt.select_option("text")
    box.fill("again")
    main.locator(".iws-repeat-ms").fill("20")
    main.locator(".iws-repeat-button").click()
    page.wait_for_function(
        "() => { const m = /(\\d+) sent/.exec(document.querySelector('.iws-repeat-status')"
        ".textContent); return m && Number(m[1]) >= 10; }",
        timeout=timeout_ms(10),
    )
    idx = run_cell(page, name, "ws.close()\nprint('CLOSED', ws.status)")
    wait_for_cell_output(page, name, idx, "CLOSED closed")
    status = main.locator('.iws-repeat-status[data-state="stopped"]')
    status.wait_for(timeout=timeout_ms(10))
    # Stopped by the status change, or by a send that met the closed socket first.
    assert "closed" in status.inner_text(), status.inner_text()
    assert main.locator(".iws-repeat-button").inner_text() == "Repeat"

    # Saved messages survive saving the notebook and reloading the page.
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=timeout_ms(10)
    )
    page.reload(wait_until="domcontentloaded")
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell", timeout=timeout_ms(30)
    )
    page.locator(".iws-saved-item", has_text="greet").first.wait_for(timeout=timeout_ms(30))
    page.locator(".iws-composer-widget .iws-saved-item", has_text="solo").wait_for(
        timeout=timeout_ms(10)
    )


def test_composer_in_browser_mode_sends_through_the_page_socket(page, notebook_runner):
    name = notebook_runner(
        [
            "import ipywebsockets as iws",
            "echo = iws.EchoServer().start()",
            'ws = iws.WebSocket(echo.url, mode="browser")',
            "ws",
        ],
        ui="lab",
    )
    wait_open(page, name)
    main = page.locator(".iws-widget").first
    box = main.locator(".iws-send-input")
    box.fill("page-text")
    box.press("Enter")
    exact(page, ".iws-widget", "in", "text", "page-text").first.wait_for(timeout=timeout_ms(10))
    main.locator(".iws-send-format").select_option("binary")
    box.fill("de ad be ef")
    box.press("Enter")
    row = exact(page, ".iws-widget", "in", "binary", "de ad be ef").first
    row.wait_for(timeout=timeout_ms(10))
    # The page's own rows expand without asking the kernel.
    row.click()
    body = main.locator('.iws-detail[data-state="ready"] .iws-detail-body')
    assert body.inner_text().startswith("00000000  de ad be ef"), body.inner_text()
    idx = run_cell(
        page,
        name,
        "import time\n"
        "for _ in range(50):\n"
        "    if ws.received >= 2: break\n"
        "    time.sleep(0.1)\n"
        'print("KERNEL", [m.data for m in ws.messages if m.direction == "in"])',
    )
    m = wait_for_cell_output(page, name, idx, r"KERNEL (.*)")
    assert m.group(1) == "['page-text', b'\\xde\\xad\\xbe\\xef']", m.group(0)
