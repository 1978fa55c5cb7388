"""What ``WebSocket(...)``'s connection arguments mean: checked, then made into a transport.

Each mode has its own :class:`~..transport.Transport`: the kernel's
:class:`~..client.Connection`, the browser's :class:`~.browser.BrowserLink`,
or a :class:`~..replay.ReplayConnection` made by ``iws.replay()``. Nothing
here keeps state; secrets (``headers``, ``ssl``) go to the transport only.
"""

from __future__ import annotations

import ssl as ssl_module
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..client import Backoff, Connection
from ..credentials import check_proxy
from ..replay import ReplayConnection
from ..transport import Transport
from .browser import BrowserLink, Post
from .derived import DerivedLink
from .stream import Stream

__all__ = ["MODES", "check_persist", "make_transport"]

MODES = ("kernel", "browser")


def make_transport(
    url: str | Callable[[], Any],
    mode: str,
    stream: Stream,
    post: Post,
    *,
    replaying: ReplayConnection | DerivedLink | None,
    protocols: Sequence[str],
    headers: Mapping[str, str] | Callable[[], Any] | None,
    proxy: str | bool | None,
    reconnect: bool | Backoff,
    send_queue: int,
    callback_queue: int,
    ssl: ssl_module.SSLContext | None,
    **kernel_options: Any,
) -> Transport:
    """The transport for ``mode``, after checking every argument (nothing is opened).

    Raises:
        ValueError, TypeError: an argument that cannot work, with what to pass instead.
    """
    if replaying is None and mode not in MODES:
        raise ValueError(f"mode must be 'kernel' or 'browser', not {mode!r}")
    if mode == "browser" and callable(url):
        raise ValueError(
            "url= cannot be a callable with mode='browser': the page opens the socket and "
            "needs the URL itself. Call your function and pass its result, or use mode='kernel'"
        )
    if mode == "browser" and (headers or callable(headers)):
        raise ValueError(
            "headers= cannot be used with mode='browser': browsers do not let pages set "
            "WebSocket handshake headers. Pass credentials in the URL or a cookie the "
            "browser already has, offer protocols=, or use mode='kernel'"
        )
    if mode == "browser" and ssl is not None:
        raise ValueError(
            "ssl= cannot be used with mode='browser': the browser checks certificates "
            "against its own trust store; use mode='kernel' for a private CA"
        )
    if mode == "browser" and proxy is not True:
        raise ValueError(
            "proxy= cannot be used with mode='browser': the browser reaches servers through "
            "its own proxy settings; leave proxy= out, or use mode='kernel'"
        )
    proxy = check_proxy(proxy)
    if isinstance(protocols, str):
        raise TypeError(f"protocols must be a list of str, not a str: use [{protocols!r}]")
    if headers is not None and not isinstance(headers, Mapping) and not callable(headers):
        raise TypeError(
            "headers must be a mapping of str to str, or a callable returning one (called "
            f"before every connection attempt), not {type(headers).__name__}"
        )
    for name, value in (("send_queue", send_queue), ("callback_queue", callback_queue)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    backoff = Backoff() if reconnect is True else (reconnect or None)
    if backoff is not None and not isinstance(backoff, Backoff):
        raise TypeError(f"reconnect must be True, False or a Backoff, not {reconnect!r}")
    if replaying is not None:
        replaying.events = stream
        return replaying
    if mode == "browser":
        assert isinstance(url, str)  # refused above
        return BrowserLink(
            url,
            stream,
            post,
            protocols=list(protocols),
            reconnect=backoff,
            send_queue=send_queue,
            max_size=kernel_options.get("max_size", 2**20),
            open_timeout=kernel_options.get("open_timeout", 10.0),
        )
    return Connection(
        url,
        stream,
        protocols=list(protocols),
        headers=headers,
        proxy=proxy,
        reconnect=backoff,
        send_queue=send_queue,
        ssl=ssl,
        **kernel_options,
    )


def check_persist(persist: object, persist_sent: object = False) -> int:
    """``persist`` checked: how many messages the saved notebook keeps (docs/secrets.md).

    Raises:
        ValueError, TypeError: ``persist`` is not an int >= 0, or ``persist_sent`` not a bool.
    """
    if not isinstance(persist, int) or isinstance(persist, bool) or persist < 0:
        raise ValueError(f"persist must be an int >= 0, got {persist!r}")
    if not isinstance(persist_sent, bool):
        raise TypeError(f"persist_sent must be True or False, got {persist_sent!r}")
    return persist
