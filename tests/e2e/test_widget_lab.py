"""ipywebsockets in a real JupyterLab, driven by headless Chromium.

Each test opens its own notebook (own kernel), runs it, asserts on the widget's
DOM (contract: ``.iws-widget``, ``.iws-status``, ``.iws-received``, ``.iws-log``
with ``.iws-row[data-dir]`` > ``.iws-text``, send box ``.iws-send-*``) and on
kernel-side values printed by a cell run afterwards.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from iws_e2e_harness import (
    ECHO_CELLS,
    TICKER_CELLS,
    assert_ticker_live,
    int_text,
    run_cell,
    wait_for_cell_output,
    wait_for_text,
    wait_open,
)

from timing import eventually, timeout_ms

pytestmark = pytest.mark.e2e


def rows(page, direction: str, exact: str | None = None):
    loc = page.locator(f'.iws-row[data-dir="{direction}"]')
    if exact is not None:
        loc = loc.filter(
            has=page.locator(".iws-text", has_text=re.compile(rf"^\s*{re.escape(exact)}\s*$"))
        )
    return loc


def send(page, text: str, *, enter: bool = False) -> None:
    box = page.locator(".iws-send-input").first
    box.fill(text)
    if enter:
        box.press("Enter")
    else:
        page.locator(".iws-send-button").first.click()


def test_ticker_streams_into_view_and_kernel(page, notebook_runner):
    name = notebook_runner(TICKER_CELLS, ui="lab")
    wait_open(page, name)
    assert_ticker_live(page)

    # Ticker JSON rows land in the log.
    row_text = page.locator('.iws-row[data-dir="in"] .iws-text').filter(has_text='"symbol"')
    row_text.first.wait_for(timeout=timeout_ms(10))
    text = row_text.first.inner_text()
    assert '"symbol"' in text and '"price"' in text, text
    row = page.locator('.iws-row[data-dir="in"]').first
    assert row.get_attribute("data-seq") is not None
    for part in (".iws-dir", ".iws-time", ".iws-size"):
        assert row.locator(part).count() == 1, f"{part} missing in .iws-row"

    # IPYWEBSOCKETS_SCREENSHOT=docs/widget.png pytest tests/e2e -k ticker: the README picture.
    if shot := os.environ.get("IPYWEBSOCKETS_SCREENSHOT"):
        page.locator(".iws-widget").first.screenshot(path=shot)

    # Stop the stream, then compare what the kernel has with what the page shows:
    # the same count and the same last row (seq and text).
    idx = run_cell(
        page,
        name,
        "import json\n"
        "ws.close()\n"
        "last = ws.last\n"
        'kept = sum(m.direction == "in" for m in ws.messages)\n'
        'print("KERNEL", json.dumps({"status": ws.status, "received": ws.received, '
        '"kept": kept, "seq": last.seq, "value": last.json()}))',
    )
    kernel = json.loads(wait_for_cell_output(page, name, idx, r"KERNEL (\{.*\})").group(1))
    assert kernel["status"] == "closed" and kernel["received"] > 10, kernel
    # The ticker numbers its ticks from 1 and the history (1,000) keeps them all: the
    # counter, the history and the server's numbering agree.
    assert kernel["received"] == kernel["kept"] == kernel["value"]["seq"], kernel
    wait_for_text(page, ".iws-status", ("closed",), 10)
    last_row = page.locator('.iws-row[data-dir="in"]').last
    shown: dict[str, object] = {}

    def page_caught_up() -> bool:
        shown["received"] = int_text(page, ".iws-received")
        shown["seq"] = int(last_row.get_attribute("data-seq") or -1)
        return shown["received"] == kernel["received"] and shown["seq"] == kernel["seq"]

    eventually(page_caught_up, 10, lambda: f"page shows {shown}, kernel has {kernel}", interval=0.1)
    # Both sides re-encode the JSON (Python says 101.0 where JavaScript says 101): compare values.
    assert json.loads(last_row.locator(".iws-text").inner_text()) == kernel["value"]


def test_send_box_round_trip(page, notebook_runner):
    name = notebook_runner(ECHO_CELLS, ui="lab")
    wait_open(page, name)

    send(page, "hello-e2e")
    rows(page, "out", "hello-e2e").first.wait_for(timeout=timeout_ms(10))
    rows(page, "in", "hello-e2e").first.wait_for(timeout=timeout_ms(10))
    eventually(
        lambda: (int_text(page, ".iws-sent"), int_text(page, ".iws-received")) == (1, 1),
        5,
        "one sent, one received",
        interval=0.1,
    )
    assert page.locator(".iws-send-error").first.inner_text().strip() == ""

    # Enter in the textarea sends too (and is not swallowed by JupyterLab's
    # notebook shortcuts).
    send(page, "enter-e2e", enter=True)
    rows(page, "in", "enter-e2e").first.wait_for(timeout=timeout_ms(10))

    # Exactly two each way: a send box that sent twice would show 3 or 4.
    idx = run_cell(
        page,
        name,
        'print("ECHO", echo.received, "SENT", ws.sent, "RECEIVED", ws.received, '
        '"DATA", [m.data for m in ws.messages])',
    )
    m = wait_for_cell_output(page, name, idx, r"ECHO (\d+) SENT (\d+) RECEIVED (\d+) DATA (.*)")
    assert m.group(1, 2, 3) == ("2", "2", "2"), m.group(0)
    assert m.group(4) == str(["hello-e2e", "hello-e2e", "enter-e2e", "enter-e2e"]), m.group(0)
    eventually(
        lambda: (int_text(page, ".iws-sent"), int_text(page, ".iws-received")) == (2, 2),
        5,
        "the page shows two sent, two received",
        interval=0.1,
    )
    for text in ("hello-e2e", "enter-e2e"):
        assert rows(page, "out", text).count() == rows(page, "in", text).count() == 1, text


def test_incoming_data_is_text_not_html(page, notebook_runner):
    name = notebook_runner(ECHO_CELLS, ui="lab")
    wait_open(page, name)

    payload = '<b id="pwned">x</b>'
    send(page, payload)
    echoed = rows(page, "in", payload)
    echoed.first.wait_for(timeout=timeout_ms(10))
    assert payload in echoed.first.locator(".iws-text").inner_text()
    assert page.locator("#pwned").count() == 0, "echoed HTML was rendered as markup"
    assert page.locator(".iws-log b").count() == 0


def test_view_keeps_updating_while_a_cell_blocks(page, notebook_runner):
    name = notebook_runner(TICKER_CELLS, ui="lab")
    wait_open(page, name)
    assert_ticker_live(page)

    idx = run_cell(
        page, name, "import time; time.sleep(5); print('SLEPT', ws.received)", wait=False
    )
    # The running cell's prompt reads [*] until it ends.
    prompt = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(idx).locator(".jp-InputPrompt")
    prompt.filter(has_text="*").wait_for(timeout=timeout_ms(5))
    first = int_text(page, ".iws-received")
    page.wait_for_timeout(1500)
    second = int_text(page, ".iws-received")
    assert "*" in prompt.inner_text(), "the blocking cell ended before the second reading"
    assert second >= first + 30, f"the view froze while the cell blocked: {first} -> {second}"
    m = wait_for_cell_output(page, name, idx, r"SLEPT (\d+)")
    assert int(m.group(1)) >= second


def test_fast_stream_never_exceeds_the_iopub_rate_limit(page, notebook_runner, jupyter_server):
    cells = [
        "import ipywebsockets as iws, time",
        "srv = iws.TickerServer(rate=20000).start()",
        "ws = iws.WebSocket(srv.url)",
        "ws",
        "time.sleep(5); print('STREAMED', ws.received)",
    ]
    name = notebook_runner(cells, ui="lab")
    m = wait_for_cell_output(page, name, 4, r"STREAMED (\d+)", within=30)
    assert int(m.group(1)) > 10_000, f"not a fast stream: {m.group(0)}"
    assert int_text(page, ".iws-received") > 10_000
    log = jupyter_server.started["lab"].log_path.read_text(errors="replace")
    assert "IOPub message rate exceeded" not in log
    assert "rate exceeded" not in page.locator(".jp-Notebook").inner_text()
