"""Lists and stats answered directly (app/api/direct.py) are the router's answers: the same
status, headers in the same order and bytes, for every collection and every kind of request,
refusals included; and the router would have sent each of those paths to the same handler."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from app.api.direct import DirectRoutes
from app.api.routes import get_stats, list_records
from app.collections.base import Collection
from app.collections.catalog import DOCUMENTED
from app.collections.relations import expand_names
from app.db import make_engine
from tests.factories import app_on, server

FRESH = {"Cache-Control": "no-cache"}  # past the response cache


def direct_routes(app: Any) -> DirectRoutes:
    stack = app.router.middleware_stack
    assert isinstance(stack, DirectRoutes)
    return stack


@contextmanager
def through_the_router(app: Any) -> Iterator[None]:
    """Every request of the block goes through FastAPI's router, as before `DirectRoutes`."""
    direct = direct_routes(app)
    handlers, direct.handlers = direct.handlers, {}
    try:
        yield
    finally:
        direct.handlers = handlers


def compare(client: TestClient, method: str, path: str, **headers: str) -> Any:
    """The direct answer, after checking it is the router's to the byte, and that it was given
    directly."""
    direct = direct_routes(client.app)
    sent = {**FRESH, **headers}
    before = direct.answered
    answer = client.request(method, path, headers=sent)
    assert direct.answered == before + 1, path
    with through_the_router(client.app):
        expected = client.request(method, path, headers=sent)
    assert answer.status_code == expected.status_code, (path, headers, answer.text[:300])
    assert answer.content == expected.content, (path, headers)
    assert answer.headers.raw == expected.headers.raw, (path, headers)
    return answer


def list_requests(collection: Collection) -> Iterator[tuple[str, dict[str, str]]]:
    """A collection's list, every way it is asked for, and refused."""
    path = "/api/v1" + collection.path
    spec = collection.list_spec
    yield path, {}
    yield f"{path}?limit=2", {}
    for key in spec.sortable:
        yield f"{path}?sort={key}&limit=3", {}
        yield f"{path}?sort=-{key},-id&limit=3", {}
    for name in spec.equality[:2]:
        yield f"{path}?{name}=null", {}
    for name in spec.ranges[:1]:
        yield f"{path}?{name}_min=1&{name}_max=3000000000000", {}
    names = expand_names(collection.key)
    if names:
        yield f"{path}?expand={names[0]}&limit=2", {}
    yield f"{path}?fields=id,name&limit=2", {}
    yield f"{path}?format=csv", {}
    yield f"{path}?limit=2", {"Accept": "text/csv"}
    yield f"{path}?limit=2", {"Accept": "text/csv;q=0, application/json"}
    yield path, {"Accept-Encoding": "gzip"}
    yield path, {"Accept-Encoding": "identity"}
    yield f"{path}?limit=2", {"Origin": "https://dash.example"}
    for refused in ("limit=0", "limit=x", "sort=nope", "cursor=nope", "nope=1", "limit=1&limit=2"):
        yield f"{path}?{refused}", {}


def stats_requests(collection: Collection) -> Iterator[tuple[str, dict[str, str]]]:
    """A collection's stats, every way they are asked for, and refused."""
    path = "/api/v1/stats" + collection.path
    yield path, {}
    for name in collection.list_spec.equality[:2]:
        yield f"{path}?group_by={name}", {}
        yield f"{path}?group_by={name}&format=csv", {}
        yield f"{path}?group_by={name}", {"Accept": "text/csv"}
        yield f"{path}?group_by={name}", {"Accept-Encoding": "gzip"}
    for refused in ("group_by=nope", "format=xml", "nope=1"):
        yield f"{path}?{refused}", {}


def test_lists_and_stats_answered_directly_are_the_routers_answers(client: TestClient) -> None:
    statuses = set()
    for collection in DOCUMENTED:
        for path, headers in [*list_requests(collection), *stats_requests(collection)]:
            answer = compare(client, "GET", path, **headers)
            statuses.add(answer.status_code)
            if answer.status_code == 200:
                compare(client, "HEAD", path, **headers)
                etag = answer.headers.get("etag")
                if etag is not None:
                    unchanged = compare(client, "GET", path, **{**headers, "If-None-Match": etag})
                    statuses.add(unchanged.status_code)
            json = answer.headers.get("content-type") == "application/json"
            cursor = answer.json().get("next_cursor") if json else None
            if cursor:
                compare(client, "GET", f"{path}{'&' if '?' in path else '?'}cursor={cursor}")
    assert statuses == {200, 304, 400, 422}, statuses


def test_the_router_sends_each_direct_path_to_the_handler_that_answers_it(
    client: TestClient,
) -> None:
    """No route before a collection's list (or stats) route matches its path: answering it
    directly shadows nothing."""
    direct = direct_routes(client.app)
    router = direct.app
    endpoints: list[Any] = []

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        await router(scope, receive, send)
        endpoints.append(scope.get("endpoint"))

    expected: dict[str, tuple[object, Collection]] = {}
    for collection in DOCUMENTED:
        expected["/api/v1" + collection.path] = (list_records, collection)
        expected["/api/v1/stats" + collection.path] = (get_stats, collection)
    assert set(direct.handlers) == set(expected)
    direct.app = recording
    try:
        with through_the_router(client.app):
            for path, (handler, collection) in expected.items():
                assert client.get(path, headers=FRESH).status_code == 200, path
                endpoint = endpoints.pop()
                assert isinstance(endpoint, partial), path
                assert (endpoint.func, endpoint.args[0]) == (handler, collection), path
    finally:
        direct.app = router


def test_a_served_process_reads_lists_and_stats_on_its_own_connections(
    fresh_database_url: str,
) -> None:
    """`citykb serve` reads lists and stats through pooled connections in its worker threads
    (`Sessions.reader`), which no in-process test uses: every page of every list, walked by
    its cursors, and each stats answer, are those of the application reading through
    sessions, byte for byte."""
    with server(fresh_database_url) as (_, base):
        engine = make_engine(fresh_database_url)
        with app_on(engine) as in_process, httpx2.Client(base_url=base, headers=FRESH) as served:
            for collection in DOCUMENTED:
                path = f"/api/v1{collection.path}?limit=7&sort=-id"
                pages = 0
                while path:
                    answer, expected = served.get(path), in_process.get(path, headers=FRESH)
                    assert answer.status_code == expected.status_code == 200, path
                    assert answer.content == expected.content, path
                    cursor = answer.json()["next_cursor"]
                    path = cursor and f"/api/v1{collection.path}?limit=7&sort=-id&cursor={cursor}"
                    pages += 1
                assert pages >= 2 or answer.json()["total"] <= 7, collection.path
                group = collection.list_spec.equality[0]
                stats = f"/api/v1/stats{collection.path}?group_by={group}"
                answer, expected = served.get(stats), in_process.get(stats, headers=FRESH)
                assert (answer.status_code, answer.content) == (200, expected.content), stats
        engine.dispose()
