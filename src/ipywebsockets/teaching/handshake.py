"""The opening handshake of a kernel-mode WebSocket, as it went over the socket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets

from ..frames import accept_steps
from ..wiretap import Capture
from ._base import TeachingWidget, redact_head

if TYPE_CHECKING:
    from ..widget import WebSocket

__all__ = ["Handshake", "explain_status"]

_WHY = {
    101: "the server agreed: from here on, this TCP connection carries WebSocket frames",
    400: (
        "the server found the Upgrade request malformed (a missing or wrong Sec-WebSocket-* "
        "header, or an unsupported version); its body says which"
    ),
    401: "the server wants credentials before it upgrades: send them as a header",
    403: (
        "the server refused this client. Servers check the Origin header (so that another "
        "site's page cannot connect with the user's cookies), credentials or the path; "
        "the body below usually says which"
    ),
    404: "there is no WebSocket endpoint at this path: check the URL",
    426: "the server wants a different WebSocket version (Sec-WebSocket-Version)",
}


def explain_status(status: int) -> str:
    """One sentence on what an HTTP status means as an answer to an Upgrade request."""
    if status in _WHY:
        return _WHY[status]
    if 500 <= status < 600:
        return "the server failed or is overloaded; trying again later may help"
    return "the server did not switch protocols: anything but 101 ends the handshake"


class Handshake(TeachingWidget):
    """The real HTTP Upgrade request, the server's answer and the Accept check, step by step.

    ``Handshake(ws)`` enables the wire tap of ``ws`` (a kernel-mode
    :class:`~ipywebsockets.WebSocket`) and shows the latest connection
    attempt, refused ones included. Create the socket with
    ``inspect=True`` to catch its first handshake byte for byte; one opened
    before the tap is shown as websockets parsed it (the view says so).
    Secret headers (``Authorization``, cookies, ``Sec-WebSocket-Protocol``,
    which some APIs use to carry tokens, names with a secret word and every
    header passed in ``headers=``) and URL tokens are redacted in the view and
    the notebook (:mod:`ipywebsockets.redact`).
    """

    url = traitlets.Unicode("").tag(sync=True)
    state = traitlets.Unicode("waiting").tag(sync=True)  # waiting, open, refused, failed
    source = traitlets.Unicode("").tag(sync=True)
    attempt = traitlets.Int(0).tag(sync=True)
    request_line = traitlets.Unicode("").tag(sync=True)
    request_headers: traitlets.List[list[str]] = traitlets.List().tag(sync=True)
    response_line = traitlets.Unicode("").tag(sync=True)
    response_headers: traitlets.List[list[str]] = traitlets.List().tag(sync=True)
    response_body = traitlets.Unicode("").tag(sync=True)
    status_code = traitlets.Int(0).tag(sync=True)
    explanation = traitlets.Unicode("").tag(sync=True)
    accept = traitlets.Dict().tag(sync=True)
    subprotocol = traitlets.Unicode("").tag(sync=True)
    extensions = traitlets.Unicode("").tag(sync=True)
    redacted: traitlets.List[str] = traitlets.List().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, ws: WebSocket, **kwargs: Any) -> None:
        self._ws = ws
        self._tap = ws.inspect()
        # Whatever the user passed as headers= may be a secret: never shown, never saved.
        self._secret = ws._transport.secret_headers()
        super().__init__(_view="handshake", url=ws.url, **kwargs)
        self._tap.add_listener(self._on_tap)
        ws.observe(self._on_ws, names=["status", "error"])
        with self._sync_lock:
            self._flush()

    def _on_tap(self, capture: Capture, frame: object) -> None:
        if frame is None:  # a handshake head passed
            self._mark_dirty()

    def _on_ws(self, change: dict[str, Any]) -> None:
        self._mark_dirty()

    def _flush(self) -> None:
        capture = self._tap.current
        request = capture.request_head if capture else None
        response = capture.response_head if capture else None
        source = "wire"
        conn = self._ws.handshake
        if response is None and conn is not None and conn.response is not None:
            # Opened before the tap: websockets' parsed copy (the request bytes are exact).
            request, response = conn.request.serialize(), conn.response.serialize()  # type: ignore[union-attr]
            source = "parsed"
        values: dict[str, Any] = {"error": self._ws.error, "source": source if response else ""}
        values["attempt"] = capture.index if capture else 0
        redacted: list[str] = []
        if request is not None:
            line, headers, _, names = redact_head(request, self._secret)
            values.update(request_line=line, request_headers=headers)
            redacted += names
        if response is not None:
            line, headers, body, names = redact_head(response, self._secret)
            redacted += names
            status = int(line.split(" ")[1]) if len(line.split(" ")) > 1 else 0
            values.update(
                response_line=line,
                response_headers=headers,
                response_body=body[:2000],
                status_code=status,
                explanation=explain_status(status),
            )
            values.update(self._negotiated(headers, request))
            values["state"] = "open" if status == 101 and not self._ws.error else "refused"
            if status == 101 and self._ws.error:
                values["explanation"] = self._ws.error  # e.g. no subprotocol accepted
        else:
            values["state"] = "failed" if self._ws.error else "waiting"
            if self._ws.error:
                values["explanation"] = self._ws.error
        values["redacted"] = sorted(set(redacted))
        for name, value in values.items():
            if getattr(self, name) != value:
                self.set_trait(name, value)

    @staticmethod
    def _negotiated(response: list[list[str]], request: bytes | None) -> dict[str, Any]:
        got = {k.lower(): v for k, v in response}
        key = ""
        if request is not None:
            for line in request.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "sec-websocket-key":
                    key = value.strip()
        out: dict[str, Any] = {
            "subprotocol": got.get("sec-websocket-protocol", ""),
            "extensions": got.get("sec-websocket-extensions", ""),
            "accept": {},
        }
        if key:
            steps = accept_steps(key)
            received = got.get("sec-websocket-accept", "")
            out["accept"] = {
                "key": steps.key,
                "concatenated": steps.concatenated,
                "sha1_hex": steps.sha1_hex,
                "expected": steps.accept,
                "received": received,
                "ok": bool(received) and received == steps.accept,
            }
        return out
