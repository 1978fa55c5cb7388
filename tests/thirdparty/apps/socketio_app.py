"""A python-socketio ASGI app for the Socket.IO codec's tests (runs under uvicorn, in its venv).

Not imported by the project's tests: ``socketio_server()`` in thirdparty_servers.py
runs ``uvicorn socketio_app:app`` in the python-socketio venv. Pings every 2 s
(``pingInterval=2000``) so a test sees the keepalive without waiting long.

Namespace "/":

* connect: refused (``socketio.exceptions.ConnectionRefusedError("bad token")``: the
  builtin ConnectionRefusedError would answer "Connection refused by server") when ``auth ==
  {"token": "bad"}``; else it emits ``welcome`` ``{"sid": sid, "auth": auth}``.
* ``join`` room: enters the room, emits ``joined`` ``{"room": room}`` to it.
* ``add`` a, b: answers the ack with ``a + b``.
* ``echo`` *args: emits ``echo`` with the same args (bytes come back as bytes).
* ``tick`` n: emits ``tick`` ``{"n": i}`` for i in 0..n-1.
* ``ask`` question: emits ``question`` asking the client for an ack, then emits
  ``answered`` with what the client's ack carried.
* ``leave``: the server disconnects the client's namespace.

Namespace "/chat": connect emits ``hello`` ``{"namespace": "/chat"}``; ``say`` text emits
``said`` ``{"text": text}`` back.
"""

from __future__ import annotations

from typing import Any

import socketio

sio = socketio.AsyncServer(async_mode="asgi", ping_interval=2, ping_timeout=5)
app = socketio.ASGIApp(sio)


@sio.event
async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
    if auth == {"token": "bad"}:
        raise socketio.exceptions.ConnectionRefusedError("bad token")
    await sio.emit("welcome", {"sid": sid, "auth": auth}, to=sid)


@sio.event
async def join(sid: str, room: str) -> None:
    await sio.enter_room(sid, room)
    await sio.emit("joined", {"room": room}, room=room)


@sio.event
async def add(sid: str, a: Any, b: Any) -> Any:
    return a + b


@sio.event
async def echo(sid: str, *args: Any) -> None:
    await sio.emit("echo", args, to=sid)


@sio.event
async def tick(sid: str, n: int) -> None:
    for i in range(n):
        await sio.emit("tick", {"n": i}, to=sid)


@sio.event
async def ask(sid: str, question: str) -> None:
    async def answered(*args: Any) -> None:
        await sio.emit("answered", list(args), to=sid)

    await sio.emit("question", question, to=sid, callback=answered)


@sio.event
async def leave(sid: str) -> None:
    await sio.disconnect(sid)


@sio.on("connect", namespace="/chat")
async def chat_connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
    await sio.emit("hello", {"namespace": "/chat"}, to=sid, namespace="/chat")


@sio.on("say", namespace="/chat")
async def say(sid: str, text: str) -> None:
    await sio.emit("said", {"text": text}, to=sid, namespace="/chat")
