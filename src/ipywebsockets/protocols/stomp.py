"""STOMP 1.2 (1.1, 1.0) over WebSocket: a Sans-I/O codec (RabbitMQ Web-STOMP, ActiveMQ, Artemis).

One WebSocket message carries one or more STOMP frames, or heart-beat EOLs; a
frame split over several messages is put back together. The codec

* writes CONNECT (``accept-version:1.2,1.1,1.0``, ``host``, ``login``,
  ``passcode``, ``heart-beat``) when the connection opens; on CONNECTED it
  negotiates heart-beats, writes a SUBSCRIBE (``ack:auto``, a new id) for every
  active destination and releases what was sent meanwhile; an ERROR instead of
  CONNECTED is a refused login (close 1008, no retry); no CONNECTED within
  10 s closes with 1011 and a retry;
* delivers every MESSAGE as ``{"destination": str, "headers": {...}, "body": ...}``
  where ``body`` is the JSON value for a JSON content-type (or, without a
  content-type, a body that parses as JSON), else the text;
* shows an ERROR after CONNECTED as a problem (the server then closes; the
  widget reconnects per its policy) and ignores RECEIPT;
* writes a heart-beat EOL when it wrote nothing for the negotiated interval,
  and closes with 1011 (retry) when the server is silent for twice its own.

Sending: ``publish(destination, body, headers)`` or ``send({"destination": ...,
"body": ..., "headers": {...}})``: a str body goes as is (``text/plain``),
anything else as JSON (``application/json``); bytes are refused (STOMP over
WebSocket text frames carries text). Not done: ``ack:client`` and ACK/NACK,
transactions (BEGIN/COMMIT/ABORT), receipts and DISCONNECT.

``host`` defaults to ``"/"``: RabbitMQ takes it as the virtual host (``/`` is
its default one); ActiveMQ and Artemis accept any value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .base import Codec, dumps, mask_text, parse_sent
from .stomp_frames import (
    Frame,
    Malformed,
    body_value,
    describe_octets,
    encode,
    next_item,
    octets,
    text_field,
    unescaped_field,
)

__all__ = ["STOMPCodec"]

HANDSHAKE_TIMEOUT = 10.0  # seconds without CONNECTED
MAX_BUFFER = 16 * 1024 * 1024  # octets of one unfinished frame
SEND_SHAPE = 'STOMP messages: a JSON object {"destination": str, "body": any, "headers"?: {...}}'


class STOMPCodec(Codec):
    """STOMP 1.2 over WebSocket: subscribe to destinations, receive MESSAGEs, publish with SEND.

    Args:
        subscribe: a destination (``"/topic/prices"``) or several, subscribed on
            every connection (``ack:auto``).
        login, passcode: the credentials of CONNECT (kept here only; masked
            wherever a frame is shown).
        host: the ``host`` header of CONNECT (RabbitMQ's virtual host); ``"/"``.
        heartbeat: ``(cx, cy)`` in ms: how often this side can send heart-beats
            and how often it wants them (0: never; else at least 1000).
        hold_limit: messages held while the handshake is not done.
    """

    name = "stomp"
    subprotocols = ("v12.stomp", "v11.stomp", "v10.stomp")

    def __init__(
        self,
        subscribe: str | Sequence[str] = (),
        *,
        login: str | None = None,
        passcode: str | None = None,
        host: str | None = None,
        heartbeat: tuple[int, int] = (10000, 10000),
        hold_limit: int = 1000,
    ) -> None:
        super().__init__(hold_limit=hold_limit)
        self.login = unescaped_field(login, "login")
        self.passcode = unescaped_field(passcode, "passcode")
        self.host = unescaped_field("/" if host is None else host, "host")
        if (
            not isinstance(heartbeat, tuple)
            or len(heartbeat) != 2
            or not all(isinstance(v, int) and (v == 0 or v >= 1000) for v in heartbeat)
        ):
            raise ValueError(
                f"heartbeat must be (cx, cy) in ms, each 0 (never) or at least 1000 "
                f"(the codec ticks once a second), not {heartbeat!r}"
            )
        self.heartbeat = heartbeat
        self.secrets = tuple(v.encode() for v in (login, passcode) if v)
        #: The STOMP version the server chose ("" before CONNECTED).
        self.version = ""
        self._subs: dict[str, int] = {}
        self._fresh: set[str] = set()  # subscribed, its id not yet used on any connection
        self._next_id = 0
        self._state = "idle"  # idle -> connecting -> connected
        self._failed = False
        self._last_error = ""  # the last ERROR on this connection, for closed()
        self._buffer = b""
        self._since = 0.0  # when the handshake started
        self._last_in = 0.0
        self._last_out = 0.0
        self._wrote = False  # frames were drained since the last time that was noted
        self._send_every = 0.0  # seconds; 0: no heart-beats either way
        self._expect_every = 0.0
        for destination in [subscribe] if isinstance(subscribe, str) else subscribe:
            self.subscribe(destination)

    # -- subscriptions -------------------------------------------------------------

    @property
    def subscriptions(self) -> dict[str, int]:
        """The active destinations and their subscription ids on this connection."""
        return dict(self._subs)

    def subscribe(self, destination: str) -> int:
        """Subscribe to ``destination`` (now, or when the connection is ready); its id.

        Subscribing again to an active destination returns its id and writes nothing.
        """
        text_field(destination, "a STOMP destination")
        if destination in self._subs:
            return self._subs[destination]
        self._subs[destination] = self._new_id()
        if self.ready:
            self._write(self._subscribe_frame(destination))
        else:
            self._fresh.add(destination)
        return self._subs[destination]

    def unsubscribe(self, destination: str) -> bool:
        """Stop the subscription to ``destination``; False if there was none."""
        if destination not in self._subs:
            return False
        sub_id = self._subs.pop(destination)
        self._fresh.discard(destination)
        if self.ready:
            self._write(encode("UNSUBSCRIBE", [("id", str(sub_id))]))
        return True

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _subscribe_frame(self, destination: str) -> str:
        sub_id = str(self._subs[destination])
        return encode("SUBSCRIBE", [("id", sub_id), ("destination", destination), ("ack", "auto")])

    # -- sending -------------------------------------------------------------------

    def publish(
        self, destination: str, body: Any, headers: Mapping[str, str | int] | None = None
    ) -> None:
        """SEND ``body`` to ``destination`` (held until the connection is ready).

        A str body goes as is (content-type ``text/plain``), anything else as
        JSON (``application/json``); ``headers`` add to (or set the content-type
        of) the frame; ``destination`` and ``content-length`` are the codec's.

        Raises:
            TypeError: bytes or a value JSON cannot encode; headers that are not text.
            SendQueueFull: ``hold_limit`` messages already wait for the handshake.
        """
        text_field(destination, "a STOMP destination")
        if isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(
                "STOMP over WebSocket sends text frames: publish a str (e.g. body.decode()) "
                "or base64 text, not bytes"
            )
        extra: list[tuple[str, str]] = []
        for key, value in (headers or {}).items():
            if not isinstance(key, str) or not key:
                raise TypeError(f"STOMP header names are non-empty str, not {key!r}")
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise TypeError(f"STOMP header {key!r} must be a str or int, not {value!r}"[:200])
            if key not in ("destination", "content-length"):
                extra.append((key, str(value)))
        if isinstance(body, str):
            text, kind = body, "text/plain"
        else:
            try:
                text, kind = dumps(body), "application/json"
            except (TypeError, ValueError) as exc:
                raise TypeError(f"a STOMP body is a str or a JSON value: {exc}") from None
        if not any(key == "content-type" for key, _ in extra):
            extra.insert(0, ("content-type", kind))
        self._write_app(encode("SEND", [("destination", destination), *extra], text))

    def send(self, payload: str | bytes) -> None:
        """``{"destination": str, "body": any, "headers"?: {...}}`` as JSON text: publish it."""
        value = parse_sent(payload, SEND_SHAPE)
        if not isinstance(value, dict):
            raise TypeError(f"this socket sends {SEND_SHAPE}, not {type(value).__name__}")
        unknown = set(value) - {"destination", "body", "headers"}
        if unknown or "destination" not in value or "body" not in value:
            raise ValueError(
                f"this socket sends {SEND_SHAPE}; got the keys {sorted(value)}"
                + (f" (unknown: {sorted(unknown)})" if unknown else "")
            )
        headers = value.get("headers") or {}
        if not isinstance(headers, dict):
            raise TypeError(f"STOMP headers are a JSON object, not {headers!r}"[:200])
        self.publish(value["destination"], value["body"], headers)

    # -- the connection ------------------------------------------------------------

    def connected(self, subprotocol: str, now: float) -> None:
        """Write CONNECT (a new connection: the handshake starts over)."""
        self.subprotocol = subprotocol
        self.ready = False
        self.version = ""
        self._state = "connecting"
        self._failed = False
        self._last_error = ""
        self._buffer = b""
        self._since = self._last_in = self._last_out = now
        self._send_every = self._expect_every = 0.0
        headers = [("accept-version", "1.2,1.1,1.0"), ("host", self.host or "/")]
        headers += [(k, v) for k, v in (("login", self.login), ("passcode", self.passcode)) if v]
        headers.append(("heart-beat", f"{self.heartbeat[0]},{self.heartbeat[1]}"))
        self._write(encode("CONNECT", headers))

    def lost(self) -> None:
        """The connection ended: subscriptions are renewed (new ids) on the next one."""
        super().lost()
        self._state = "idle"
        self._buffer = b""
        self._send_every = self._expect_every = 0.0

    def closed(self, code: int | None, reason: str) -> str | None:
        """What the server's close means: after an ERROR, or RabbitMQ's "STOMP died"."""
        if self._last_error:
            return f"the server closed the connection after its ERROR: {self._last_error}"
        if reason == "STOMP died":
            return (
                "the broker ended the STOMP session after an error it sent no ERROR frame for "
                "(RabbitMQ: e.g. a SEND to an exchange that does not exist, or a subscription "
                "id used twice); the broker's log says which"
            )
        return None

    def data_to_send(self) -> list[str | bytes]:
        """The frames to write now (noted for the heart-beat: something went out)."""
        out = super().data_to_send()
        self._wrote = self._wrote or bool(out)
        return out

    def _note_writes(self, now: float) -> None:
        if self._wrote:
            self._last_out, self._wrote = now, False

    def receive(self, data: str | bytes, now: float) -> None:
        """One WebSocket message: frames and heart-beats (a frame may end in a later one)."""
        self._note_writes(now)
        if self._failed:
            return
        self._last_in = now
        buf = self._buffer + octets(data)
        pos = 0
        while not self._failed:
            got = next_item(buf, pos)
            if got is None:
                break
            item, pos = got
            if isinstance(item, Frame):
                self._frame(item, now)
            elif isinstance(item, Malformed):
                self._malformed(item)
        self._buffer = b"" if self._failed else buf[pos:]
        if len(self._buffer) > MAX_BUFFER:
            self._buffer = b""
            self._stop(1009, "STOMP frame too big", (
                f"the server sent more than {MAX_BUFFER // 2**20} MiB without ending a STOMP "
                "frame (a NUL octet): is the URL a STOMP endpoint? Reconnect to try again"
            ))  # fmt: skip

    def closing(self) -> None:
        """DISCONNECT: a clean end of the STOMP session."""
        if self.ready:
            self._write(encode("DISCONNECT", []))

    def tick(self, now: float) -> None:
        """The handshake timeout, the server's silence, and our heart-beats."""
        self._note_writes(now)
        if self._failed or self._state == "idle":
            return
        if self._state == "connecting":
            if now - self._since >= HANDSHAKE_TIMEOUT:
                self._stop(1011, "STOMP handshake timeout", (
                    f"the STOMP server did not answer CONNECT within {HANDSHAKE_TIMEOUT:.0f} s "
                    "(is this a STOMP endpoint, and the broker up?); reconnecting"
                ), retry=True)  # fmt: skip
            return
        if self._expect_every and now - self._last_in > 2 * self._expect_every:
            self._stop(1011, "STOMP heart-beat timeout", (
                f"the STOMP server sent nothing for {now - self._last_in:.0f} s although it "
                f"promised a heart-beat every {self._expect_every:g} s; reconnecting"
            ), retry=True)  # fmt: skip
            return
        slack = min(1.0, self._send_every / 2)  # ticks come about once a second
        if self._send_every and now - self._last_out >= self._send_every - slack:
            self._write("\n")
            self._last_out = now

    def _stop(self, code: int, reason: str, text: str, retry: bool = False) -> None:
        self._failed = True
        self._fail(code, reason, text, retry=retry)

    def _malformed(self, item: Malformed) -> None:
        if item.fatal:
            self._stop(1002, "STOMP protocol error", (
                f"the server's STOMP stream broke: {item.reason}; the codec cannot find the "
                "next frame. Check that the URL is a STOMP endpoint"
            ))  # fmt: skip
        else:
            self._problem(f"skipped a frame that is not STOMP: {item.reason} (the server's bug?)")

    def _frame(self, frame: Frame, now: float) -> None:
        command = frame.command
        if self._state != "connected":
            if command == "CONNECTED":
                self._handshake(frame, now)
            elif command == "ERROR":
                self._stop(1008, "STOMP connection refused", (
                    f"the STOMP server refused CONNECT: {self._error_text(frame)}. Check login=, "
                    f"passcode= and host= (the virtual host, now {self.host!r}), then connect again"
                ))  # fmt: skip
            else:
                self._stop(1002, "STOMP protocol error", (
                    f"the server sent {command} before CONNECTED: is the URL a STOMP 1.x "
                    "endpoint?"
                ))  # fmt: skip
        elif command == "MESSAGE":
            self._deliver(
                {
                    "destination": frame.header("destination", ""),
                    "headers": frame.header_dict(),
                    "body": body_value(frame),
                }
            )
        elif command == "ERROR":
            self._last_error = self._error_text(frame)
            self._problem(
                f"the STOMP server sent ERROR: {self._last_error}. Servers usually close the "
                "connection after an ERROR (the widget then reconnects per its policy)"
            )
        elif command != "RECEIPT":
            self._problem(f"ignored a {command} frame from the server (not one a server sends)")

    @staticmethod
    def _error_text(frame: Frame) -> str:
        message = frame.header("message") or "(no message header)"
        body = frame.text().strip()
        return f"{message}: {body[:500]}" if body and body != message else message

    def _handshake(self, frame: Frame, now: float) -> None:
        self.version = frame.header("version") or "1.0"
        try:
            sx, sy = (int(v) for v in (frame.header("heart-beat") or "0,0").split(","))
        except ValueError:
            sx = sy = 0
            self._problem(f"CONNECTED's heart-beat {frame.header('heart-beat')!r} is not 'sx,sy'")
        cx, cy = self.heartbeat
        self._send_every = 0.0 if cx <= 0 or sy <= 0 else max(cx, sy) / 1000
        self._expect_every = 0.0 if sx <= 0 or cy <= 0 else max(sx, cy) / 1000
        self._state = "connected"
        self._last_in = self._last_out = now
        for destination in list(self._subs):
            if destination not in self._fresh:
                self._subs[destination] = self._new_id()
            self._write(self._subscribe_frame(destination))
        self._fresh.clear()
        self._ready()

    # -- for the Inspector and the history -------------------------------------------

    def describe(self, data: str | bytes) -> str:
        """The STOMP frames (and heart-beats) in one WebSocket message, on one line."""
        try:
            text = describe_octets(octets(data))
        except Exception as exc:  # never raises: the Inspector shows every frame
            text = f"not a STOMP frame ({type(exc).__name__})"
        # login/passcode headers are masked; elsewhere too, unless very short.
        return mask_text(text, self.secrets, shortest=4)

    def outgoing(self, data: str | bytes) -> str | bytes | None:
        """A SEND frame's ``{"destination", "headers", "body"}`` as JSON text; None for others."""
        got = next_item(octets(data))
        if got is None or not isinstance(got[0], Frame) or got[0].command != "SEND":
            return None
        frame = got[0]
        headers = frame.header_dict()
        destination = headers.pop("destination", "")
        headers.pop("content-length", None)
        return dumps({"destination": destination, "headers": headers, "body": body_value(frame)})
