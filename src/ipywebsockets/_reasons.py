"""What users read when something goes wrong: URL checks, close codes, failure reasons.

Pure: no I/O. Every text says what happened and what to do about it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl as ssl_module
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI, ProxyError

from .exceptions import InvalidURL
from .redact import redact_text, redact_url

__all__ = [
    "CLOSE_CODE_NAMES",
    "check_close",
    "check_url",
    "close_of",
    "describe_close",
    "describe_connect_error",
    "describe_lost",
]

CLOSE_CODE_NAMES = {
    1000: "normal closure",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported data",
    1005: "no status received",
    1006: "abnormal closure",
    1007: "invalid payload data",
    1008: "policy violation",
    1009: "message too big",
    1010: "mandatory extension",
    1011: "internal error",
    1012: "service restart",
    1013: "try again later",
    1014: "bad gateway",
    1015: "TLS handshake failure",
}


def check_url(url: str) -> str:
    """Return ``url`` when it is a usable ``ws://`` or ``wss://`` URL.

    Raises:
        InvalidURL: it is not one, with what is wrong and what to pass instead.
    """
    if not isinstance(url, str):
        raise InvalidURL(f"the URL must be a str, got {type(url).__name__}")
    parts = urlsplit(url)
    shown = redact_url(url)  # error messages end up in saved notebooks
    if parts.scheme not in ("ws", "wss"):
        hint = ""
        if parts.scheme in ("http", "https"):
            scheme = "ws" if parts.scheme == "http" else "wss"
            hint = f"; did you mean {scheme}://{shown.split('://', 1)[1]}?"
        raise InvalidURL(f"{shown!r} is not a ws:// or wss:// URL{hint}")
    if not parts.hostname:
        raise InvalidURL(f"{shown!r} has no host; write it as ws://HOST[:PORT]/PATH")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidURL(f"{shown!r} has an invalid port: {exc}") from None
    return url


# Codes an endpoint may put in a close frame (RFC 6455, 7.4): 1005, 1006 and 1015
# only report what happened, and 1004 and the rest below 3000 are reserved.
_SENDABLE_CODES = frozenset({1000, 1001, 1002, 1003, *range(1007, 1015)})
_REASON_BYTES = 123  # a control frame's payload is at most 125 bytes, 2 of them the code


def check_close(code: object, reason: object) -> None:
    """Refuse a close code or reason that cannot go into a close frame, before anything changes.

    Raises:
        ValueError: the code is not one an endpoint may send, or the reason is not
            at most 123 bytes of UTF-8; the message gives the rule.
    """
    if not isinstance(code, int) or isinstance(code, bool):
        raise ValueError(f"the close code must be an int, got {type(code).__name__}")
    if code not in _SENDABLE_CODES and not 3000 <= code <= 4999:
        name = CLOSE_CODE_NAMES.get(code)
        what = f"{code} ({name}) only reports what happened" if name else f"{code} is reserved"
        raise ValueError(
            f"cannot close with code {code}: {what}; send 1000 (normal closure), "
            "1001-1003 or 1007-1014, or an application code from 3000 to 4999"
        )
    if not isinstance(reason, str):
        raise ValueError(f"the close reason must be a str, got {type(reason).__name__}")
    try:
        size = len(reason.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"the close reason cannot be encoded as UTF-8 ({exc.reason} at index {exc.start}); "
            "remove the lone surrogate"
        ) from None
    if size > _REASON_BYTES:
        raise ValueError(
            f"the close reason is {size} bytes of UTF-8 ({len(reason)} characters); a close "
            f"frame holds at most {_REASON_BYTES}: shorten it"
        )


def describe_close(code: int | None, reason: str) -> str:
    """``1001 (going away): reason`` — a close code made readable."""
    if code is None:
        return "no close frame (the connection dropped)"
    name = CLOSE_CODE_NAMES.get(code, "application code" if 3000 <= code < 5000 else "unknown")
    return f"{code} ({name})" + (f": {reason}" if reason else "")


def describe_connect_error(
    exc: Exception, url: str, options: Mapping[str, Any]
) -> tuple[str, bool]:
    """A readable reason for a failed opening handshake, and whether retrying may help.

    Redacted (:func:`~.redact.redact_text`): websockets' texts quote the URL, and
    the reason becomes the synced ``error`` trait.
    """
    text, retriable = _connect_error(exc, url, options)
    return redact_text(text), retriable


def _connect_error(exc: Exception, url: str, options: Mapping[str, Any]) -> tuple[str, bool]:
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'wss' else 80)}"
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        phrase = exc.response.reason_phrase
        body = (
            exc.response.body.decode("utf-8", "replace").strip()[:200] if exc.response.body else ""
        )
        detail = f" ({body})" if body else ""
        hint = {
            401: "the server wants credentials: pass headers=",
            403: "the server refused this client: check credentials, origin and path",
            404: "there is no WebSocket endpoint at this path: check the URL",
        }.get(status, "check the URL and the server")
        return (
            f"the server answered HTTP {status} {phrase} instead of switching to WebSocket"
            f"{detail}; {hint}",
            status in (500, 502, 503, 504),
        )
    if isinstance(exc, ssl_module.SSLError):
        reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or str(exc)
        return (
            f"TLS handshake with {where} failed: {reason}; check the certificate, "
            "or pass ssl= an SSLContext that trusts it",
            False,
        )
    if isinstance(exc, socket.gaierror):
        return f"unknown host {parts.hostname!r}: {exc.strerror or exc}; check the URL", True
    proxy = options.get("proxy")
    if isinstance(proxy, str) and isinstance(exc, ConnectionRefusedError):
        at = urlsplit(proxy)
        return (
            f"connection refused by the proxy {at.hostname}:{at.port}: no proxy listens there; "
            "check proxy= and that the proxy runs",
            True,
        )
    if isinstance(exc, ConnectionRefusedError):
        return (
            f"connection refused by {where}: no server listens there; "
            "check the URL and that the server runs",
            True,
        )
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):  # distinct before Python 3.11
        return f"no answer from {where} within open_timeout={options['open_timeout']} s", True
    if isinstance(exc, InvalidURI):
        return f"invalid URL: {exc}", False
    if isinstance(exc, ProxyError):
        said = exc.__cause__ or exc  # python-socks' own answer, wrapped by websockets
        return (
            f"the proxy failed to open a tunnel to {where}: {said}; check proxy= (or the "
            "environment's https_proxy/all_proxy) and that the proxy allows this host and port",
            True,
        )
    if isinstance(exc, InvalidHandshake):
        return f"the opening handshake with {where} failed: {exc}", True
    if isinstance(exc, OSError):
        detail = exc.strerror or str(exc) or type(exc).__name__
        if parts.scheme == "wss":
            detail += (
                " during the TLS handshake; check that the server speaks TLS on this port "
                "(or use ws://)"
            )
        return f"cannot connect to {where}: {detail}", True
    return f"cannot connect to {where}: {type(exc).__name__}: {exc}", False


def close_of(ws: ClientConnection) -> tuple[int, str]:
    """The close code and reason that ended ``ws``: the peer's, else ours, else 1006."""
    exc = ws.close_exc
    frame = exc.rcvd or exc.sent
    if frame is None:
        return 1006, ""
    return frame.code, frame.reason


def describe_lost(ws: ClientConnection, options: Mapping[str, Any]) -> str:
    """Why an open connection ended, or "" for a close that needs no explanation."""
    exc = ws.close_exc
    sent = getattr(exc, "sent", None)
    rcvd = getattr(exc, "rcvd", None)
    if sent is not None and sent.code == 1009:
        return (
            f"a message larger than max_size={options['max_size']} bytes arrived; the "
            "connection was closed with 1009 (message too big). Pass a larger max_size= "
            "(or None for no limit)"
        )
    if sent is not None and sent.code == 1011 and "keepalive" in (sent.reason or ""):
        return (
            f"the server did not answer pings within ping_timeout={options['ping_timeout']} s; "
            "the connection was closed with 1011"
        )
    if rcvd is None and sent is None:
        return "the connection dropped without a close frame (1006)"
    if rcvd is not None and rcvd.code not in (1000, 1001):
        return f"the server closed the connection: {describe_close(rcvd.code, rcvd.reason)}"
    if sent is not None and sent.code not in (1000, 1001) and rcvd is None:
        return f"the connection was closed: {describe_close(sent.code, sent.reason)}"
    return ""
