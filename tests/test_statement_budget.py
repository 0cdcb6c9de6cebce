"""How many SQL statements a request runs: a small number that does not grow with the page
(no N+1), so that a page of 200 records costs a page of one."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from app.collections.base import Collection
from app.collections.catalog import DOCUMENTED
from app.models import Scope
from app.services.keys import create_key
from tests.factories import app_on

LIST_BUDGET = 3
SEARCH_KINDS_MATCHING = 4
"""`/search?q=光伏` reads each kind of record's gram counts; only a kind whose records hold
every bigram of the query is then counted and read (two statements), then the page's quotes."""
BUDGET = {
    "/api/v1/projects": LIST_BUDGET,
    "/api/v1/projects/catl-ly9": 2,
    "/api/v1/organizations": LIST_BUDGET,
    "/api/v1/zero-carbon-factories": LIST_BUDGET,
    "/api/v1/stats/projects": 2,
    "/api/v1/search": len(DOCUMENTED) + 2 * SEARCH_KINDS_MATCHING + 2,
}
"""Statements per request, counting the test's SAVEPOINT bookkeeping."""


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def run(client: TestClient, engine: Engine, path: str, **params: Any) -> list[str]:
    with statements(engine) as seen:
        response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return seen


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/projects", {}),
        ("/api/v1/projects", {"sort": "-investment_cny", "district_id": "changzhou"}),
        ("/api/v1/organizations", {"sort": "name"}),
        ("/api/v1/zero-carbon-factories", {}),
    ],
)
def test_a_page_costs_the_same_statements_at_any_size(
    client: TestClient, engine: Engine, path: str, params: dict[str, Any]
) -> None:
    small = run(client, engine, path, limit=1, **params)
    large = run(client, engine, path, limit=200, **params)
    cursor = client.get(path, params={"limit": 1, **params}).json()["next_cursor"]
    later = run(client, engine, path, limit=1, cursor=cursor, **params)
    # The second request may find its count kept from the first (app/services/lists.py).
    assert len(large) <= len(small) <= BUDGET[path], (small, large)
    assert len(later) <= BUDGET[path] + 1, later  # a nullable key's page may add its nulls


@pytest.mark.parametrize("collection", DOCUMENTED, ids=lambda collection: collection.tag)
def test_every_list_costs_the_same_statements_at_any_size(
    client: TestClient, engine: Engine, collection: Collection
) -> None:
    path = f"/api/v1{collection.path}"
    small = run(client, engine, path, limit=1)
    large = run(client, engine, path, limit=200)
    assert len(large) <= len(small) <= LIST_BUDGET, (small, large)
    cursor = client.get(path, params={"limit": 1}).json()["next_cursor"]
    if cursor is not None:
        later = run(client, engine, path, limit=1, cursor=cursor)
        assert len(later) <= LIST_BUDGET + 1, later


def test_a_page_is_one_statement_with_its_count_and_the_revision_it_was_read_at(
    client: TestClient, engine: Engine
) -> None:
    """The revision that keys kept counts comes with the page, in its snapshot: no statement
    of its own (on PostgreSQL, a round trip fewer)."""
    path = "/api/v1/projects"
    run(client, engine, path, limit=1)  # the cursor key, read once per process
    pages: list[dict[str, Any]] = [
        {"investment_cny_min": 7},  # a filter no other test counts
        {"investment_cny_min": 7, "limit": 2},  # finds its count kept
    ]
    counted = []
    for params in pages:
        seen = [
            statement
            for statement in run(client, engine, path, **params)
            if not statement.startswith(("SAVEPOINT", "RELEASE"))
        ]
        assert len(seen) == 1, seen
        counted.append("count(" in seen[0])
    assert counted == [True, False]


def test_each_read_stays_within_its_statement_budget(client: TestClient, engine: Engine) -> None:
    assert (
        len(run(client, engine, "/api/v1/projects/catl-ly9")) <= BUDGET["/api/v1/projects/catl-ly9"]
    )
    stats = run(
        client, engine, "/api/v1/stats/projects", group_by="status", district_id="changzhou"
    )
    assert len(stats) <= BUDGET["/api/v1/stats/projects"], stats
    found = run(client, engine, "/api/v1/search", q="光伏", limit=50)
    assert len(found) <= BUDGET["/api/v1/search"], found


def etag_of(client: TestClient, path: str) -> str:
    return client.get(path).headers["etag"]


PATCH_BUDGET = 18
"""A one-field PATCH, from the key's check to the history, counting SAVEPOINT bookkeeping."""


def test_a_one_field_patch_stays_within_its_statement_budget(
    client: TestClient, engine: Engine, session: Session
) -> None:
    _, token = create_key(session=session, name="budget", scope=Scope.curator)
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    path = "/api/v1/projects/catl-ly9"
    # A curator's key in use: its rate bucket exists and its last use is recorded.
    first = {"description": "A project."}  # a change: a patch that changes nothing writes nothing
    warm = client.patch(path, json=first, headers={**headers, "If-Match": etag_of(client, path)})
    assert warm.status_code == 200, warm.text
    etag = warm.headers["etag"]
    with statements(engine) as seen:
        patched = client.patch(
            path,
            json={"description": "A lighthouse-factory project."},
            headers={**headers, "If-Match": etag},
        )
    assert patched.status_code == 200, patched.text
    assert len(seen) <= PATCH_BUDGET, "\n".join(seen)
    # The answer, the history and GET give the same bytes: one rendering, stored once.
    assert client.get(path).content == patched.content
    assert client.get(path).headers["etag"] == patched.headers["etag"]
    history = client.get(path + "/history").json()["items"]
    assert [change["after"] for change in history] == [warm.json(), patched.json()]
    assert history[-1]["before"] == warm.json()


def test_a_list_or_stats_read_begins_no_transaction(shared_database: Engine) -> None:
    """Lists and stats read each statement in a snapshot of its own, as PostgreSQL's do under
    READ COMMITTED: on SQLite no BEGIN (nor the ROLLBACK that would end it), and a page, its
    count and its revision in one statement, alone."""
    if shared_database.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's reads are in autocommit: no statement of theirs begins one")
    with app_on(shared_database) as client:
        run(client, shared_database, "/api/v1/projects", limit=1)  # the cursor key, once
        for path, params in (
            ("/api/v1/projects", {"investment_cny_min": 7}),
            ("/api/v1/stats/projects", {"group_by": "status"}),
        ):
            seen = run(client, shared_database, path, **params)
            assert len(seen) == 1, seen
            assert not seen[0].lstrip().upper().startswith("BEGIN"), seen
