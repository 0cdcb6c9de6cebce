"""The front path (app/front.py) answers a record by id as the application would: the same
status, headers in the same order and bytes, for every collection and every request variant;
and it stands aside for every request it cannot answer so."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.collections.catalog import DOCUMENTED
from app.config import get_settings
from app.front import GZIP_MINIMUM_BYTES
from tests.factories import app_on

VARIANTS: list[dict[str, str]] = [
    {},  # the test client's own Accept-Encoding: gzip, deflate
    {"Accept-Encoding": "identity"},
    {"Accept-Encoding": "br"},
    {"Accept": "text/csv"},
    {"If-None-Match": "*"},
    {"If-None-Match": '"not-the-etag"'},
    {"Origin": "https://dash.example"},  # a dashboard's browser, on another origin
    {"Origin": "https://dash.example", "Accept-Encoding": "identity"},
]


def compare(front: TestClient, application: TestClient, path: str, **headers: str) -> Any:
    """The answer through the front path, after checking it is the application's, to the byte,
    and that the front path gave it unless the application compresses it."""
    front_path = front.app.state.front_path  # type: ignore[attr-defined]
    sent = {"Cache-Control": "no-cache", **headers}  # past the response cache, to the front path
    before = front_path.answered
    answer = front.get(path, headers=sent)
    expected = application.get(path, headers=sent)
    assert answer.status_code == expected.status_code, path
    assert answer.content == expected.content, path
    got = [(name, value) for name, value in answer.headers.raw if name != b"x-cache"]
    assert got == expected.headers.raw, (path, headers)
    assert answer.headers["x-cache"] == "miss"
    compressed = expected.headers.get("content-encoding") == "gzip"
    assert front_path.answered - before == (0 if compressed else 1), (path, headers)
    return answer


def record_paths(client: TestClient) -> list[tuple[str, int]]:
    """For each collection, its smallest and largest record's path, with its rendering's size."""
    paths = []
    for collection in DOCUMENTED:
        listed = client.get(f"/api/v1{collection.path}?limit=100").json()["items"]
        sizes = sorted(
            (len(client.get(f"/api/v1{collection.path}/{item['id']}").content), item["id"])
            for item in listed
        )
        for size, record_id in {sizes[0], sizes[-1]}:
            paths.append((f"/api/v1{collection.path}/{record_id}", size))
    return paths


def test_a_record_through_the_front_path_is_the_applications_answer(
    shared_database: Engine,
) -> None:
    with app_on(shared_database, response_cache_mb=4) as front:
        application = TestClient(front.app.uncached)  # type: ignore[attr-defined]
        paths = record_paths(front)
        # Both sides of the gzip middleware's threshold, in every collection.
        assert min(size for _, size in paths) < GZIP_MINIMUM_BYTES <= max(s for _, s in paths)
        assert {path.split("/")[3] for path, _ in paths} == {
            collection.path.strip("/") for collection in DOCUMENTED
        }
        for path, _ in paths:
            etag = compare(front, application, path).headers["etag"]
            held = [{"If-None-Match": etag}, {"If-None-Match": f"W/{etag}"}]
            from_a_browser = {"If-None-Match": etag, "Origin": "https://dash.example"}
            for headers in [*VARIANTS, *held, from_a_browser]:
                compare(front, application, path, **headers)
            assert compare(front, application, path, **{"If-None-Match": etag}).status_code == 304


ASIDE = [
    ("/api/v1/projects/catl-ly9?expand=organizations", {}),
    ("/api/v1/projects/no-such-project", {}),
    ("/api/v1/projects/catl-ly9/", {}),
    ("/api/v1/no-such-collection/catl-ly9", {}),
    ("/api/v1/stats/projects", {}),
    ("/api/v1/projects/catl-ly8", {"Accept-Encoding": "gzip"}),
    ("/api/v1/projects/CATL-LY9", {}),
    ("/api/v1/projects/%00", {}),
    ("/api/v1/projects/" + "a" * 201, {}),
]
"""Requests the front path leaves to the application: a query, no such record, a
path of another shape or another route's, a body the application compresses, and ids the
application refuses (422) before any read: PostgreSQL's driver refuses a NUL byte itself."""


def test_the_front_path_stands_aside_for_what_it_cannot_answer_so(
    shared_database: Engine,
) -> None:
    with app_on(shared_database, response_cache_mb=4) as front:
        application = TestClient(front.app.uncached)  # type: ignore[attr-defined]
        front_path = front.app.state.front_path  # type: ignore[attr-defined]
        assert len(front.get("/api/v1/projects/catl-ly8").content) >= GZIP_MINIMUM_BYTES
        for path, headers in ASIDE:
            before = front_path.answered
            sent = {"Cache-Control": "no-cache", **headers}
            answer = front.get(path, headers=sent)
            expected = application.get(path, headers=sent)
            assert (answer.status_code, answer.content) == (expected.status_code, expected.content)
            assert front.head(path, headers=sent).content == b""
            assert front_path.answered == before, path
        # None of them cost the loop's connection: the next record is answered in front.
        before = front_path.answered
        compare(front, application, "/api/v1/projects/catl-ly9", **{"Accept-Encoding": "br"})
        assert front_path.answered == before + 1


def test_behind_a_proxy_prefix_the_front_path_reads_the_path_as_the_router_does(
    shared_database: Engine,
) -> None:
    """uvicorn --root-path /api puts the prefix back on the path: the router reads
    `/v1/projects/...`, which no route serves."""
    with app_on(shared_database, response_cache_mb=4) as front:
        proxied = TestClient(front.app, root_path="/api")
        answer = proxied.get("/api/v1/projects/catl-ly9", headers={"Cache-Control": "no-cache"})
        assert answer.status_code == 404
        assert front.app.state.front_path.answered == 0  # type: ignore[attr-defined]


def test_a_record_not_yet_rendered_is_left_to_the_application(shared_database: Engine) -> None:
    with app_on(shared_database, response_cache_mb=4) as front:
        front_path = front.app.state.front_path  # type: ignore[attr-defined]
        path = "/api/v1/projects/catl-ly9"
        first = front.get(path)
        with shared_database.begin() as connection:
            connection.exec_driver_sql("UPDATE projects SET rendered = NULL WHERE id = 'catl-ly9'")
        before = front_path.answered
        again = front.get(path, headers={"Cache-Control": "no-cache"})
        assert front_path.answered == before  # no stored rendering: the application renders it
        assert again.content == first.content


def test_where_only_some_origins_may_read_the_front_path_leaves_them_to_cors(
    shared_database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `CORS_ORIGINS` naming origins, the CORS middleware answers each its own way (the
    origin named back, or no CORS header): a request with an `Origin` goes to it."""
    with monkeypatch.context() as patched:
        patched.setenv("CORS_ORIGINS", '["https://dash.example"]')
        get_settings.cache_clear()
        front = app_on(shared_database, response_cache_mb=4)
    get_settings.cache_clear()  # the settings of every other test, read again
    with front:
        front_path = front.app.state.front_path  # type: ignore[attr-defined]
        path = "/api/v1/projects/catl-ly9"
        for origin, allowed in [
            ("https://dash.example", "https://dash.example"),
            ("https://x.example", None),
        ]:
            answer = front.get(path, headers={"Cache-Control": "no-cache", "Origin": origin})
            assert answer.status_code == 200
            assert answer.headers.get("access-control-allow-origin") == allowed
        assert front_path.answered == 0
        front.get(path, headers={"Cache-Control": "no-cache", "Accept-Encoding": "br"})
        assert front_path.answered == 1  # without an Origin, as before (and not gzipped)
