"""A standalone ``iws.Log(ws)`` takes its rows from those the page has for the socket.

The page receives each message once (the socket's ``frames``, or in browser mode
its own socket); the log starts at ``backlog`` messages before it was made, gets
the older ones from the kernel's answer to its hello, and holds every later one
exactly once, in order. DOM contract as in test_views_log.py; the standalone log
is ``.iws-log-widget``.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from iws_e2e_harness import (
    echo_cells,
    run_cell,
    wait_for_cell_output,
    wait_open,
    wait_visible,
)

from timing import eventually, timeout_ms

pytestmark = pytest.mark.e2e


def rows(scope) -> list[list]:
    """[seq, dir, text] of every row the log draws."""
    return scope.locator(".iws-row:visible").evaluate_all(
        "rows => rows.map(r => [Number(r.dataset.seq), r.dataset.dir,"
        " r.querySelector('.iws-text').textContent.trim()])"
    )


@pytest.mark.parametrize("mode", ["kernel", "browser"])
def test_standalone_log_follows_the_socket_once_from_its_backlog(page, notebook_runner, mode):
    name = notebook_runner(echo_cells(mode), ui="lab")
    wait_open(page, name)
    idx = run_cell(
        page,
        name,
        "for i in range(3): ws.send(f'pre-{i}')\n"
        "ws.wait_for(lambda m: m.data == 'pre-2', timeout=10)\n"
        "print('PRE', ws.received, ws.sent)",
    )
    wait_for_cell_output(page, name, idx, r"PRE 3 3")
    # Messages 1-6 so far: the log starts 2 before the next one, at seq 5.
    idx = run_cell(page, name, "log = iws.Log(ws, backlog=2)\nprint('FIRST', log._first)\nlog")
    wait_for_cell_output(page, name, idx, r"FIRST 5")
    wait_visible(page, name, ".iws-log-widget .iws-log", 20)
    idx = run_cell(
        page,
        name,
        "for i in range(20): ws.send(f'post-{i}')\n"
        "ws.wait_for(lambda m: m.data == 'post-19', timeout=10)\n"
        "import json\n"
        "print('POST', ws.received, ws.sent, json.dumps(\n"
        "    [[m.seq, m.direction, m.data] for m in ws.messages if m.seq >= 5]))",
    )
    truth = json.loads(wait_for_cell_output(page, name, idx, r"POST 23 23 (.*)").group(1))
    assert [seq for seq, _, _ in truth] == list(range(5, 47)), truth

    solo = page.locator(".iws-log-widget")
    got: list[list] = []

    def drawn_from_the_start() -> bool:
        nonlocal got
        solo.locator(".iws-log").evaluate("el => { el.scrollTop = 0; }")
        got = rows(solo)
        count = solo.locator(".iws-log-count").inner_text()
        return bool(count.replace(",", "").strip().startswith("42") and got and got[0][0] == 5)

    with contextlib.suppress(AssertionError):  # the asserts below say what is wrong
        eventually(drawn_from_the_start, 10, "42 rows, the first one seq 5", interval=0.2)
    assert solo.locator(".iws-log-count").inner_text().replace(",", "").startswith("42"), (
        solo.locator(".iws-log-count").inner_text(),
        got,
    )
    # The first rows drawn (a viewport) are the log's first messages, each once, in order.
    assert got == truth[: len(got)], (got, truth)
    assert solo.locator(".iws-omitted").is_hidden(), solo.locator(".iws-omitted").inner_text()

    # The bottom: the newest rows, the same as the socket's own log shows.
    solo.locator(".iws-log").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_timeout(300)
    tail = rows(solo)
    assert tail == truth[-len(tail) :], (tail, truth)
    main = page.locator(".iws-widget").first
    main_tail = rows(main)
    assert main_tail[-len(tail) :] == tail[-len(main_tail) :], (main_tail, tail)

    # A row of the standalone log expands to the whole message.
    seq, _, text = truth[-1]
    solo.locator(f'.iws-row[data-seq="{seq}"]').click()
    detail = solo.locator('.iws-detail[data-state="ready"]')
    detail.wait_for(timeout=timeout_ms(10))
    assert detail.locator(".iws-detail-body").inner_text() == text
