"""The response cache below the framework: hits, revalidation, writes visible at once, and keys
read as the app reads the request (a repeated `Accept` or `Accept-Encoding` cannot poison it)."""

import gc
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette import types

from app.cache import ARRIVED
from app.models import Project, Scope
from app.services.keys import create_key
from tests.factories import app_on, assert_problem

PROJECT = "/api/v1/projects/catl-ly9"
LIST = "/api/v1/projects?sort=-investment_cny&fields=id,description"
ALL_PROJECTS = "/api/v1/projects"


def curator_headers(engine: Engine) -> dict[str, str]:
    with Session(engine) as session, session.begin():
        _, token = create_key(session=session, name="cache-curator", scope=Scope.curator)
    return {"Authorization": f"Bearer {token}"}


def test_a_repeated_read_is_served_from_the_cache(shared_database: Engine) -> None:
    client = app_on(shared_database, response_cache_mb=4)
    first, second = client.get(PROJECT), client.get(PROJECT)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"] == "application/json"
    # The CORS headers answer the request's Origin: a variant of its own, kept as sent.
    origin = {"Origin": "https://dash.example"}
    assert client.get(PROJECT, headers=origin).headers["x-cache"] == "miss"
    hits = [client.get(PROJECT, headers=origin) for _ in range(3)]
    assert len({tuple(hit.headers.raw) for hit in hits}) == 1
    assert hits[0].headers["x-cache"] == "hit"
    assert hits[0].headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in second.headers
    head = client.head(PROJECT)
    assert (head.status_code, head.headers["x-cache"], head.content) == (200, "hit", b"")
    assert head.headers["etag"] == first.headers["etag"]
    revalidated = client.get(PROJECT, headers={"If-None-Match": first.headers["etag"]})
    assert (revalidated.status_code, revalidated.headers["x-cache"]) == (304, "hit")
    cross = client.get(PROJECT, headers={**origin, "If-None-Match": first.headers["etag"]})
    assert (cross.status_code, cross.headers["access-control-allow-origin"]) == (304, "*")
    assert revalidated.headers["cache-control"] == first.headers["cache-control"]
    assert client.get(PROJECT, headers={"Cache-Control": "no-cache"}).headers["x-cache"] == "miss"


def test_variants_and_problems_are_kept_apart(shared_database: Engine) -> None:
    client = app_on(shared_database, response_cache_mb=4)
    plain = {"Accept-Encoding": "identity"}
    assert client.get(LIST, headers=plain).headers["x-cache"] == "miss"
    assert client.get(LIST + "&limit=2", headers=plain).headers["x-cache"] == "miss"
    assert client.get(LIST, headers=plain).headers["x-cache"] == "hit"
    gzipped = client.get(LIST, headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["x-cache"] == "miss"
    assert client.get(LIST, headers={"Accept-Encoding": "gzip"}).headers["x-cache"] == "hit"
    csv = client.get("/api/v1/projects", headers={"Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    for _ in range(2):
        missing = client.get("/api/v1/projects/no-such-project")
        assert_problem(missing, 404)
        assert missing.headers["x-cache"] == "miss"


def test_a_write_through_the_api_is_visible_at_once(shared_database: Engine) -> None:
    client = app_on(shared_database, response_cache_mb=4)
    before = client.get(PROJECT)
    listed = client.get(LIST)
    assert client.get(PROJECT).headers["x-cache"] == "hit"
    response = client.patch(
        PROJECT,
        json={"description": "Rewritten by a curator."},
        headers={**curator_headers(shared_database), "If-Match": before.headers["etag"]},
    )
    assert response.status_code == 200, response.text
    after = client.get(PROJECT)
    assert after.headers["x-cache"] == "miss"
    assert after.json()["description"] == "Rewritten by a curator."
    assert after.headers["etag"] != before.headers["etag"]
    relisted = client.get(LIST)
    assert relisted.headers["x-cache"] == "miss"
    assert relisted.json() != listed.json()
    assert {"id": "catl-ly9", "description": "Rewritten by a curator."} in relisted.json()["items"]


def test_a_write_by_another_worker_is_visible_at_once(shared_database: Engine) -> None:
    """Two app instances stand for two workers (or replicas) on one database; a write that
    reaches the database another way (here a session of its own) counts the same."""
    worker, other_worker = (app_on(shared_database, response_cache_mb=4) for _ in range(2))
    assert worker.get(PROJECT).json()["description"] == worker.get(PROJECT).json()["description"]
    before = other_worker.get(PROJECT)
    other_worker.patch(
        PROJECT,
        json={"description": "Edited through the other worker."},
        headers={**curator_headers(shared_database), "If-Match": before.headers["etag"]},
    ).raise_for_status()
    assert worker.get(PROJECT).json()["description"] == "Edited through the other worker."
    with Session(shared_database) as session, session.begin():
        project = session.get(Project, "catl-ly9")
        assert project is not None
        project.description = "Edited from outside the API."
    assert worker.get(PROJECT).json()["description"] == "Edited from outside the API."
    assert other_worker.get(PROJECT).json()["description"] == "Edited from outside the API."


def test_a_repeated_accept_header_cannot_poison_the_cache(shared_database: Engine) -> None:
    client = app_on(shared_database, response_cache_mb=4)
    json_first = [("Accept", "application/json"), ("Accept", "text/csv")]
    assert (
        client.get(ALL_PROJECTS, headers=json_first).headers["content-type"] == "application/json"
    )
    plain_csv = client.get(ALL_PROJECTS, headers={"Accept": "text/csv"})
    assert plain_csv.headers["content-type"].startswith("text/csv")


def test_a_repeated_accept_encoding_header_cannot_poison_the_cache(
    shared_database: Engine,
) -> None:
    client = app_on(shared_database, response_cache_mb=4)
    path = ALL_PROJECTS + "?limit=50"
    gzip_first = [("Accept-Encoding", "gzip"), ("Accept-Encoding", "identity")]
    assert client.get(path, headers=gzip_first).headers["content-encoding"] == "gzip"
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json()["items"]


def test_kept_answers_are_left_out_of_garbage_collection(shared_database: Engine) -> None:
    """A full cache holds tens of thousands of answers: were the collector to track them, each
    of its full collections would walk them all, a pause of tens of milliseconds."""
    client = app_on(shared_database, response_cache_mb=4)
    for path in [PROJECT, LIST, ALL_PROJECTS, "/api/v1/parks?limit=3"]:
        client.get(path)
        client.get(path, headers={"Origin": "https://dash.example"})
    entries = client.app.front.entries  # type: ignore[attr-defined]
    assert len(entries) == 8
    # A tuple is left untracked once the tuples in it are, one level a collection at most:
    # three levels (an entry, its headers, each header).
    for _ in range(3):
        gc.collect()
    assert [key for key in entries if gc.is_tracked(key)] == []
    assert [key for key, entry in entries.items() if gc.is_tracked(entry)] == []


class Arrivals:
    """Stamps each request's scope as `citykb serve` does (app/server.py), with `at`."""

    def __init__(self, app: types.ASGIApp) -> None:
        self.app = app
        self.at = time.monotonic()

    async def __call__(self, scope: types.Scope, receive: types.Receive, send: types.Send) -> None:
        await self.app({**scope, ARRIVED: self.at}, receive, send)


def test_requests_that_arrived_before_a_revision_read_share_it_and_none_after_a_write(
    shared_database: Engine,
) -> None:
    worker, other_worker = (app_on(shared_database, response_cache_mb=4) for _ in range(2))
    arrivals = Arrivals(worker.app)
    stamped = TestClient(arrivals)
    probe = worker.app.front.probe  # type: ignore[attr-defined]
    before = stamped.get(PROJECT)
    assert (before.headers["x-cache"], probe.reads) == ("miss", 1)
    # Arrived before that read began (a server reads several heads in one pass): shared.
    assert [stamped.get(PROJECT).headers["x-cache"] for _ in range(3)] == ["hit"] * 3
    assert probe.reads == 1
    other_worker.patch(
        PROJECT,
        json={"description": "Edited while the revision was kept."},
        headers={**curator_headers(shared_database), "If-Match": before.headers["etag"]},
    ).raise_for_status()
    arrivals.at = time.monotonic()  # sent once the write was answered
    after = stamped.get(PROJECT)
    assert after.json()["description"] == "Edited while the revision was kept."
    assert (after.headers["x-cache"], probe.reads) == ("miss", 2)
    # Without a stamp (another server), every request reads the revision.
    worker.get(PROJECT)
    assert probe.reads == 3


def test_a_no_cache_request_reads_no_revision_and_is_not_kept(shared_database: Engine) -> None:
    client = app_on(shared_database, response_cache_mb=4)
    probe = client.app.front.probe  # type: ignore[attr-defined]
    fresh = {"Cache-Control": "no-cache"}
    answers = [
        client.get(PROJECT, headers=fresh),
        client.get(PROJECT, headers={"Pragma": "no-cache"}),
    ]
    assert [answer.headers["x-cache"] for answer in answers] == ["miss", "miss"]
    assert (probe.reads, len(client.app.front.entries)) == (0, 0)  # type: ignore[attr-defined]
    assert client.get(PROJECT).headers["x-cache"] == "miss"
    assert client.get(PROJECT, headers=fresh).content == answers[0].content
