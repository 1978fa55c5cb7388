"""Exceptions raised by ipywebsockets.

Every error the package raises derives from :class:`WebSocketError`::

    WebSocketError
     ├── InvalidURL (also ValueError)
     ├── ConnectionFailed (also ConnectionError)
     ├── ConnectionClosed (also ConnectionError)
     ├── SendQueueFull
     └── RemoteError (the server answered a request with an error)

plus :class:`IPyWebSocketsWarning` for warnings. Timeouts raise the built-in
:class:`TimeoutError`; values that cannot be sent raise :class:`TypeError`.
"""

from __future__ import annotations

__all__ = [
    "ConnectionClosed",
    "ConnectionFailed",
    "FrontendUnavailable",
    "IPyWebSocketsWarning",
    "InvalidURL",
    "RemoteError",
    "SendQueueFull",
    "WebSocketError",
]


class WebSocketError(Exception):
    """Base class of every exception raised by ipywebsockets."""


class InvalidURL(WebSocketError, ValueError):
    """The URL given is not a ``ws://`` or ``wss://`` URL."""


class ConnectionFailed(WebSocketError, ConnectionError):
    """The connection could not be opened (refused, unknown host, HTTP error, TLS...)."""


class ConnectionClosed(WebSocketError, ConnectionError):
    """The connection ended for good and no unread message is left.

    Attributes:
        code: the close code, or ``None`` when no close frame was exchanged.
        reason: the close reason.
    """

    def __init__(self, message: str, code: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class FrontendUnavailable(WebSocketError):
    """Browser mode: no browser runs the connection, or its messages cannot reach this cell.

    Raised when no front end has the widget (headless execution, a closed
    notebook) or when a blocking wait could never be served because the front
    end delivers the browser's messages only between cells.
    """


class SendQueueFull(WebSocketError):
    """Too many messages are waiting to be sent while the connection is not open."""


class RemoteError(WebSocketError):
    """The server answered a call with an error (a JSON-RPC 2.0 error object).

    Attributes:
        code: the error's ``code`` (JSON-RPC: -32601 method not found, -32602 invalid
            params, -32603 internal error, -32000 to -32099 server errors).
        message: the error's ``message``, as the server wrote it.
        data: the error's ``data`` (None when absent).
        method: the method that was called.
    """

    def __init__(self, method: str, code: object, message: str, data: object = None) -> None:
        coded = f" {code}" if code is not None else ""
        super().__init__(f"the server answered {method!r} with error{coded}: {message}")
        self.method = method
        self.code = code
        self.message = message
        self.data = data


class IPyWebSocketsWarning(UserWarning):
    """Warnings issued by ipywebsockets (for example: unread messages were evicted)."""
