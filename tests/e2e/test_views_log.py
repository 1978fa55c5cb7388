"""The Log in a real JupyterLab: rows, filter, pause, expand (JSON, hex), copy, virtualisation.

One notebook per test; each checks several things (a JupyterLab round trip
costs about 10 s). DOM contract: ``.iws-log`` (the scroller) > ``.iws-rows`` >
``.iws-row[data-dir][data-seq][data-kind]`` > ``.iws-text``; toolbar
``.iws-filter-input``, ``.iws-filter-regex``, ``.iws-filter-dir``,
``.iws-filter-kind``, ``.iws-pause-button``, ``.iws-paused``, ``.iws-log-count``;
detail pane ``.iws-detail[data-state]`` > ``.iws-detail-body``, ``.iws-copy-button``.
"""

from __future__ import annotations

import re

import pytest
from iws_e2e_harness import (
    echo_cells,
    int_text,
    run_cell,
    wait_for_cell_output,
    wait_open,
)

from timing import eventually, timeout_ms

pytestmark = pytest.mark.e2e


def shown_texts(scope) -> list[str]:
    return scope.locator(".iws-row:visible .iws-text").all_inner_texts()


def wait_rows(scope, predicate, what: str) -> list[str]:
    texts: list[str] = []

    def shown() -> bool:
        nonlocal texts
        texts = shown_texts(scope)
        return bool(predicate(texts))

    eventually(shown, 10, lambda: f"{what}: the log shows {texts}", interval=0.1)
    return texts


# Browser mode: the rows come from the page's own socket, the detail pane from them
# (the kernel only when this browser no longer holds the message).
@pytest.mark.parametrize("mode", ["kernel", "browser"])
def test_log_filter_expand_hex_copy_pause(page, notebook_runner, mode):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    name = notebook_runner(echo_cells(mode), ui="lab")
    wait_open(page, name)
    idx = run_cell(
        page,
        name,
        'ws.send({"greeting": "hello", "n": [1, 2]})\n'
        'ws.send("plain words")\n'
        "ws.send(bytes(range(40)))\n"
        'ws.wait_for(lambda m: m.kind == "binary", timeout=10)\n'
        'print("SENT", ws.received, ws.sent)',
    )
    wait_for_cell_output(page, name, idx, r"SENT 3 3")
    widget = page.locator(".iws-widget").first
    texts = wait_rows(widget, lambda t: len(t) == 6, "6 rows (3 out, 3 echoed)")
    assert texts[0] == '{"greeting":"hello","n":[1,2]}', texts

    # Filter: substring (case-insensitive), regex, direction, kind.
    box = widget.locator(".iws-filter-input")
    box.fill("WORDS")
    wait_rows(widget, lambda t: t == ["plain words", "plain words"], "substring filter")
    assert widget.locator(".iws-log-count").inner_text() == "2 of 6"
    widget.locator(".iws-filter-regex").check()
    box.fill(r"^\{.*hello")
    wait_rows(widget, lambda t: len(t) == 2 and all("hello" in x for x in t), "regex filter")
    box.fill("(")
    assert "invalid regex" in widget.locator(".iws-filter-error").inner_text()
    box.fill("")
    widget.locator(".iws-filter-dir").select_option("in")
    widget.locator(".iws-filter-kind").select_option("binary")
    wait_rows(widget, lambda t: len(t) == 1 and t[0].startswith("00 01 02"), "in + binary")
    binary_row = widget.locator('.iws-row[data-dir="in"][data-kind="binary"]')
    assert binary_row.count() == 1

    # Expand the binary row: a hex + ASCII dump, fetched from the kernel by seq.
    binary_row.click()
    detail = widget.locator('.iws-detail[data-state="ready"]')
    detail.wait_for(timeout=timeout_ms(10))
    dump = detail.locator(".iws-detail-body").inner_text()
    assert dump.splitlines()[0].startswith("00000000  00 01 02 03 04 05 06 07  08 09"), dump
    assert dump.splitlines()[2].startswith("00000020  20 21 22 23"), dump
    assert "| !\"#$%&'|" in dump, dump
    widget.locator(".iws-copy-button").click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == " ".join(f"{b:02x}" for b in range(40)), copied

    # Expand a JSON row: pretty-printed.
    widget.locator(".iws-filter-kind").select_option("json")
    widget.locator('.iws-row[data-dir="in"][data-json="true"]').click()
    widget.locator('.iws-detail[data-kind="text"][data-state="ready"]').wait_for(
        timeout=timeout_ms(10)
    )
    pretty = widget.locator(".iws-detail-body").inner_text()
    assert pretty == '{\n  "greeting": "hello",\n  "n": [\n    1,\n    2\n  ]\n}', pretty
    widget.locator(".iws-copy-button").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == (
        '{"greeting":"hello","n":[1,2]}'
    )
    widget.locator(".iws-filter-kind").select_option("")
    widget.locator(".iws-filter-dir").select_option("")

    # Pause: the list stays as it is, new messages are counted.
    widget.locator(".iws-pause-button").click()
    idx = run_cell(page, name, "for i in range(5): ws.send(f'after-{i}')\nprint('MORE')")
    wait_for_cell_output(page, name, idx, "MORE")
    page.wait_for_function(
        "() => /paused · 10 new/.test(document.querySelector('.iws-paused').textContent)",
        timeout=timeout_ms(10),
    )
    assert not any(t.startswith("after-") for t in shown_texts(widget))
    # The counter is a trait: it may reach the page a flush after the rows that made it.
    eventually(
        lambda: int_text(page, ".iws-received") == 8,
        10,
        lambda: f".iws-received shows {int_text(page, '.iws-received')}, not 8",
        interval=0.1,
    )
    widget.locator(".iws-pause-button").click()
    wait_rows(widget, lambda t: t[-1] == "after-4" and len(t) == 16, "resumed")


def test_log_is_virtualised_and_follows_a_fast_stream(page, notebook_runner):
    name = notebook_runner(
        [
            "import ipywebsockets as iws, time",
            "srv = iws.TickerServer(rate=10000).start()",
            "ws = iws.WebSocket(srv.url, history=200)",
            "ws",
            "m = iws.Metrics(ws)\nm",
            "time.sleep(3)\n"  # 3 s of a fast stream
            "rtt = ws.ping()\n"
            "deadline = time.monotonic() + 10\n"
            "while (m.latency is None or abs(m.latency - rtt) >= 1e-5) "
            "and time.monotonic() < deadline:\n"
            "    time.sleep(0.02)\n"
            # No pause after close: with one, rows lost around the close would be hidden.
            # (Without it, the top row was ~200 seqs too old in 4 of 5 runs under heavy
            # load once; 8 of 8 passed after the publisher's lock fix, 3 with 2 CPU hogs.)
            "ws.close(); ws.messages\n"
            "print('DONE', ws.received, ws.evicted, m.gap_mean_ms is not None,\n"
            "      abs((m.latency or 0) - rtt) < 1e-5)",
        ],
        ui="lab",
    )
    m = wait_for_cell_output(page, name, 5, r"DONE (\d+) (\d+) (\w+) (\w+)", within=30)
    assert m.group(3) == m.group(4) == "True", m.group(0)
    received = int(m.group(1))
    assert received > 5000, m.group(0)
    widget = page.locator(".iws-widget").first
    count = widget.locator(".iws-log-count")
    eventually(
        lambda: int(re.sub(r"[^0-9]", "", count.inner_text())) >= min(received, 10_000),
        10,
        lambda: (
            f"{count.inner_text()!r}, {widget.locator('.iws-omitted').inner_text()!r}, "
            f"{received} received"
        ),
        interval=0.2,
    )
    # Only about a viewport of rows is in the DOM, the newest one at the bottom.
    assert widget.locator(".iws-row").count() < 60
    # The last flush after the close may still be on its way: wait for the newest row.
    last = widget.locator(".iws-row").last
    eventually(
        lambda: int(last.get_attribute("data-seq") or 0) == received,
        10,
        lambda: (
            f"the newest row at the bottom: {last.get_attribute('data-seq')}, {received} received"
        ),
        interval=0.1,
    )

    # Scrolled to the top: the oldest kept row; expanding it asks the kernel, whose
    # history (200) no longer has it. Under load a flush may carry more than
    # FLUSH_ROWS rows' worth and the kernel omits the oldest of them (counted, in the
    # notice): the log then holds 10,000 rows that reach further back than
    # received - kept + 1, never less far.
    widget.locator(".iws-log").evaluate("el => { el.scrollTop = 0; }")
    first = widget.locator(".iws-row:visible").first
    logview = widget.locator(".iws-logview")
    kept = int(re.sub(r"[^0-9]", "", widget.locator(".iws-log-count").inner_text()))
    eventually(
        lambda: (
            int(first.get_attribute("data-seq") or 0)
            == int(logview.get_attribute("data-oldest") or -1)
        ),
        5,
        lambda: (
            f"the oldest kept row at the top: {first.get_attribute('data-seq')}, the log's "
            f"oldest {logview.get_attribute('data-oldest')}, {received} received, "
            f"{kept} kept, omitted: {widget.locator('.iws-omitted').inner_text()!r}"
        ),
        interval=0.1,
    )
    oldest = int(logview.get_attribute("data-oldest") or 0)
    assert 0 < oldest <= received - kept + 1, (oldest, received, kept)
    omitted = int(re.sub(r"[^0-9]", "", widget.locator(".iws-omitted").inner_text()))
    assert omitted == received - kept, (omitted, received, kept)
    first.click()
    widget.locator('.iws-detail[data-state="error"]').wait_for(timeout=timeout_ms(10))
    note = widget.locator(".iws-detail-note").inner_text()
    assert "no longer in the kernel's history" in note, note

    # The metrics strip: inter-arrival times, the ping's round trip, the status timeline;
    # the same in the standalone Metrics widget.
    for scope in (".iws-widget >> nth=0", ".iws-metrics-widget"):
        strip = page.locator(scope).locator(".iws-metrics")
        gap = strip.locator('[data-metric="gap"] .iws-metric-value').inner_text()
        assert re.fullmatch(r"[\d.]+ ms · p95 [\d.]+ ms", gap), gap
        latency = strip.locator('[data-metric="latency"] .iws-metric-value')
        assert re.fullmatch(r"[\d.]+ ms", latency.inner_text()), latency.inner_text()
        statuses = strip.locator(".iws-timeline-item").evaluate_all(
            "items => items.map(i => i.dataset.status)"
        )
        assert statuses[-3:] == ["open", "closing", "closed"] or statuses[-2:] == [
            "open",
            "closed",
        ], statuses
    rate = page.locator('.iws-metrics-widget [data-metric="rate"] .iws-metric-value').inner_text()
    assert rate.endswith("/s"), rate
