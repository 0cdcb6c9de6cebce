"""List pages and stats answered in the router's place, by the routes' own handlers.

A list page or a stats request that misses the response cache went through FastAPI's routing
(a dozen routes matched in turn) and its dependency machinery (each dependency's signature
inspected, each result checked) before its handler ran: under load about 150 µs of CPU a
list, as much as the page's own SQL (bench/README.md, "Floors"). Here its handler is called
straight away, with the same validated query and database access its dependencies give it.
Everything else about the request is as it was: the middleware around the router, and the
exception handlers that render a refusal as a problem (`tests/test_direct_routes.py`
compares the answers with the router's, byte for byte)."""

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import cast

from fastapi import Request
from starlette._utils import get_route_path  # as the router reads the path
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api import expansion
from app.api.params import query_parser
from app.api.routes import get_stats, list_records
from app.api.stats import json_stats_query
from app.collections.base import Collection
from app.db import Sessions, get_sessions
from app.listing.params import StatsQuery

Handler = Callable[[Request], Awaitable[Response]]


def direct_handlers(prefix: str, collections: Iterable[Collection]) -> dict[str, Handler]:
    """The GET paths answered directly: each collection's list and its stats."""
    handlers: dict[str, Handler] = {}
    for collection in collections:
        handlers[prefix + collection.path] = _list_handler(collection)
        handlers[prefix + "/stats" + collection.path] = _stats_handler(collection)
    return handlers


async def _sessions(request: Request) -> Sessions:
    """What the `SessionsDep` dependency gives, or what the application overrides it with (the
    tests do, with a function or a coroutine function)."""
    overrides = getattr(request.app, "dependency_overrides", {})
    sessions = overrides.get(get_sessions, get_sessions)()
    if inspect.isawaitable(sessions):
        sessions = await sessions
    return cast(Sessions, sessions)


def _list_handler(collection: Collection) -> Handler:
    parse = query_parser(expansion.list_query(collection))

    async def handle(request: Request) -> Response:
        sessions = await _sessions(request)  # before the query, as FastAPI resolves them
        return await list_records(collection, request, sessions, await parse(request))

    return handle


def _stats_handler(collection: Collection) -> Handler:
    # `json_stats_query` extends the collection's `StatsQuery` (pydantic's `create_model` is typed
    # as giving a `BaseModel`).
    parse = query_parser(cast(type[StatsQuery], json_stats_query(collection)))

    async def handle(request: Request) -> Response:
        sessions = await _sessions(request)
        return await get_stats(collection, request, sessions, await parse(request))

    return handle


class DirectRoutes:
    """The router, but for a GET of a path in `handlers`, which its handler answers."""

    def __init__(self, app: ASGIApp, handlers: dict[str, Handler]) -> None:
        self.app = app
        self.handlers = handlers
        self.answered = 0
        """How many requests it answered (the tests read it)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            handler = self.handlers.get(get_route_path(scope))
            if handler is not None:
                self.answered += 1
                response = await handler(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
