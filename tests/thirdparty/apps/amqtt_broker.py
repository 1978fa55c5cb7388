"""amqtt's MQTT 3.1.1 broker with one WebSocket listener on 127.0.0.1 (runs in amqtt's venv).

``python amqtt_broker.py --port PORT [--user NAME:PASSWORD]``: a ``"type": "ws"``
listener (subprotocol ``mqtt``) and nothing else: no TCP listener, no ``$SYS``
topics. Anonymous clients (no user name) are let in; a client that gives a
user name must give the password set with ``--user``, else amqtt answers
CONNACK 5 (not authorized). Stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

from amqtt.broker import Broker
from amqtt.plugins.base import BaseAuthPlugin


class TestUsers(BaseAuthPlugin):
    """Anonymous clients in; a named client only with its password."""

    @dataclass
    class Config:
        users: dict[str, str] = field(default_factory=dict)

    async def authenticate(self, *, session: Any) -> bool:
        if session.username is None:
            return True
        password = session.password
        if isinstance(password, bytes):
            password = password.decode("utf-8", "replace")
        return bool(self.config.users.get(session.username) == password)


async def serve(port: int, users: dict[str, str]) -> None:
    config = {
        "listeners": {"default": {"type": "ws", "bind": f"127.0.0.1:{port}"}},
        "plugins": {f"{__name__}.TestUsers": {"users": users}},
    }
    broker = Broker(config)
    await broker.start()
    print(f"amqtt broker listening on ws://127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await broker.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", action="append", default=[], help="NAME:PASSWORD")
    args = parser.parse_args()
    users = dict(u.split(":", 1) for u in args.user)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("transitions").setLevel(logging.WARNING)
    asyncio.run(serve(args.port, users))
    return 0


if __name__ == "__main__":
    sys.exit(main())
