"""What analysts and frontends ask of every collection: CSV, aggregates, facets, search,
caching headers, and bad input that never becomes a 500."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.api.collection import Collection
from app.api.projects import COLLECTION as PROJECTS
from app.api.registry import COLLECTIONS
from app.models import Project
from app.models.enums import ProjectStatus
from tests.factories import assert_problem, make_project, walk


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def parse_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def add_projects(session: Session, count: int) -> None:
    statuses = [None, *ProjectStatus]
    for index in range(count):
        make_project(
            session,
            project_id=f"synthetic-{index:04d}",
            name=f"合成项目{index % 7}",
            investment_cny=None if index % 5 == 0 else (index % 9) * 10**8,
            status=statuses[index % len(statuses)],
            district_id=("changzhou", "liyang", None)[index % 3],
        )


# Filters ---------------------------------------------------------------------------------


def test_null_matches_records_where_the_field_is_not_stated(client: TestClient) -> None:
    assert ids(client.get("/api/v1/projects", params={"sector": "null"})) == [
        "catl-ly7",
        "catl-ly8",
    ]
    both = client.get("/api/v1/projects", params=[("sector", "null"), ("sector", "新能源")])
    assert sorted(ids(both)) == ["catl-ly7", "catl-ly8", "catl-ly9"]
    assert ids(client.get("/api/v1/zero-carbon-factories", params={"year": "null"})) == [
        "jiangsu-catl-zero-carbon"
    ]


def test_every_list_filter_is_documented_with_an_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    parameters = {p["name"]: p for p in spec["paths"]["/api/v1/projects"]["get"]["parameters"]}
    for name in ("status", "investment_cny_min", "q", "sort", "fields", "format"):
        assert parameters[name]["description"], name
        assert parameters[name]["schema"].get("examples"), name
    # A cursor is only ever one the server issued: an example would be refused when tried.
    assert parameters["cursor"]["description"]
    assert "examples" not in parameters["cursor"]["schema"]


# Pagination ------------------------------------------------------------------------------

SORT_KEYS = list(PROJECTS.spec.sortable)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sort=st.lists(st.sampled_from(SORT_KEYS), min_size=1, max_size=3, unique=True),
    descending=st.lists(st.booleans(), min_size=3, max_size=3),
    limit=st.integers(min_value=1, max_value=15),
    status=st.lists(st.sampled_from([*ProjectStatus, "null"]), max_size=2, unique=True),
    district=st.sampled_from([None, "changzhou", "liyang", "null"]),
    investment_min=st.sampled_from([None, 0, 3 * 10**8]),
)
def test_concatenated_pages_equal_the_unpaginated_result(
    client: TestClient,
    session: Session,
    sort: list[str],
    descending: list[bool],
    limit: int,
    status: list[str],
    district: str | None,
    investment_min: int | None,
) -> None:
    if session.get(Project, "synthetic-0000") is None:
        add_projects(session, 45)
    params: dict[str, Any] = {
        "sort": ",".join(
            ("-" if down else "") + key for key, down in zip(sort, descending, strict=False)
        ),
    }
    if status:
        params["status"] = status
    if district:
        params["district_id"] = district
    if investment_min is not None:
        params["investment_cny_min"] = investment_min
    whole = client.get("/api/v1/projects", params={**params, "limit": 200}).json()
    assert whole["next_cursor"] is None
    paged = [item["id"] for item in walk(client, "/api/v1/projects", **params, limit=limit)]
    assert paged == [item["id"] for item in whole["items"]]
    assert len(paged) == whole["total"]


# CSV -------------------------------------------------------------------------------------


def test_csv_has_the_same_rows_filters_and_sort_as_json(client: TestClient) -> None:
    params = {"sort": "-investment_cny,name", "status": ["signed", "landed"]}
    json_ids = ids(client.get("/api/v1/projects", params=params))
    rows = parse_csv(client.get("/api/v1/projects", params={**params, "format": "csv"}))
    assert [row["id"] for row in rows] == json_ids
    by_accept = client.get("/api/v1/projects", params=params, headers={"Accept": "text/csv"})
    assert parse_csv(by_accept) == rows
    assert rows[0]["name"] == "江苏时代新能源灯塔工厂LY9项目"
    assert rows[0]["investment_cny"] == "10000000000"
    joint = next(row for row in rows if row["id"].startswith("arcelormittal"))
    assert joint["organization_ids"] == "arcelormittal|china-oriental-group"
    assert joint["investment_cny"] == ""


def test_csv_takes_fields_and_an_explicit_limit(client: TestClient) -> None:
    response = client.get(
        "/api/v1/figures", params={"format": "csv", "fields": "id,value,unit", "limit": 2}
    )
    rows = parse_csv(response)
    assert len(rows) == 2
    assert list(rows[0]) == ["id", "value", "unit"]


def test_csv_streams_every_row_in_batches(client: TestClient, session: Session) -> None:
    add_projects(session, 1200)
    with client.stream(
        "GET",
        "/api/v1/projects",
        params={"format": "csv", "fields": "id"},
        headers={"Accept-Encoding": "identity"},
    ) as response:
        chunks = list(response.iter_raw())
    assert len(chunks) >= 3
    lines = b"".join(chunks).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 1206


def test_csv_refuses_bad_parameters_before_streaming(client: TestClient) -> None:
    assert_problem(
        client.get("/api/v1/projects", params={"format": "csv", "sort": "x"}), 400, "sort"
    )
    assert_problem(client.get("/api/v1/projects", params={"format": "xml"}), 422, "format")


def test_csv_has_an_etag_that_changes_with_the_data(client: TestClient, session: Session) -> None:
    first = client.get("/api/v1/projects", params={"format": "csv"})
    etag = first.headers["etag"]
    again = client.get(
        "/api/v1/projects", params={"format": "csv"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    make_project(session, project_id="one-more")
    changed = client.get(
        "/api/v1/projects", params={"format": "csv"}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert any(row["id"] == "one-more" for row in parse_csv(changed))


# Aggregates ------------------------------------------------------------------------------


def test_stats_count_and_aggregate_per_group(client: TestClient) -> None:
    body = client.get("/api/v1/stats/projects", params={"group_by": "status"}).json()
    groups = {group["status"]: group for group in body["groups"]}
    assert body["total"] == 6
    assert groups["landed"]["count"] == 3
    assert groups["landed"]["investment_cny_sum"] is None
    assert groups["signed"]["investment_cny_sum"] == 10**10
    assert groups["signed"]["investment_cny_avg"] == 10**10
    assert body["groups"][0]["status"] == "landed"  # largest group first


def test_stats_group_by_two_fields_with_filters(client: TestClient) -> None:
    body = client.get(
        "/api/v1/stats/zero-carbon-factories",
        params={"group_by": "district_id,level", "year": 2025},
    ).json()
    assert body["groups"] == [
        {"district_id": "changzhou", "level": "near_zero_carbon", "count": 3},
        {"district_id": "changzhou", "level": "zero_carbon", "count": 1},
    ]
    assert body["total"] == 4


def test_stats_without_group_by_is_one_group(client: TestClient) -> None:
    body = client.get("/api/v1/stats/figures", params={"unit_normalized": "CNY"}).json()
    assert len(body["groups"]) == 1
    group = body["groups"][0]
    assert group["count"] == 5
    assert group["value_normalized_max"] == 10**10
    assert group["value_normalized_min"] == 6.5 * 10**6


def test_stats_refuse_unknown_groups_and_parameters(client: TestClient) -> None:
    assert_problem(
        client.get("/api/v1/stats/projects", params={"group_by": "name"}), 400, "group_by"
    )
    assert_problem(client.get("/api/v1/stats/projects", params={"limit": 5}), 400, "limit")


def test_facets_count_each_value_under_the_filters(client: TestClient) -> None:
    body = client.get("/api/v1/stats/projects/facets", params={"q": "江苏时代"}).json()
    assert body["total"] == 3
    assert {row["value"]: row["count"] for row in body["facets"]["status"]} == {
        "signed": 1,
        "in_production": 1,
        "under_construction": 1,
    }
    assert body["facets"]["sector"][0] == {"value": None, "count": 2}


# Search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("光伏", ("park", "songjianhu-optoelectronics-harbor")),
        ("零碳", ("zero_carbon_factory", "wanbang-digital-energy-2025")),
        ("常州", ("district", "changzhou")),
        ("寧德時代", ("organization", "catl")),
        ("宁德时代", ("organization", "catl")),
        ("Catl", ("organization", "catl")),
        ("ARCELORMITTAL", ("organization", "arcelormittal")),
        ("光", ("park", "songjianhu-optoelectronics-harbor")),
    ],
)
def test_search_finds_across_collections(
    client: TestClient, q: str, expected: tuple[str, str]
) -> None:
    body = client.get("/api/v1/search", params={"q": q, "limit": 100}).json()
    found = [(item["type"], item["id"]) for item in body["items"]]
    assert expected in found
    assert body["total"] >= len(found)
    for item in body["items"]:
        assert item["url"].endswith("/" + item["id"])
        assert item["snippet"]


def test_search_ranks_an_exact_name_first_with_a_snippet(client: TestClient) -> None:
    first = client.get("/api/v1/search", params={"q": "宁德时代"}).json()["items"][0]
    assert first == {
        "type": "organization",
        "id": "catl",
        "name": "宁德时代",
        "name_en": "CATL",
        "snippet": "宁德时代",
        "url": "/api/v1/organizations/catl",
    }


def test_search_pages_without_repeats(client: TestClient) -> None:
    everything = [
        (item["type"], item["id"])
        for item in client.get("/api/v1/search", params={"q": "常州", "limit": 100}).json()["items"]
    ]
    paged = [
        (item["type"], item["id"]) for item in walk(client, "/api/v1/search", q="常州", limit=3)
    ]
    assert paged == everything


def test_search_filters_by_type(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "常州", "type": "project"}).json()
    assert body["items"]
    assert {item["type"] for item in body["items"]} == {"project"}


def test_q_on_a_collection_finds_two_character_words(client: TestClient) -> None:
    assert ids(client.get("/api/v1/parks", params={"q": "光伏"})) == [
        "songjianhu-optoelectronics-harbor"
    ]
    assert sorted(ids(client.get("/api/v1/zero-carbon-factories", params={"q": "零碳"}))) == [
        "borui-power-automation-2025",
        "huapeng-smart-meters-2025",
        "jiangsu-catl-zero-carbon",
        "luokai-electromechanical-2025",
        "wanbang-digital-energy-2025",
    ]


def test_search_follows_every_write(client: TestClient, session: Session) -> None:
    make_project(session, project_id="solar-farm", name="光伏电站示范项目")
    assert "solar-farm" in ids(client.get("/api/v1/projects", params={"q": "電站"}))
    project = session.get(Project, "solar-farm")
    assert project is not None
    project.name, project.name_zh_hant = "储能电站", "儲能電站"
    session.flush()
    assert ids(client.get("/api/v1/projects", params={"q": "光伏电站"})) == []
    assert ids(client.get("/api/v1/projects", params={"q": "储能"})) == ["solar-farm"]
    session.delete(project)
    session.flush()
    assert ids(client.get("/api/v1/projects", params={"q": "储能"})) == []
    leftover = session.execute(
        text("SELECT count(*) FROM search_grams WHERE subject_id = 'solar-farm'")
    ).scalar()
    assert leftover == 0


def test_q_is_answered_from_the_bigram_index(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("this reads SQLite's query plan; PostgreSQL's is checked in the scale tests")
    from sqlalchemy import select

    from app.search import matches

    statement = select(Project.id).where(
        matches(session, Project.citation_subject, Project.id, Project.search_text, "江苏时代")
    )
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = " | ".join(
        str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
    )
    assert (
        "SEARCH search_grams USING PRIMARY KEY" in plan or "sqlite_autoindex_search_grams" in plan
    ), plan
    assert "SCAN projects" not in plan, plan


# HTTP ------------------------------------------------------------------------------------

GET_PATHS = [
    "/api/v1/projects",
    "/api/v1/projects/catl-ly9",
    "/api/v1/projects?format=csv",
    "/api/v1/stats/projects?group_by=status",
    "/api/v1/stats/parks/facets",
    "/api/v1/search?q=光伏",
    "/healthz",
]


@pytest.mark.parametrize("path", GET_PATHS)
def test_every_get_has_a_strong_etag_and_answers_304(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    etag = response.headers["etag"]
    assert etag.startswith('"')
    assert response.headers["cache-control"] == "public, no-cache"
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_large_bodies_are_gzipped_and_small_ones_are_not(client: TestClient) -> None:
    large = client.get("/api/v1/figures", params={"limit": 50})
    assert large.headers["content-encoding"] == "gzip"
    small = client.get("/healthz")
    assert "content-encoding" not in small.headers


def test_cors_preflight_allows_reads(client: TestClient) -> None:
    response = client.options(
        "/api/v1/projects",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


# Bad input -------------------------------------------------------------------------------

SQL_FRAGMENTS = ["' OR '1'='1", "1; DROP TABLE projects; --", '" UNION SELECT * FROM sources --']


def list_parameters(collection: Collection) -> list[str]:
    return [*collection.filters.model_fields, "limit", "cursor", "sort", "fields", "format"]


@pytest.mark.parametrize("collection", COLLECTIONS, ids=lambda collection: collection.path)
def test_sql_fragments_in_every_parameter_are_harmless(
    client: TestClient, collection: Collection
) -> None:
    path = "/api/v1" + collection.path
    before = client.get(path, params={"limit": 200}).json()["total"]
    for parameter in list_parameters(collection):
        for fragment in SQL_FRAGMENTS:
            response = client.get(path, params={parameter: fragment})
            assert response.status_code in (200, 400, 422), (parameter, response.text)
            if response.status_code == 200:
                assert response.json()["total"] in (0, before), parameter
            else:
                assert parameter in response.json()["detail"]
    assert client.get(path, params={"limit": 200}).json()["total"] == before


@pytest.mark.parametrize("collection", COLLECTIONS, ids=lambda collection: collection.path)
def test_numbers_beyond_64_bits_are_refused_by_name(
    client: TestClient, collection: Collection
) -> None:
    path = "/api/v1" + collection.path
    filters = collection.filters.model_fields
    integers = [name for name, field in filters.items() if "int" in str(field.annotation)]
    floats = [name for name, field in filters.items() if "float" in str(field.annotation)]
    cases = [
        *((name, value) for name in [*integers, "limit"] for value in (str(2**64), str(-(2**64)))),
        *((name, value) for name in floats for value in ("1e400", "-inf", "NaN")),
    ]
    for parameter, value in cases:
        if True:
            response = client.get(path, params={parameter: value})
            assert response.status_code in (400, 422), (parameter, value, response.text)
            assert parameter in response.json()["detail"], (parameter, value)


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/api/v1/search", {"q": "x" * 10_000}, "q"),
        ("/api/v1/search", {"q": "光\x00伏"}, "q"),
        ("/api/v1/search", {"q": "\x1b[31m"}, "q"),
        ("/api/v1/search", {}, "q"),
        ("/api/v1/search", {"q": "光伏", "cursor": "forged"}, "cursor"),
        ("/api/v1/search", {"q": "光伏", "type": "planet"}, "type"),
        ("/api/v1/parks", {"q": "x" * 10_000}, "q"),
        ("/api/v1/parks", {"cursor": "eyJzIjoibmFtZSJ9"}, "cursor"),
        (
            "/api/v1/figures",
            {"value_normalized_min": 5, "value_normalized_max": 1},
            "value_normalized_min",
        ),
        ("/api/v1/sources", {"date_min": "2026-01-01", "date_max": "2025-01-01"}, "date_min"),
        ("/api/v1/stats/projects", {"group_by": "status,status"}, "group_by"),
        ("/api/v1/projects", {"limit": "-1"}, "limit"),
        ("/api/v1/projects", {"limit": ""}, "limit"),
    ],
)
def test_bad_input_is_a_4xx_problem_naming_the_parameter(
    client: TestClient, path: str, params: dict[str, Any], parameter: str
) -> None:
    response = client.get(path, params=params)
    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code, parameter)


def test_a_truncated_cursor_is_refused(client: TestClient) -> None:
    cursor = client.get("/api/v1/projects", params={"limit": 2}).json()["next_cursor"]
    for cut in (1, len(cursor) // 2, len(cursor) - 1):
        response = client.get("/api/v1/projects", params={"limit": 2, "cursor": cursor[:cut]})
        assert_problem(response, 400, "cursor")


def test_gram_counts_follow_every_write(client: TestClient, session: Session) -> None:
    def mismatches() -> list[Any]:
        return list(
            session.execute(
                text(
                    "SELECT c.subject_type, c.gram, c.records, "
                    "(SELECT count(*) FROM search_grams g WHERE g.subject_type = c.subject_type "
                    "AND g.gram = c.gram) AS actual FROM search_gram_counts c "
                    "WHERE c.records <> (SELECT count(*) FROM search_grams g "
                    "WHERE g.subject_type = c.subject_type AND g.gram = c.gram)"
                )
            )
        )

    assert mismatches() == []
    make_project(session, project_id="counted", name="光伏示范项目")
    project = session.get(Project, "counted")
    assert project is not None
    project.name, project.name_zh_hant = "储能项目", "儲能項目"
    session.flush()
    assert mismatches() == []
    session.delete(project)
    session.flush()
    assert mismatches() == []
    assert ids(client.get("/api/v1/projects", params={"q": "储能"})) == []
