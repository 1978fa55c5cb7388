"""A derived source (ws.filter / ws.map) rendered in a real JupyterLab: its own view, a Chart."""

from __future__ import annotations

import pytest
from iws_e2e_harness import run_cell, wait_for_cell_output, wait_for_text, wait_visible

from timing import eventually

pytestmark = pytest.mark.e2e

CELLS = [
    "import ipywebsockets as iws",
    "market = iws.MarketServer(rate=20).start()",
    "ws = iws.WebSocket(market.url, connect=False)\n"
    "ws.on_open(lambda s: s.send({'op': 'subscribe', 'symbols': ['ABC', 'XYZ']}))\n"
    "_ = ws.connect()",
    "abc = ws.filter(lambda m: m.json().get('symbol') == 'ABC')\nabc",
    "iws.Chart(ws.map(lambda m: {'price': m.json()['price']} if 'price' in m.text() else {}),"
    " 'price')",
]


def test_a_filtered_source_shows_only_its_messages_and_ends_with_its_socket(page, notebook_runner):
    name = notebook_runner(CELLS, ui="lab")
    wait_visible(page, name, ".iws-widget", 20)
    wait_for_text(page, ".iws-status", ("open",), 15)
    widget = page.locator(".iws-widget").first

    def abc_rows() -> list[str]:
        return widget.locator(".iws-row .iws-text").all_inner_texts()

    eventually(lambda: len(abc_rows()) >= 5, 15, "five rows in the derived view", interval=0.2)
    assert all('"symbol":"ABC"' in text for text in abc_rows()), abc_rows()
    wait_visible(page, name, ".iws-chart canvas", 15)
    idx = run_cell(
        page,
        name,
        "ws.close()\n"
        "import time\n"
        "for _ in range(200):\n    if abc.status == 'closed': break\n    time.sleep(0.05)\n"
        "print('DERIVED', abc.status, abc.received > 4)",
    )
    wait_for_cell_output(page, name, idx, r"DERIVED closed True")
    wait_for_text(page, ".iws-status", ("closed",), 15)
