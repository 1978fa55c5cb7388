"""What each connection attempt is made with: the URL, the handshake headers and the proxy.

``url=`` and ``headers=`` may be callables (sync or async) so that a signed URL
or a rotating token is fresh for every attempt: :class:`Credentials` evaluates
them before each one, off the I/O loop (a sync callable runs on a worker
thread; what an async one returns is awaited on the I/O loop), at most
``open_timeout`` seconds. Their values stay in the kernel's memory: never
synced, saved or logged (docs/secrets.md).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from ._reasons import check_url

__all__ = ["PROXY_SCHEMES", "CredentialError", "Credentials", "check_proxy", "shown_url"]

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h", "socks4", "socks4a")
UrlLike = str | Callable[[], Any]
HeadersLike = Mapping[str, str] | Callable[[], Any] | None


class CredentialError(Exception):
    """A ``url=`` or ``headers=`` callable failed or returned something unusable."""


def check_proxy(proxy: object) -> str | bool | None:
    """``proxy=`` checked: True (the environment's), None/False (direct) or a proxy URL.

    Raises:
        ValueError: not a usable proxy URL, with what to pass instead.
        ImportError: a SOCKS proxy without python-socks installed.
    """
    if proxy is True or proxy is None or proxy is False:
        return None if proxy is False else proxy
    if not isinstance(proxy, str):
        raise TypeError(
            f"proxy must be a URL such as 'http://127.0.0.1:3128' or 'socks5://host:1080', "
            f"True (the environment's proxy) or None (direct), not {type(proxy).__name__}"
        )
    parts = urlsplit(proxy)
    if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
        raise ValueError(
            f"proxy {proxy.split('@')[-1]!r} is not a proxy URL: write it as "
            f"SCHEME://HOST:PORT with SCHEME one of {', '.join(PROXY_SCHEMES)}"
        )
    if parts.scheme.startswith("socks"):
        try:
            import python_socks  # type: ignore[import-not-found]  # noqa: F401
        except ImportError:
            raise ImportError(
                "a SOCKS proxy needs the python-socks package: "
                'pip install "ipywebsockets[socks]" (or python-socks[asyncio])'
            ) from None
    return proxy


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def shown_url(url: UrlLike) -> str:
    """What texts and the ``url`` trait show for ``url=``: the URL, or the factory's name."""
    return url if isinstance(url, str) else f"<url from {_name(url)}()>"


class Credentials:
    """The URL and headers of the next attempt, and the proxy to reach it through.

    Args:
        url: a ``ws://``/``wss://`` URL, or a callable returning one.
        headers: a mapping, a callable returning one, or None.
        proxy: True (the environment's, but never for loopback hosts), None (direct)
            or a proxy URL (used for every host, loopback too).
    """

    def __init__(self, url: UrlLike, headers: HeadersLike, proxy: str | bool | None) -> None:
        if not callable(url):
            check_url(url)
        if headers is not None and not callable(headers) and not isinstance(headers, Mapping):
            raise TypeError(
                "headers must be a mapping of str to str or a callable returning one, "
                f"not {type(headers).__name__}"
            )
        self._url = url
        self._headers = headers
        self.proxy = proxy
        self.url = url if isinstance(url, str) else ""  # the last URL used (for texts)
        self.header_names: frozenset[str] = (
            frozenset(name.lower() for name in headers if isinstance(name, str))
            if isinstance(headers, Mapping)
            else frozenset()
        )

    @property
    def refreshable(self) -> bool:
        """Whether another evaluation could give other credentials (a callable is involved)."""
        return callable(self._url) or callable(self._headers)

    @property
    def shown_url(self) -> str:
        """The URL for the ``url`` trait before any attempt: the URL, or the factory's name."""
        return shown_url(self._url)

    async def evaluate(self, timeout: float) -> tuple[str, dict[str, str] | None]:
        """The URL and headers for the next attempt.

        Raises:
            CredentialError: a callable raised, hung past ``timeout`` or returned a bad value.
        """
        url = self._url
        if callable(url):
            made = url
            url = await _call(made, "url=", timeout)
            try:
                check_url(url)
            except ValueError as exc:
                raise CredentialError(
                    f"url= {_name(made)}() returned no usable URL: {exc}"
                ) from None
            self.url = url
        headers = self._headers
        if callable(headers):
            factory = headers
            headers = await _call(factory, "headers=", timeout)
            if headers is not None and not isinstance(headers, Mapping):
                raise CredentialError(
                    f"headers= {_name(factory)}() returned a {type(headers).__name__}; "
                    "it must return a mapping of str to str"
                )
        if headers is not None:
            bad = [k for k, v in headers.items() if not (isinstance(k, str) and isinstance(v, str))]
            if bad:
                raise CredentialError(
                    f"the headers {bad!r} are not str: str; every header name and value "
                    "must be a str"
                )
            self.header_names = frozenset(name.lower() for name in headers)
        return url, dict(headers) if headers else None

    def proxy_for(self, url: str) -> str | Literal[True] | None:
        """What websockets' ``connect(proxy=)`` gets for ``url``."""
        if self.proxy is True:
            host = urlsplit(url).hostname or ""
            if host in ("127.0.0.1", "localhost", "::1") or host.startswith("127."):
                return None  # never send loopback traffic through the environment's proxy
        return self.proxy or None


async def _call(fn: Callable[[], Any], what: str, timeout: float) -> Any:
    """``fn()`` on a worker thread; an awaitable result is awaited here (the I/O loop)."""
    loop = asyncio.get_running_loop()
    try:
        value = await asyncio.wait_for(loop.run_in_executor(None, fn), timeout)
        if inspect.isawaitable(value):
            value = await asyncio.wait_for(value, timeout)
    except (TimeoutError, asyncio.TimeoutError):
        raise CredentialError(
            f"{what} {_name(fn)}() did not return within {timeout:g} s (open_timeout)"
        ) from None
    except Exception as exc:
        raise CredentialError(f"{what} {_name(fn)}() raised {type(exc).__name__}: {exc}") from exc
    return value
