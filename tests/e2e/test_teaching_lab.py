"""The teaching views in a real JupyterLab: they render, and their buttons reach the kernel.

DOM contract: ``.iws-t-handshake`` (``data-state``), ``.iws-t-accept-verdict[data-ok]``,
``.iws-t-http-header[data-name]``, ``.iws-t-inspector`` with ``.iws-t-frame[data-dir]
[data-opcode]``, ``.iws-t-ping`` / ``.iws-t-rtt``, ``.iws-t-anatomy .iws-t-allbytes``,
``.iws-t-polling .iws-t-row-push``, ``.iws-t-closecodes .iws-t-code[data-code][data-current]``.
"""

from __future__ import annotations

import os
import re

import pytest
from iws_e2e_harness import wait_visible

from timing import timeout_ms

pytestmark = pytest.mark.e2e

CELLS = [
    # The secrets are built at run time: the cell's own source must not contain them.
    "import ipywebsockets as iws\n"
    'token, bearer = "-".join(["E2E", "TOKEN"]), "-".join(["E2E", "BEARER"])\n'
    "echo = iws.EchoServer().start()\n"
    'ws = iws.WebSocket(echo.url + "/?token=" + token, '
    'headers={"Authorization": "Bearer " + bearer}, inspect=True)\n'
    'ws.send("hello-e2e")\n'
    "print(ws.recv(timeout=10).data)\n"
    'print("RTT", ws.ping(b"cell-ping", timeout=10))',
    "iws.Handshake(ws)",
    "iws.Inspector(ws)",
    'iws.FrameAnatomy(payload="Hello", mask_key="37 fa 21 3d")',
    "lab = iws.PollingVsPush(events=10, rate=20, interval=0.2)\nlab.run()\nlab",
    "iws.CloseCodes(ws)",
    # A protocol socket (a small codec of the cell's own over the echo server): the
    # Inspector shows each frame's packet, the codec's secret masked both ways.
    "from ipywebsockets.protocols.base import Codec\n"
    "class Echoed(Codec):\n"
    '    name = "echoed"\n'
    "    def __init__(self, secret):\n"
    "        super().__init__()\n"
    "        self.secret, self.secrets = secret, (secret.encode(),)\n"
    "    def connected(self, subprotocol, now):\n"
    '        self._write("login " + self.secret)\n'
    "    def receive(self, data, now):\n"
    '        self._ready() if data.startswith("login ") else self._deliver({"echo": data})\n'
    "    def send(self, payload):\n"
    "        self._write_app(payload)\n"
    "    def outgoing(self, data):\n"
    "        return None\n"
    "    def describe(self, data):\n"
    '        return "ECHOED " + str(data).replace(self.secret, "***")\n'
    'pws = iws.ProtocolSocket(echo.url, Echoed("-".join(["E2E", "PASS"])), inspect=True)\n'
    'pws.send("x1")\n'
    "print(pws.recv(timeout=10).json())\n"
    "iws.Inspector(pws)",
]


def test_handshake_and_inspector_render(page, notebook_runner):
    name = notebook_runner(CELLS, ui="lab")

    # The handshake: request and 101, the Accept check passed, the secret redacted.
    wait_visible(page, name, '.iws-t-handshake[data-state="open"]', 30)
    hs = page.locator(".iws-t-handshake").first
    assert "101 Switching Protocols" in hs.inner_text()
    hs.locator('.iws-t-accept-verdict[data-ok="true"]').wait_for(timeout=timeout_ms(5))
    auth = hs.locator('.iws-t-http-header[data-name="authorization"]').inner_text()
    assert "redacted" in auth
    assert "GET /?token=*** HTTP/1.1" in hs.inner_text()
    html = page.content()
    assert "E2E-TOKEN" not in html and "E2E-BEARER" not in html, "a secret reached the page"

    # The inspector: the text frames and the cell's ping/pong, both directions.
    ins = page.locator(".iws-t-inspector").first
    for direction, opcode in [("out", "text"), ("in", "text"), ("out", "ping"), ("in", "pong")]:
        ins.locator(f'.iws-t-frame[data-dir="{direction}"][data-opcode="{opcode}"]').first.wait_for(
            timeout=timeout_ms(15)
        )
    text_out = ins.locator('.iws-t-frame[data-dir="out"][data-opcode="text"]').first
    text_out.locator("summary").click()
    fields = text_out.locator(".iws-t-fields").inner_text()
    assert "masking key" in fields and "MASK" in fields
    assert text_out.locator('.iws-t-byte[data-field="key"]').count() == 4

    # The ping button: a custom message to the kernel, a new ping on the wire, its RTT.
    pings_before = ins.locator('.iws-t-frame[data-opcode="ping"]').count()
    ins.locator(".iws-t-ping").click()
    page.wait_for_function(
        "() => /pong after [0-9.]+ ms/.test(document.querySelector('.iws-t-rtt').textContent)",
        timeout=timeout_ms(15),
    )
    page.wait_for_function(
        "(n) => document.querySelectorAll('.iws-t-inspector "
        '.iws-t-frame[data-opcode="ping"]\').length > n',
        arg=pings_before,
        timeout=timeout_ms(15),
    )

    # IPYWEBSOCKETS_TEACHING_SCREENSHOTS=DIR pytest tests/e2e -k teaching: pictures of the views.
    if shots := os.environ.get("IPYWEBSOCKETS_TEACHING_SCREENSHOTS"):
        for view in ("handshake", "inspector", "anatomy"):
            page.locator(f".iws-t-{view}").first.screenshot(path=f"{shots}/{view}.png")

    # The playground shows RFC 6455's masked "Hello" and rebuilds when the input changes.
    anatomy = page.locator(".iws-t-anatomy").first
    allbytes = anatomy.locator(".iws-t-built .iws-t-allbytes")
    assert allbytes.inner_text().strip() == "81 85 37 fa 21 3d 7f 9f 4d 51 58"
    anatomy.locator(".iws-t-mask").uncheck()
    page.wait_for_function(
        "() => document.querySelector('.iws-t-built .iws-t-allbytes').textContent"
        ".trim() === '81 05 48 65 6c 6c 6f'",
        timeout=timeout_ms(15),
    )
    anatomy.locator(".iws-t-hexinput").fill("81 05 48 65 6c 6c 6f")
    anatomy.locator(".iws-t-fromclient").check()
    anatomy.locator(".iws-t-decode").click()
    problem = anatomy.locator(".iws-t-decoded .iws-t-problem").first
    problem.wait_for(timeout=timeout_ms(15))
    assert re.search(r"client frame must be masked", problem.inner_text())

    # The lab's measured table, then closing from the close-code table's own control.
    page.locator(".iws-t-polling .iws-t-row-push .iws-t-median").first.wait_for(
        timeout=timeout_ms(15)
    )
    codes = page.locator(".iws-t-closecodes").first
    codes.locator(".iws-t-close-code").select_option("1001")
    # The reason is counted in UTF-8 bytes: 62 "é" are 124 bytes, one too many.
    codes.locator(".iws-t-close-reason").fill("é" * 62)
    assert codes.locator(".iws-t-close-button").is_disabled()
    assert "124 bytes of UTF-8" in codes.locator(".iws-t-closectl-out").inner_text()
    codes.locator(".iws-t-close-reason").fill("bye from the view")
    assert codes.locator(".iws-t-close-button").is_enabled()
    codes.locator(".iws-t-close-button").click()
    codes.locator('.iws-t-code[data-code="1001"][data-current="true"]').wait_for(
        timeout=timeout_ms(15)
    )
    assert "bye from the view" in codes.locator(".iws-t-stats").inner_text()

    # The protocol socket's inspector: packets decoded, the codec's secret nowhere.
    packets = page.locator(".iws-t-inspector").nth(1).locator(".iws-t-packet")
    packets.filter(has_text="ECHOED x1").first.wait_for(timeout=timeout_ms(15))
    shown = packets.all_inner_texts()
    assert shown.count("ECHOED login ***") == 2, shown  # sent, and echoed back
    assert "E2E-PASS" not in page.content(), "the codec's secret reached the page"
