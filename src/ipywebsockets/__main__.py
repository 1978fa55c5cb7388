"""``python -m ipywebsockets serve ticker|echo|broadcast|market``: run a demo server."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from .market import MarketServer
from .servers import BroadcastServer, EchoServer, TickerServer

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ipywebsockets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run a demo WebSocket server until Ctrl-C")
    serve.add_argument("kind", choices=["ticker", "echo", "broadcast", "market"])
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    serve.add_argument("--port", type=int, default=8765, help="port (0: pick a free one)")
    serve.add_argument(
        "--rate",
        type=float,
        default=10.0,
        help="ticker: ticks per second (0: as fast as read); market: per symbol",
    )
    serve.add_argument("--count", type=int, default=None, help="ticker: ticks per client")
    serve.add_argument(
        "--origin",
        action="append",
        default=None,
        help="a browser origin to accept besides loopback ones (repeat it; '*': any)",
    )
    args = parser.parse_args(argv)
    where = {"host": args.host, "port": args.port, "origins": args.origin}

    server: TickerServer | EchoServer | BroadcastServer | MarketServer
    if args.kind == "market":
        server = MarketServer(rate=args.rate if args.rate > 0 else 10.0, **where)
    elif args.kind == "ticker":
        rate = args.rate if args.rate > 0 else None
        server = TickerServer(rate=rate, count=args.count, **where)
    elif args.kind == "echo":
        server = EchoServer(**where)
    else:
        server = BroadcastServer(**where)
    try:
        server.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    # SIGTERM (a service manager, a test harness) stops as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"{type(server).__name__} listening on {server.url} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
