"""Request/response over one socket: ``request`` (any reply shape) and JSON-RPC 2.0 ``call``.

A request registers a :class:`~.claims.Claim` on the stream, sends, and waits
for the first incoming message that matches; that message is its answer and
is not handed to ``recv()`` as well. Every other message flows on as usual,
in order. ``call`` numbers its JSON-RPC ids (from 1, per socket) and matches
replies by id, in a batch reply (a JSON array) too; an error reply raises
:class:`~...exceptions.RemoteError`; notifications (no id) are ordinary messages.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from ..exceptions import RemoteError
from ..message import Message
from ..transport import Transport
from .claims import Claim
from .stream import Stream

__all__ = ["Requests", "rpc_reply"]


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def rpc_reply(value: Any, id_: int) -> dict[str, Any] | None:
    """The JSON-RPC 2.0 response object with ``id_`` in a decoded message, or None."""
    items = value if isinstance(value, list) else (value,)
    for item in items:
        if (
            isinstance(item, dict)
            and item.get("id") == id_
            and not isinstance(item.get("id"), bool)
            and ("result" in item or "error" in item)
        ):
            return item
    return None


class Requests:
    """Requests of one socket.

    Args:
        stream: where replies are claimed.
        transport: asked whether a blocking wait can be served (browser mode).
        send: the socket's ``send`` (it knows whether an on_open hook is sending).
        refresh: brings the widget's traits up to date after a reply.
        max_fps: at most this many refreshes a second (a request loop must not pay one each).
    """

    def __init__(
        self,
        stream: Stream,
        transport: Transport,
        send: Callable[[Any], None],
        refresh: Callable[[], None],
        max_fps: Callable[[], int],
    ) -> None:
        self._stream = stream
        self._transport = transport
        self._send = send
        self._refresh = refresh
        self._max_fps = max_fps
        self._refreshed = 0.0
        self._ids = itertools.count(1)

    # -- request ------------------------------------------------------------------

    def request(
        self, data: Any, match: Callable[[Message], object], timeout: float | None
    ) -> Message:
        return self.exchange(lambda: self._send(data), match, timeout, f"matching {_name(match)}")

    async def arequest(
        self, data: Any, match: Callable[[Message], object], timeout: float | None
    ) -> Message:
        claim = self._start(lambda: self._send(data), match, timeout)
        try:
            await self._transport.aprepare_wait(lambda: claim.done)
            await claim.await_done(timeout)
        finally:
            self._stream.drop_claim(claim)
        return self._answer(claim, timeout, what=f"matching {_name(match)}")

    def exchange(
        self,
        send: Callable[[], object],
        match: Callable[[Message], object],
        timeout: float | None,
        what: str,
    ) -> Message:
        """Like :meth:`request`, but ``send()`` writes the request (a protocol's own form).

        ``what`` completes "no reply ..." in the timeout's text.
        """
        claim = self._start(send, match, timeout)
        try:
            self._transport.prepare_wait(lambda: claim.done)
            claim.wait(timeout)
        finally:
            self._stream.drop_claim(claim)
        return self._answer(claim, timeout, what=what)

    # -- JSON-RPC 2.0 ---------------------------------------------------------------

    def call(self, method: str, params: Any, timeout: float | None) -> Any:
        id_, payload = self._rpc(method, params)
        claim = self._start(lambda: self._send(payload), _RpcMatch(id_), timeout)
        try:
            self._transport.prepare_wait(lambda: claim.done)
            claim.wait(timeout)
        finally:
            self._stream.drop_claim(claim)
        return self._result(method, id_, claim, timeout)

    async def acall(self, method: str, params: Any, timeout: float | None) -> Any:
        id_, payload = self._rpc(method, params)
        claim = self._start(lambda: self._send(payload), _RpcMatch(id_), timeout)
        try:
            await self._transport.aprepare_wait(lambda: claim.done)
            await claim.await_done(timeout)
        finally:
            self._stream.drop_claim(claim)
        return self._result(method, id_, claim, timeout)

    def _rpc(self, method: str, params: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(method, str) or not method:
            raise TypeError(f"the JSON-RPC method must be a non-empty str, not {method!r}")
        if params is not None and not isinstance(params, (list, tuple, dict)):
            raise TypeError(
                "JSON-RPC params must be a list (by position) or a dict (by name), "
                f"not {type(params).__name__}"
            )
        id_ = next(self._ids)
        payload: dict[str, Any] = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            payload["params"] = list(params) if isinstance(params, tuple) else params
        return id_, payload

    def _result(self, method: str, id_: int, claim: Claim, timeout: float | None) -> Any:
        msg = self._answer(claim, timeout, what=f"to {method!r} (JSON-RPC id {id_})")
        reply = rpc_reply(msg.json(), id_)
        assert reply is not None  # _RpcMatch took it
        if "error" in reply:
            error = reply["error"]
            if not isinstance(error, dict):
                raise RemoteError(method, None, f"a malformed error object: {error!r}")
            raise RemoteError(
                method, error.get("code"), str(error.get("message", "")), error.get("data")
            )
        return reply["result"]

    # -- shared ------------------------------------------------------------------------

    def _start(
        self, send: Callable[[], object], match: Callable[[Message], object], timeout: float | None
    ) -> Claim:
        if not callable(match):
            raise TypeError(f"match must be a function of a Message, not {type(match).__name__}")
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be >= 0 seconds or None, got {timeout!r}")
        claim = self._stream.add_claim(match)
        try:
            send()
        except BaseException:
            self._stream.drop_claim(claim)
            raise
        return claim

    def _answer(self, claim: Claim, timeout: float | None, what: str) -> Message:
        now = time.monotonic()
        if claim.reply is None or now - self._refreshed >= 1.0 / self._max_fps():
            self._refreshed = now  # the traits tell the same story as what is returned or raised
            self._refresh()
        if claim.reply is not None:
            return claim.reply
        if claim.error is not None:
            raise claim.error
        stream = self._stream
        count, first = claim.failures
        raised = f"; the match raised on {count} of them (first: {first})" if count else ""
        error = f"; last error: {stream.state['error']}" if stream.state["error"] else ""
        raise TimeoutError(
            f"no reply {what} within {timeout} s: {claim.seen} messages arrived meanwhile"
            f"{raised} (status: {stream.state['status']}{error})"
        )


class _RpcMatch:
    """Takes the JSON-RPC response (or batch response) that carries ``id``."""

    __slots__ = ("id",)

    def __init__(self, id_: int) -> None:
        self.id = id_

    def __call__(self, msg: Message) -> bool:
        if msg.kind != "text" or '"id"' not in msg.data:  # cheap: most messages are not it
            return False
        return rpc_reply(msg.json(), self.id) is not None
