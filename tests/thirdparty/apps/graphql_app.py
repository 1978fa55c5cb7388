"""A GraphQL server for the codec tests: strawberry-graphql's ASGI app, run by uvicorn.

Runs in its own venv (tests/thirdparty/thirdparty_servers.py: ``graphql_server``),
not in the project's; ``python -m uvicorn graphql_app:app --app-dir <here>``.
Speaks both graphql-transport-ws and the legacy graphql-ws (which sends ``ka``
keepalives every second here). ``connection_init`` payloads: none or any token
is accepted except ``{"token": "wrong"}``, which is refused (transport-ws:
close 4403; legacy: ``connection_error``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"Hello, {name}!"

    @strawberry.field
    def boom(self) -> str:
        raise ValueError("boom: this field always fails")


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def count(self, to: int, delay: float = 0.01) -> AsyncGenerator[int, None]:
        for i in range(to):
            yield i
            await asyncio.sleep(delay)

    @strawberry.subscription
    async def fail(self, after: int = 1) -> AsyncGenerator[int, None]:
        for i in range(after):
            yield i
        raise RuntimeError("fail: the subscription broke")


class App(GraphQL[Any, Any]):
    async def on_ws_connect(self, context: Any) -> dict[str, object] | None:
        params = context["connection_params"] or {}
        if params.get("token") == "wrong":
            raise ConnectionRejectionError({"message": "bad token"})
        return {"user": params.get("token", "anonymous")} if params else None


app = App(strawberry.Schema(query=Query, subscription=Subscription), keep_alive=True)
