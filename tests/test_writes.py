"""Curated writes through HTTP: keys on every write route, strict validation, optimistic
concurrency, history, and every read reflecting a write at once."""

import datetime as dt
import threading
from typing import Any

import orjson
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.collections.catalog import DOCUMENTED
from app.limits import RateLimiter, write_limiter
from app.main import app
from app.models import ApiKey, Project, Revision, Scope
from app.services.keys import create_key, revoke_key
from tests.factories import app_on, assert_problem, cite, new_project, walk

SOURCE = "changzhou-city-work-conference-2025"


@pytest.fixture
def curator(session: Session) -> dict[str, str]:
    _, token = create_key(session=session, name="curator", scope=Scope.curator)
    session.commit()  # so that a request that fails and rolls back keeps the key
    return {"Authorization": f"Bearer {token}"}


def write_routes() -> list[tuple[str, str, APIRoute]]:
    """Every route of the app that writes: (path, method, route)."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            for method in sorted((route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
                found.append((str(context.path), method, route))
    return found


def required_scopes(route: APIRoute) -> set[str]:
    found = set()
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        scope = getattr(dependency.call, "required_scope", None)
        if scope is not None:
            found.add(scope)
        pending.extend(dependency.dependencies)
    return found


def test_every_write_route_needs_a_key() -> None:
    routes = write_routes()
    writable = sum(collection.writable for collection in DOCUMENTED)
    # POST, PATCH and DELETE on each collection curators write, import, and a source's text.
    assert len(routes) == 3 * writable + 2
    for path, method, route in routes:
        assert required_scopes(route), f"{method} {path} takes no key"


def count(session: Session, model: Any = Project) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(("path", "method"), [(path, method) for path, method, _ in write_routes()])
def test_every_write_route_refuses_bad_keys(
    client: TestClient, session: Session, path: str, method: str
) -> None:
    key, revoked = create_key(session=session, name="gone", scope=Scope.curator)
    revoke_key(session=session, key=key)
    session.flush()
    path = path.replace("{record_id}", "catl-ly9").replace("{source_id}", SOURCE)
    # A body of the type the route takes: a body of another type is refused before the key.
    body = {"content": "城市"} if path.endswith("/text") else {"json": new_project()}
    before = count(session)
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer ckb_not-a-key"},
        {"Authorization": f"Bearer {revoked}"},
    ):
        response = client.request(method, path, **body, headers={**headers, "If-Match": "*"})
        assert_problem(response, 401)
        assert "www-authenticate" in response.headers
    assert count(session) == before


@pytest.mark.usefixtures("source_text")
def test_create_answers_201_with_location_and_etag(
    client: TestClient, curator: dict[str, str]
) -> None:
    response = client.post("/api/v1/projects", json=new_project(), headers=curator)
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["id"] == "chang-zhou-guang-fu-shi-fan-xiang-mu"
    assert response.headers["location"] == f"/api/v1/projects/{record['id']}"
    fetched = client.get(response.headers["location"])
    assert fetched.headers["etag"] == response.headers["etag"]
    assert record["name_zh_hant"] == "常州光伏示範項目"
    assert record["citations"][0]["fields"] == ["name", "organization_ids", "status", "status_date"]
    again = client.post("/api/v1/projects", json=new_project(), headers=curator)
    assert again.json()["id"] == "chang-zhou-guang-fu-shi-fan-xiang-mu-2"
    taken = client.post("/api/v1/projects", json=new_project(id="catl-ly9"), headers=curator)
    assert_problem(taken, 409)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"investment_cny": "10"}, "investment_cny"),
        ({"investment_cny": True}, "investment_cny"),
        ({"investment_cny": 1.5}, "investment_cny"),
        ({"status": "finished"}, "status"),
        ({"surprise": 1}, "surprise"),
        # Fields the server keeps are not the client's to set (mass assignment).
        ({"rendered": "{}"}, "rendered"),
        ({"search_text": "x"}, "search_text"),
        ({"district_id": "atlantis"}, "district_id"),
        ({"organization_ids": ["nobody"]}, "organization_ids"),
        ({"citations": []}, "citations"),
        ({"sector": "光伏"}, "sector"),  # stated, but named by no citation
        ({"id": "Not A Slug"}, "id"),
        ({"citations": [{**cite("name"), "source_id": "no-such-source"}]}, "source_id"),
        ({"citations": [{**cite("name"), "quote": "x" * 41}]}, "quote"),
        (
            {
                "citations": [
                    {**cite("name", "organization_ids", "status", "status_date"), "paragraph": 30}
                ]
            },
            "paragraph",
        ),
    ],
)
def test_create_validates_strictly(
    client: TestClient,
    session: Session,
    curator: dict[str, str],
    changes: dict[str, Any],
    field: str,
) -> None:
    before = count(session)
    response = client.post("/api/v1/projects", json=new_project(**changes), headers=curator)
    body = assert_problem(response, 422)
    assert any(field in error["loc"] for error in body["errors"]), body
    assert count(session) == before


ALL_FIELDS = ("name", "organization_ids", "status", "status_date")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "x" * 320_000}, "name"),
        ({"name_en": "x" * 201}, "name_en"),
        ({"description": "x" * 2001}, "description"),
        ({"organization_ids": ["x" * 81]}, "organization_ids"),
        ({"sector": "新能源\u0007", "citations": [cite(*ALL_FIELDS, "sector")]}, "sector"),
        ({"name": "常州\x00光伏"}, "name"),
        ({"name": "常州\u0085光伏"}, "name"),  # C1 controls are control characters too
        ({"name": "常州\n光伏"}, "name"),  # a name is one line
        ({"description": "a\tb"}, "description"),
        ({"citations": [{**cite(*ALL_FIELDS), "quote": "江苏时代\u001b新能源"}]}, "quote"),
        ({"citations": [{**cite(*ALL_FIELDS), "fields": [*ALL_FIELDS, "x" * 61]}]}, "fields"),
        ({"citations": [cite(*ALL_FIELDS)] * 101}, "citations"),
    ],
)
def test_every_text_is_bounded_and_free_of_control_characters(
    client: TestClient,
    session: Session,
    curator: dict[str, str],
    changes: dict[str, Any],
    field: str,
) -> None:
    """What no filter could find, or nobody should store, is refused on create and on patch,
    and nothing is written."""
    path = "/api/v1/projects/catl-ly9"
    before, record = count(session), client.get(path)
    created = client.post("/api/v1/projects", json=new_project(**changes), headers=curator)
    body = assert_problem(created, 422)
    assert any(field in error["loc"] for error in body["errors"]), body
    patched = client.patch(
        path, json=changes, headers={**curator, "If-Match": record.headers["etag"]}
    )
    body = assert_problem(patched, 422)
    assert any(field in error["loc"] for error in body["errors"]), body
    assert count(session) == before
    assert client.get(path).headers["etag"] == record.headers["etag"]


@pytest.mark.usefixtures("source_text")
def test_free_text_may_run_over_several_lines(client: TestClient, curator: dict[str, str]) -> None:
    created = client.post(
        "/api/v1/projects", json=new_project(description="第一行\n第二行"), headers=curator
    )
    assert created.status_code == 201, created.text
    assert created.json()["description"] == "第一行\n第二行"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (
            '{"name": "常州光伏示范项目", "name": "另一个名字", "organization_ids": '
            '["jiangsu-catl"], "citations": [%s]}',
            "name",
        ),
        ('{"name": "常州光伏示范项目", "citations": [%s, %s]}', "paragraph"),
        ('{"figure": 1e400, "name": "常州光伏示范项目", "citations": [%s]}', "(body)"),
        ('{"name": NaN, "citations": [%s]}', "(body)"),
    ],
)
def test_a_body_must_be_json_without_a_key_given_twice(
    client: TestClient, session: Session, curator: dict[str, str], body: str, key: str
) -> None:
    """A key given twice, at any depth, is refused and named, not silently resolved to one of
    its values; so are numbers JSON cannot hold and JSON's non-standard words."""
    citation = orjson.dumps(cite("name", "organization_ids")).decode()
    twice = citation.replace('"paragraph":7', '"paragraph":7,"paragraph":8')
    text = body.replace("%s, %s", f"{citation}, {twice}").replace("%s", citation)
    before = count(session)
    headers = {**curator, "Content-Type": "application/json"}
    created = client.post("/api/v1/projects", content=text.encode(), headers=headers)
    problem = assert_problem(created, 422)
    assert any(key in error["loc"] for error in problem["errors"]), problem
    path = "/api/v1/projects/catl-ly9"
    etag = client.get(path).headers["etag"]
    patched = client.patch(path, content=text.encode(), headers={**headers, "If-Match": etag})
    problem = assert_problem(patched, 422)
    assert any(key in error["loc"] for error in problem["errors"]), problem
    assert count(session) == before
    assert client.get(path).headers["etag"] == etag


def test_an_import_refuses_a_key_given_twice(client: TestClient, session: Session) -> None:
    _, token = create_key(session=session, name="archivist", scope=Scope.admin)
    session.commit()
    line = orjson.dumps({"collection": "projects", "record": new_project(id="twice")}).decode()
    twice = line.replace('"name":', '"name":"一","name":', 1)
    response = client.post(
        "/api/v1/import",
        content=f"{line}\n{twice}\n".encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body", "line 2", "record.name"]
    assert client.get("/api/v1/projects/twice").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("POST", "/api/v1/projects", "text/plain"),
        ("POST", "/api/v1/projects", "application/x-www-form-urlencoded"),
        ("POST", "/api/v1/projects", "application/json; charset=latin-1"),
        ("PATCH", "/api/v1/projects/catl-ly9", "text/plain"),
        ("PATCH", "/api/v1/projects/catl-ly9", "application/json-patch+json"),
        ("POST", "/api/v1/import", "text/plain"),
        ("POST", "/api/v1/import", "multipart/form-data; boundary=x"),
    ],
)
def test_a_content_type_not_declared_is_a_415(
    client: TestClient, session: Session, method: str, path: str, content_type: str
) -> None:
    """Refused before anything else, the key included, and so before any database work."""
    before = count(session)
    etag = client.get("/api/v1/projects/catl-ly9").headers["etag"]
    response = client.request(
        method,
        path,
        content=orjson.dumps(new_project()),
        headers={"Content-Type": content_type, "If-Match": etag},
    )
    problem = assert_problem(response, 415)
    assert problem["errors"][0]["loc"] == ["header", "Content-Type"]
    taken = response.headers["accept-patch" if method == "PATCH" else "accept-post"]
    assert "application/json" in taken
    assert count(session) == before


def test_both_declared_patch_types_are_taken(client: TestClient, curator: dict[str, str]) -> None:
    path = "/api/v1/projects/catl-ly9"
    for content_type in ("application/merge-patch+json", "application/json; charset=utf-8"):
        etag = client.get(path).headers["etag"]
        response = client.patch(
            path,
            content=orjson.dumps({"description": content_type}),
            headers={**curator, "If-Match": etag, "Content-Type": content_type},
        )
        assert response.status_code == 200, response.text
        assert response.json()["description"] == content_type


@pytest.mark.usefixtures("source_text")
def test_a_citation_is_stored_once_however_often_it_is_given(
    client: TestClient, curator: dict[str, str]
) -> None:
    reordered = cite("status_date", "status", "organization_ids", "name")
    body = new_project(citations=[cite(*ALL_FIELDS), cite(*ALL_FIELDS), reordered])
    created = client.post("/api/v1/projects", json=body, headers=curator)
    assert created.status_code == 201, created.text
    assert created.json()["citations"] == [cite(*ALL_FIELDS)]
    path, etag = created.headers["location"], created.headers["etag"]
    for _ in range(3):
        repeated = client.patch(
            path,
            json={"status": "signed", "citations": [cite("status"), cite(*ALL_FIELDS)]},
            headers={**curator, "If-Match": etag},
        )
        assert repeated.status_code == 200, repeated.text
        etag = repeated.headers["etag"]
    assert repeated.json()["citations"] == [cite(*ALL_FIELDS), cite("status")]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_if_match_star_is_refused(client: TestClient, curator: dict[str, str], method: str) -> None:
    """`*` matches whatever the record has become: it would skip the check that nobody changed
    the record since it was read."""
    path = "/api/v1/projects/catl-ly9"
    before = client.get(path)
    for if_match in ("*", '"stale", *'):
        response = client.request(
            method,
            path,
            json={"description": "overwritten unseen"},
            headers={**curator, "If-Match": if_match},
        )
        problem = assert_problem(response, 412)
        assert "ETag" in problem["detail"]
    after = client.get(path)
    assert (after.status_code, after.headers["etag"]) == (200, before.headers["etag"])


@pytest.mark.usefixtures("source_text")
def test_a_write_is_visible_at_once_in_every_read(
    client: TestClient, curator: dict[str, str]
) -> None:
    listing_etag = client.get("/api/v1/projects").headers["etag"]
    stats_before = client.get("/api/v1/stats/projects", params={"group_by": "status"}).json()
    created = client.post("/api/v1/projects", json=new_project(), headers=curator).json()
    assert (
        client.get("/api/v1/projects", headers={"If-None-Match": listing_etag}).status_code == 200
    )
    found = client.get("/api/v1/projects", params={"q": "光伏示范"}).json()["items"]
    assert [item["id"] for item in found] == [created["id"]]
    search = client.get("/api/v1/search", params={"q": "常州光伏"}).json()["items"]
    assert created["id"] in [item["id"] for item in search]
    stats = client.get("/api/v1/stats/projects", params={"group_by": "status"}).json()
    assert stats["total"] == stats_before["total"] + 1


@pytest.mark.usefixtures("source_text")
def test_a_rendering_is_stored_as_text(
    client: TestClient, curator: dict[str, str], session: Session
) -> None:
    """Renderings are read as bytes but kept as text: its length counts characters, which a
    UTF-8 rendering of a Chinese name kept as bytes (an SQLite BLOB) would not."""
    created = client.post("/api/v1/projects", json=new_project(), headers=curator).json()
    rendered = Project.__table__.c.rendered
    text, length = session.execute(
        select(rendered, func.length(rendered)).where(Project.id == created["id"])
    ).one()
    assert orjson.loads(text)["name"] == created["name"]
    assert length == len(text.decode()) < len(text)


@pytest.mark.usefixtures("source_text")
def test_a_new_name_gets_its_traditional_form_anew(
    client: TestClient, curator: dict[str, str]
) -> None:
    """`name_zh_hant` is derived from `name` unless given: a rename derives it again, and one
    given with the rename is kept."""
    path = "/api/v1/projects/catl-ly9"

    def renamed(patch: dict[str, Any]) -> dict[str, Any]:
        etag = client.get(path).headers["etag"]
        response = client.patch(path, json=patch, headers={**curator, "If-Match": etag})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    record = renamed({"name": "新能源灯塔工厂LY9项目", "citations": [cite("name")]})
    assert record["name_zh_hant"] == "新能源燈塔工廠LY9項目"
    assert client.get(path).json()["name_zh_hant"] == "新能源燈塔工廠LY9項目"
    given = {
        "name": "灯塔工厂LY9项目",
        "name_zh_hant": "燈塔工場LY9項目",
        "citations": [cite("name")],
    }
    assert renamed(given)["name_zh_hant"] == "燈塔工場LY9項目"


@pytest.mark.usefixtures("source_text")
@pytest.mark.parametrize("parent", ["changzhou-edz", "changzhou"])
def test_a_patch_that_would_make_a_parent_cycle_is_refused(
    client: TestClient, curator: dict[str, str], parent: str
) -> None:
    """As an import refuses one: whatever walks up the parents must come to an end."""
    path = "/api/v1/districts/changzhou"
    before = client.get(path)
    quote = {**cite("parent_id"), "paragraph": 19, "quote": "常州经开区宋剑湖光电科技港内"}
    patch = {"parent_id": parent, "citations": [quote]}
    response = client.patch(
        path, json=patch, headers={**curator, "If-Match": before.headers["etag"]}
    )
    problem = assert_problem(response, 422)
    assert [error["loc"][-1] for error in problem["errors"]] == ["parent_id"], problem
    assert "parent cycle" in problem["errors"][0]["msg"]
    assert client.get(path).content == before.content


@pytest.mark.usefixtures("source_text")
def test_the_etag_of_a_gzipped_record_is_good_for_if_match(
    client: TestClient, curator: dict[str, str]
) -> None:
    """A browser reads a large record gzipped, and its ETag is the gzip coding's: sent back in
    If-Match, it names the record's state all the same."""
    path = "/api/v1/projects/catl-ly9"
    read = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert read.headers["content-encoding"] == "gzip"
    assert read.headers["etag"].endswith('-gzip"')
    headers = {**curator, "If-Match": read.headers["etag"]}
    response = client.patch(path, json={"description": "A project."}, headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.usefixtures("source_text")
def test_a_records_history_comes_in_pages(client: TestClient, curator: dict[str, str]) -> None:
    """Oldest first, `limit` changes a page and a cursor to the next, as every list: a record
    changed hundreds of times answers in pages, not in one body of megabytes."""
    path = "/api/v1/projects/catl-ly9"
    for number in range(7):
        headers = {**curator, "If-Match": client.get(path).headers["etag"]}
        response = client.patch(path, json={"description": f"Version {number}."}, headers=headers)
        assert response.status_code == 200, response.text
    whole = client.get(path + "/history", params={"limit": 200}).json()
    assert [change["after"]["description"] for change in whole["items"]] == [
        f"Version {number}." for number in range(7)
    ]
    assert whole["next_cursor"] is None
    paged = list(walk(client, path + "/history", limit=3))
    assert paged == whole["items"]
    first = client.get(path + "/history", params={"limit": 3}).json()
    other = client.get("/api/v1/projects/catl-ly8/history", params={"cursor": first["next_cursor"]})
    assert_problem(other, 400, "cursor")
    assert_problem(client.get(path + "/history", params={"limit": 0}), 422, "limit")


@pytest.mark.usefixtures("source_text")
def test_a_patch_that_changes_nothing_writes_nothing(
    client: TestClient, session: Session, curator: dict[str, str]
) -> None:
    """No history entry, no new revision (which would empty every worker's response cache):
    the answer is the record as it was."""
    path = "/api/v1/projects/catl-ly9"
    before = client.get(path)
    history = client.get(path + "/history").json()["items"]
    revision = session.scalar(select(Revision.value))
    for patch in ({}, {"sector": None}, {"name": before.json()["name"]}):
        response = client.patch(
            path, json=patch, headers={**curator, "If-Match": before.headers["etag"]}
        )
        assert response.status_code == 200, response.text
        assert response.content == before.content
        assert response.headers["etag"] == before.headers["etag"]
    assert client.get(path + "/history").json()["items"] == history
    assert session.scalar(select(Revision.value)) == revision


@pytest.mark.usefixtures("source_text")
def test_patch_needs_the_current_etag(
    client: TestClient, session: Session, curator: dict[str, str]
) -> None:
    path = "/api/v1/projects/catl-ly9"
    etag = client.get(path).headers["etag"]
    patch = {"sector": "储能", "citations": [cite("sector")]}
    assert_problem(client.patch(path, json=patch, headers=curator), 428)
    stale = client.patch(path, json=patch, headers={**curator, "If-Match": '"stale"'})
    assert_problem(stale, 412)
    assert client.get(path).json()["sector"] is None
    done = client.patch(path, json=patch, headers={**curator, "If-Match": etag})
    assert done.status_code == 200, done.text
    assert done.json()["sector"] == "储能"
    assert done.headers["etag"] == client.get(path).headers["etag"] != etag
    assert_problem(client.patch(path, json=patch, headers={**curator, "If-Match": etag}), 412)


def test_patch_merges_and_asks_a_citation_for_each_new_fact(
    client: TestClient, curator: dict[str, str]
) -> None:
    path = "/api/v1/projects/catl-ly9"

    def patch(body: dict[str, Any]) -> Any:
        etag = client.get(path).headers["etag"]
        return client.patch(path, json=body, headers={**curator, "If-Match": etag})

    uncited = patch({"investment_cny": 20_000_000_000})
    assert_problem(uncited, 422)
    assert uncited.json()["errors"][0]["loc"] == ["body", "investment_cny"]
    assert_problem(patch({"id": "renamed"}), 422)
    assert_problem(patch({"colour": "red"}), 422)
    assert_problem(patch({"status_year": "2025"}), 422)
    cleared = patch({"sector": None})
    assert cleared.status_code == 200
    assert cleared.json()["sector"] is None
    assert cleared.json()["investment_cny"] == 10_000_000_000  # untouched
    described = patch({"description": "A lighthouse factory."})  # our words need no citation
    assert described.json()["description"] == "A lighthouse factory."


@pytest.mark.usefixtures("source_text")
def test_delete_leaves_every_read_but_keeps_the_history(
    client: TestClient, curator: dict[str, str]
) -> None:
    created = client.post("/api/v1/projects", json=new_project(), headers=curator)
    path = created.headers["location"]
    assert_problem(client.delete(path, headers=curator), 428)
    assert_problem(client.delete(path, headers={**curator, "If-Match": '"old"'}), 412)
    gone = client.delete(path, headers={**curator, "If-Match": created.headers["etag"]})
    assert gone.status_code == 204
    assert_problem(client.get(path), 404)
    assert client.get("/api/v1/projects", params={"q": "光伏示范"}).json()["items"] == []
    history = client.get(f"{path}/history").json()["items"]
    assert [change["action"] for change in history] == ["create", "delete"]
    assert history[0]["actor"] == "curator"
    assert history[0]["at"].endswith("Z")
    assert history[1]["before"]["name"] == "常州光伏示范项目"
    assert history[1]["after"] is None


def test_a_record_others_refer_to_cannot_be_deleted(
    client: TestClient, curator: dict[str, str]
) -> None:
    path = "/api/v1/organizations/jiangsu-catl"
    response = client.delete(
        path, headers={**curator, "If-Match": client.get(path).headers["etag"]}
    )
    body = assert_problem(response, 409)
    assert "project_organizations.organization_id" in body["detail"]
    assert client.get("/api/v1/organizations/jiangsu-catl").status_code == 200


@pytest.mark.usefixtures("source_text")
def test_a_name_with_no_letters_still_gets_a_valid_id(
    client: TestClient, curator: dict[str, str]
) -> None:
    body = {"name": "：", "citations": [cite("name")]}
    created = client.post("/api/v1/renewal-cases", json=body, headers=curator)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "renewal-cases"
    again = client.post("/api/v1/renewal-cases", json=body, headers=curator)
    assert again.json()["id"] == "renewal-cases-2"


@pytest.mark.parametrize(
    "path", [collection.path for collection in DOCUMENTED if collection.writable]
)
def test_every_writable_collection_takes_a_patch_and_a_delete(
    client: TestClient, curator: dict[str, str], path: str
) -> None:
    """A write locks the record it changes, on every collection, whatever it is loaded with."""
    record_id = client.get(f"/api/v1{path}", params={"sort": "-id", "limit": 1}).json()["items"][0][
        "id"
    ]
    record = client.get(f"/api/v1{path}/{record_id}")
    patched = client.patch(
        f"/api/v1{path}/{record_id}",
        json={},
        headers={**curator, "If-Match": record.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    removed = client.delete(
        f"/api/v1{path}/{record_id}", headers={**curator, "If-Match": patched.headers["etag"]}
    )
    assert removed.status_code in (204, 409), removed.text


@pytest.mark.usefixtures("source_text")
def test_history_and_as_of(client: TestClient, curator: dict[str, str]) -> None:
    created = client.post("/api/v1/projects", json=new_project(), headers=curator)
    path = created.headers["location"]
    client.patch(
        path,
        json={"status": "under_construction", "citations": [cite("status")]},
        headers={**curator, "If-Match": created.headers["etag"]},
    )
    history = client.get(f"{path}/history").json()["items"]
    assert [change["action"] for change in history] == ["create", "update"]
    assert history[1]["before"]["status"] == "signed"
    assert history[1]["after"]["status"] == "under_construction"
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    assert_problem(client.get(path, params={"as_of": yesterday}), 404)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert client.get(path, params={"as_of": today}).json()["status"] == "under_construction"
    seeded = client.get("/api/v1/projects/catl-ly7", params={"as_of": "2020-01-01"})
    assert seeded.json()["id"] == "catl-ly7"  # no recorded change: as it is now
    assert_problem(client.get("/api/v1/projects/never-was/history"), 404)
    assert_problem(client.get("/api/v1/projects/never-was", params={"as_of": today}), 404)


@pytest.mark.usefixtures("source_text")
def test_figures_are_written_in_the_seed_format(
    client: TestClient, curator: dict[str, str]
) -> None:
    body = {
        "subject": {"type": "project", "id": "catl-ly9"},
        "metric": "total_investment",
        "label": "Total investment",
        "value": 100,
        "value_stated": "100",
        "unit": "亿元",
        "qualifier": "exact",
        "kind": "actual",
        "citation": cite(quote="总投资100亿元"),
    }
    response = client.post("/api/v1/figures", json=body, headers=curator)
    assert response.status_code == 201, response.text
    figure = response.json()
    assert figure["id"] == "catl-ly9-total-investment"
    assert (figure["value_normalized"], figure["unit_normalized"]) == (10**10, "CNY")
    unknown_unit = client.post("/api/v1/figures", json={**body, "unit": "马力"}, headers=curator)
    assert_problem(unknown_unit, 422)


@pytest.mark.usefixtures("source_text")
def test_a_figure_states_the_number_its_text_and_quote_state(
    client: TestClient, curator: dict[str, str]
) -> None:
    """Where `value_stated` writes its number in digits, `value` is that number and the quote
    states it: a figure cannot cite 580米长的光伏长廊 for a length of -999."""
    body = {
        "subject": {"type": "park", "id": "songjianhu-optoelectronics-harbor"},
        "metric": "pv_corridor_length_m",
        "label": "Length",
        "value": -999,
        "value_stated": "12345",
        "unit": "米",
        "qualifier": "exact",
        "kind": "actual",
        "citation": {**cite(), "paragraph": 19, "quote": "580米长的光伏长廊"},
    }
    problem = assert_problem(client.post("/api/v1/figures", json=body, headers=curator), 422)
    assert sorted(error["loc"][-1] for error in problem["errors"]) == ["quote", "value"], problem
    stated = {**body, "value": 12345}
    problem = assert_problem(client.post("/api/v1/figures", json=stated, headers=curator), 422)
    assert [error["loc"][-1] for error in problem["errors"]] == ["quote"], problem
    true = {**body, "metric": "corridor_length", "value": 580, "value_stated": "580"}
    assert client.post("/api/v1/figures", json=true, headers=curator).status_code == 201


@pytest.mark.usefixtures("source_text")
def test_writes_are_rate_limited_per_key(
    client: TestClient, session: Session, curator: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails spends its token as one that succeeds does; nothing else of it stays."""
    limiter = RateLimiter(per_minute=3)
    monkeypatch.setattr("app.auth.write_limiter", lambda: limiter)
    before = count(session)
    statuses = [
        client.post("/api/v1/projects", json=body, headers=curator).status_code
        for body in (new_project(), new_project(sector="光伏"), new_project(), new_project())
    ]
    assert statuses == [201, 422, 201, 429]
    assert count(session) == before + 2
    limited = client.post("/api/v1/projects", json=new_project(), headers=curator)
    assert_problem(limited, 429)
    assert int(limited.headers["retry-after"]) >= 1
    assert write_limiter() is not limiter


@pytest.mark.usefixtures("source_text")
def test_concurrent_read_modify_write_loses_no_update(shared_database: Engine) -> None:
    with Session(shared_database) as session, session.begin():
        tokens = [
            create_key(session=session, name=f"racer-{n}", scope=Scope.curator)[1] for n in range(8)
        ]
    path = "/api/v1/projects/catl-ly8"
    setup = app_on(shared_database)
    first = setup.get(path)
    setup.patch(
        path,
        json={"description": "edits 0"},
        headers={"Authorization": f"Bearer {tokens[0]}", "If-Match": first.headers["etag"]},
    )
    applied: list[int] = []
    refused: list[int] = []
    errors: list[str] = []

    def writer(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        client = TestClient(setup.app)
        for _ in range(50):
            current = client.get(path)
            edits = int(current.json()["description"].removeprefix("edits "))
            response = client.patch(
                path,
                json={"description": f"edits {edits + 1}"},
                headers={**headers, "If-Match": current.headers["etag"]},
            )
            if response.status_code == 200:
                applied.append(1)
            elif response.status_code == 412:
                refused.append(1)
            else:
                errors.append(f"{response.status_code} {response.text}")

    threads = [threading.Thread(target=writer, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(applied) + len(refused) == 400
    assert setup.get(path).json()["description"] == f"edits {len(applied)}"
    assert len(list(walk(setup, f"{path}/history"))) == len(applied) + 1


@pytest.mark.usefixtures("source_text")
def test_the_key_is_recorded_on_use(session: Session, client: TestClient) -> None:
    key, token = create_key(session=session, name="user", scope=Scope.curator)
    client.post(
        "/api/v1/projects", json=new_project(), headers={"Authorization": f"Bearer {token}"}
    )
    session.refresh(key)
    assert isinstance(key, ApiKey)
    assert key.last_used_at is not None
