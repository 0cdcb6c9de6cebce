"""What a list query can ask of every collection: filters and `q`, search, sort, cursors
(signed with the installation's own key and good only for their list), sparse fields, stats
and facets, and bad input to any of them (parameters given too often included), which is a
4xx problem naming the parameter and never a 500. Records, pages, CSV and HTTP behaviour
(ETags, CORS) are in tests/test_read_api.py."""

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, or_, select, text
from sqlalchemy.orm import Session

from app.collections.base import Collection
from app.collections.catalog import DOCUMENTED
from app.collections.projects import COLLECTION as PROJECTS
from app.models import Project, Scope
from app.models.enums import ProjectStatus
from app.services.keys import create_key
from tests.factories import (
    ORGANIZATIONS,
    PROJECTS_PATH,
    SOURCE_ID,
    Params,
    add_projects,
    assert_problem,
    ids,
    make_project,
    walk,
)


def cursor_key_of(database: Session | Engine) -> bytes:
    """The key this installation signs its cursors with, as it keeps it in its database."""
    statement = text("SELECT value FROM installation_settings WHERE name = 'cursor_key'")
    if isinstance(database, Engine):
        with database.connect() as connection:
            value = connection.scalar(statement)
    else:
        value = database.scalar(statement)
    assert value is not None
    return str(value).encode()


def forge(payload: bytes, key: bytes) -> str:
    """A cursor token as the server seals one, with any payload."""
    signature = hmac.new(key, payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(payload + signature).decode().rstrip("=")


# Filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("projects", {"status": "signed"}, ["catl-ly9"]),
        ("projects", [("status", "signed"), ("status", "in_production")], ["catl-ly7", "catl-ly9"]),
        (
            "projects",
            {"organization_id": "arcelormittal"},
            ["arcelormittal-china-oriental-soft-magnetics"],
        ),
        ("projects", {"sector": "智慧移动"}, ["ninebot-smart-mobility"]),
        ("projects", {"status_date_min": "2025-11-01"}, ["catl-ly9"]),
        ("parks", {"district_id": "changzhou-edz"}, ["songjianhu-optoelectronics-harbor"]),
        ("parks", {"parent_id": "west-taihu-ai-community"}, ["origin-space"]),
        (
            "parks",
            {"group_id": "canal-creative-cluster"},
            ["canal-no5", "hanghai-instrument-factory", "sauce-factory"],
        ),
        ("parks", {"kind": "site_cluster"}, ["canal-creative-cluster"]),
        ("renewal-cases", {"former_occupant_id": "xinyu-group"}, ["xinyu-canal-bay-renewal"]),
        ("renewal-cases", {"plot_ratio_after_min": 2}, ["hutang-sci-tech-park-renewal"]),
        ("renewal-cases", {"approach": "工业转科研"}, ["wuxing-renewal"]),
        (
            "zero-carbon-factories",
            {"level": "zero_carbon"},
            ["jiangsu-catl-zero-carbon", "wanbang-digital-energy-2025"],
        ),
        (
            "zero-carbon-factories",
            {"level": "near_zero_carbon", "year": 2025, "issuer_id": "jiangsu-miit"},
            [
                "borui-power-automation-2025",
                "huapeng-smart-meters-2025",
                "luokai-electromechanical-2025",
            ],
        ),
        ("organizations", {"parent_id": "catl"}, ["jiangsu-catl"]),
        ("organizations", {"park_id": "xinyu-canal-bay"}, ["jiangsu-xinci-materials"]),
        ("districts", {"parent_id": "changzhou"}, ["changzhou-edz"]),
        ("districts", {"parent_id": "null"}, ["jiangsu", "liyang"]),
        ("districts", {"kind": "province"}, ["jiangsu"]),
        (
            "figures",
            {"subject_id": "catl-ly9", "kind": "actual"},
            ["catl-ly9-investment", "catl-ly9-investment-over"],
        ),
        (
            "figures",
            {"kind": "target"},
            [
                "changzhou-near-zero-carbon-factories-target",
                "changzhou-near-zero-carbon-parks-target",
            ],
        ),
        ("figures", {"unit_normalized": "kW"}, ["songjianhu-pv-capacity"]),
        ("sources", {"date_min": "2025-11-26", "date_max": "2025-11-26"}, []),
        ("sources", {"language": "zh-Hans"}, [SOURCE_ID]),
        (
            "events",
            {"date_min": "2025-11-26", "date_max": "2025-11-26"},
            ["changzhou-city-work-conference-2025"],
        ),
        ("figures", {"district_id": "liyang"}, ["catl-liyang-ten-billion-projects"]),
        (
            "recognitions",
            {"kind": "ranking"},
            ["changzhou-talent-friendly-city-2024", "changzhou-talent-friendly-city-2025"],
        ),
        (
            "recognitions",
            {"rank_min": 50, "rank_max": 50, "year_max": 2024},
            ["changzhou-talent-friendly-city-2024"],
        ),
        ("events", {"month_min": 10}, ["changzhou-city-work-conference-2025"]),
        ("events", {"month_max": 9, "year_min": 2025}, ["energy-expo-su-super-campaign"]),
        ("organizations", {"tenant_order_max": 1}, ["jiangsu-xinci-materials"]),
        ("organizations", {"settled_year_max": 2016}, ["catl"]),
        ("parks", {"pv_corridor_length_m_min": 580}, ["songjianhu-optoelectronics-harbor"]),
        ("renewal-cases", {"plot_ratio_before_max": 1.1}, ["hutang-sci-tech-park-renewal"]),
        ("figures", {"value_min": 5000}, ["songjianhu-coal-saved"]),
        ("figures", {"period_end_max": "2024-12-31"}, ["changzhou-talent-friendly-top50-2024"]),
        ("programmes", {"period_end_min": "2030-12-31"}, ["fifteenth-five-year-plan"]),
        ("projects", {"investment_qualifier": "order_of_magnitude"}, ["catl-ly7", "catl-ly8"]),
        (
            "renewal-cases",
            {"floor_area_qualifier": "more_than"},
            ["changfang-creative-park-renewal"],
        ),
        ("organizations", {"tenant_status": "in_full_production"}, ["jiangsu-xinci-materials"]),
        (
            "recognitions",
            {"rank_qualifier": "at_most"},
            ["changzhou-talent-friendly-city-2024", "changzhou-talent-friendly-city-2025"],
        ),
    ],
)
def test_filters(client: TestClient, path: str, params: Any, expected: list[str]) -> None:
    response = client.get(f"/api/v1/{path}", params=params)
    assert sorted(ids(response)) == expected
    assert response.json()["total"] == len(expected)


def test_filters_combine_with_and(client: TestClient) -> None:
    response = client.get(
        "/api/v1/projects", params={"status": "landed", "organization_id": "ninebot"}
    )
    assert ids(response) == ["ninebot-smart-mobility"]
    none = client.get("/api/v1/projects", params={"status": "signed", "organization_id": "ninebot"})
    assert ids(none) == []


def test_null_matches_records_where_the_field_is_not_stated(client: TestClient) -> None:
    assert ids(client.get("/api/v1/projects", params={"sector": "null"})) == [
        "catl-ly7",
        "catl-ly8",
        "catl-ly9",
    ]
    both = client.get("/api/v1/projects", params=[("sector", "null"), ("sector", "新能源软磁材料")])
    assert sorted(ids(both)) == [
        "arcelormittal-china-oriental-soft-magnetics",
        "catl-ly7",
        "catl-ly8",
        "catl-ly9",
    ]
    assert ids(client.get("/api/v1/zero-carbon-factories", params={"year": "null"})) == [
        "jiangsu-catl-zero-carbon"
    ]


def test_one_value_several_and_null_each_select_what_they_name(
    client: TestClient, session: Session
) -> None:
    """One value is compared with `=`, several with `IN`: the statements kept for one shape of
    query are never run for the other (with a page and a count of their own)."""
    statuses = session.scalars(select(Project.status).distinct())
    first, second = sorted(status for status in statuses if status is not None)[:2]
    for chosen in ([first], [first, second], [second], [first, "null"], [second, first, "null"]):
        stated = [value for value in chosen if value != "null"]
        expected = session.scalars(
            select(Project.id).where(
                or_(Project.status.in_(stated), Project.status.is_(None))
                if "null" in chosen
                else Project.status.in_(stated)
            )
        ).all()
        for limit in (2, 100):  # a page with its count, and one that finds every record
            response = client.get(
                "/api/v1/projects", params=[("limit", limit), *(("status", v) for v in chosen)]
            )
            assert response.status_code == 200, response.text
            assert response.json()["total"] == len(expected), chosen
        assert sorted(ids(response)) == sorted(expected), chosen
    assert len(expected) > 2  # so that the first page's count was not its length


def test_every_list_filter_is_documented_with_an_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, names in (
        ("/api/v1/projects", ("status", "investment_cny_min", "q", "sort", "format")),
        ("/api/v1/projects.json", ("status", "investment_cny_min", "q", "sort", "fields")),
        ("/api/v1/projects.csv", ("status", "investment_cny_min", "q", "sort", "fields")),
    ):
        parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        for name in names:
            assert parameters[name]["description"], name
            # On the parameter itself, where Swagger UI shows it (not only in its schema).
            assert parameters[name]["example"], name
        # A cursor is only ever one the server issued: an example would be refused when tried.
        assert parameters["cursor"]["description"]
        assert "example" not in parameters["cursor"]
        assert "examples" not in parameters["cursor"]["schema"]


def record_fields(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str, list[Any]]]:
    """Each field of each list's record, as /openapi.json declares it: the list's path, its
    parameters' schemas by name, the field's name and its schemas other than null."""
    schemas = spec["components"]["schemas"]

    def named(reference: str) -> Any:
        return schemas[reference.rsplit("/", 1)[1]]

    for item in DOCUMENTED:
        operation = spec["paths"][f"/api/v1{item.path}"]["get"]
        parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
        page = named(operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"])
        record = named(page["properties"]["items"]["items"]["$ref"])
        for name, field in record["properties"].items():
            options = [
                named(option["$ref"]) if "$ref" in option else option
                for option in field.get("anyOf", [field])
                if option != {"type": "null"}
            ]
            yield item.path, parameters, name, options


def test_every_number_and_date_of_a_record_has_a_range_filter(client: TestClient) -> None:
    """The conventions' `{field}_min` / `{field}_max` on every number and date a record of the
    list has, as /openapi.json declares them: the record's and its filter's type alike."""
    missing, checked = [], 0
    for path, parameters, name, options in record_fields(client.get("/openapi.json").json()):
        kind = (options[0].get("type"), options[0].get("format"))
        if kind not in (("integer", None), ("number", None), ("string", "date")):
            continue
        checked += 1
        for bound in (f"{name}_min", f"{name}_max"):
            declared = parameters.get(bound, {})
            if (declared.get("type"), declared.get("format")) != kind:
                missing.append(f"{path} {bound}")
    assert missing == []
    assert checked >= 24


def test_every_enum_and_reference_of_a_record_has_an_equality_filter(client: TestClient) -> None:
    """The conventions' equality filters on enums and references: each enum and `..._id` field
    of a list's record is a repeatable parameter of the same name."""
    missing, checked = [], 0
    for path, parameters, name, options in record_fields(client.get("/openapi.json").json()):
        enum = any("enum" in option for option in options)
        reference = name.endswith("_id") and [option.get("type") for option in options] == [
            "string"
        ]
        if not enum and not reference:
            continue
        checked += 1
        if parameters.get(name, {}).get("type") != "array":
            missing.append(f"{path} {name}")
    assert missing == []
    assert checked >= 52


def test_every_documented_example_is_taken_when_tried(client: TestClient) -> None:
    """Each query parameter's example, sent alone, as /docs' "Try it out" sends it: never
    refused (a generated client or a schema-driven tester relies on it)."""
    spec = client.get("/openapi.json").json()
    tried = 0
    for path, operations in spec["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        parameters = [p for p in operations["get"].get("parameters", []) if p["in"] == "query"]
        required = {p["name"]: p["example"] for p in parameters if p.get("required")}
        for parameter in parameters:
            if "example" not in parameter:
                continue
            name, example = parameter["name"], parameter["example"]
            # What a generated client sends: a value of the type the schema declares.
            jsonschema.validate(example, {**parameter["schema"], **spec})
            response = client.get(path, params={**required, name: example})
            assert response.status_code == 200, (path, name, example, response.text)
            tried += 1
    assert tried > 300


def test_q_matches_simplified_traditional_and_english(client: TestClient) -> None:
    simplified = ids(client.get("/api/v1/organizations", params={"q": "宁德时代"}))
    traditional = ids(client.get("/api/v1/organizations", params={"q": "寧德時代"}))
    english = ids(client.get("/api/v1/organizations", params={"q": "catl"}))
    assert simplified == traditional == english == ["catl"]
    assert ids(client.get("/api/v1/parks", params={"q": "光電"})) == [
        "songjianhu-optoelectronics-harbor"
    ]
    assert ids(client.get("/api/v1/zero-carbon-factories", params={"q": "万帮"})) == [
        "wanbang-digital-energy-2025"
    ]


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


def test_the_organization_filter_seeks_its_links_through_their_index(session: Session) -> None:
    """No subquery correlated with each project: the links of the named organizations are
    found once, through the index on `organization_id`."""
    from app.collections.projects import COLLECTION
    from app.listing.params import parse_sort
    from app.listing.statements import page_statements

    query = COLLECTION.list_query.model_validate({"organization_id": ORGANIZATIONS})
    keys = parse_sort(query.sort, COLLECTION.list_spec)
    statements = page_statements(session, COLLECTION.list_spec, query, keys, None, query.limit)
    connection = session.connection()
    for statement in (statements.bound(statements.seeks[0]), statements.counting):
        sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
        if connection.dialect.name == "sqlite":
            explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(row[3] for row in explained)
            assert "CORRELATED" not in plan, plan
            assert "ix_project_organizations_organization_id" in plan, plan
        else:
            plan = " ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
            assert "SubPlan" not in plan, plan


# Sort and cursors ------------------------------------------------------------------------


def test_sort_descending_with_nulls_last_and_id_tie_break(
    client: TestClient, session: Session
) -> None:
    make_project(session, project_id="zz-no-investment")
    order = ids(client.get("/api/v1/projects", params={"sort": "-investment_cny,name"}))
    assert order[:3] == ["catl-ly7", "catl-ly8", "catl-ly9"]
    assert order[-1] == "zz-no-investment"
    ascending = ids(client.get("/api/v1/projects", params={"sort": "investment_cny"}))
    assert ascending[-1] == "zz-no-investment"


def test_cursor_walk_neither_skips_nor_repeats(client: TestClient, session: Session) -> None:
    for index in range(30):
        make_project(
            session,
            project_id=f"p-{index:02d}",
            investment_cny=(index % 4) * 10**8 or None,
            status=ProjectStatus.signed,
        )
    expected = ids(client.get("/api/v1/projects", params={"limit": 200, "sort": "-investment_cny"}))
    walked = [
        item["id"] for item in walk(client, "/api/v1/projects", limit=4, sort="-investment_cny")
    ]
    assert walked == expected
    assert len(walked) == 36


def test_records_added_while_paging_are_not_skipped_or_repeated(
    client: TestClient, session: Session
) -> None:
    first = client.get("/api/v1/projects", params={"limit": 3, "sort": "name"}).json()
    make_project(session, project_id="aa-before-cursor", name="0 最前")
    make_project(session, project_id="zz-after-cursor", name="龥 最后")
    rest = list(walk(client, "/api/v1/projects", limit=3, sort="name", cursor=first["next_cursor"]))
    seen = [item["id"] for item in first["items"]] + [item["id"] for item in rest]
    assert len(seen) == len(set(seen))
    assert "zz-after-cursor" in seen
    assert set(seen) >= set(ids(client.get("/api/v1/projects", params={"limit": 200}))) - {
        "aa-before-cursor"
    }


SORT_KEYS = list(PROJECTS.list_spec.sortable)


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


@pytest.mark.parametrize("collection", DOCUMENTED, ids=lambda collection: collection.tag)
def test_pages_walk_every_sort_with_id_either_way(
    client: TestClient, collection: Collection
) -> None:
    """Each key, up or down, then `id` up or down: the pages of two records each, walked by
    cursor, are the list read whole. (The seed holds ties on most keys, where `id` decides.)"""
    path = f"/api/v1{collection.path}.json"
    for key in collection.list_spec.sortable:
        if key == "id":
            continue
        for sort in (f"{key},id", f"{key},-id", f"-{key},id", f"-{key},-id"):
            whole = client.get(path, params={"sort": sort, "fields": "id", "limit": 200}).json()
            paged = [item["id"] for item in walk(client, path, sort=sort, fields="id", limit=2)]
            assert paged == [item["id"] for item in whole["items"]], sort


# Sparse fields ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/projects.json", "/api/v1/projects"])
def test_sparse_fields(client: TestClient, path: str) -> None:
    """`fields` trims each item to the keys asked, with the full record's values, on the
    `.json` operation and on the list, which takes it as an alias; CSV takes them too
    (tests/test_read_api.py::test_csv_takes_fields_and_an_explicit_limit)."""
    fields = ["id", "investment_cny", "organization_ids"]
    sparse = client.get(path, params={"fields": ",".join(fields)})
    assert sparse.status_code == 200, sparse.text
    repeated = client.get(path, params=[("fields", "id"), ("fields", "investment_cny,id")])
    assert repeated.json()["items"] == [
        {"id": item["id"], "investment_cny": item["investment_cny"]}
        for item in sparse.json()["items"]
    ]
    items = sparse.json()["items"]
    assert items, "the seed has projects"
    full = client.get("/api/v1/projects")
    assert [item["id"] for item in items] == ids(full)
    assert sparse.json()["total"] == full.json()["total"]
    for item in items:
        assert set(item) == set(fields), item
        record = client.get(f"/api/v1/projects/{item['id']}")
        assert record.status_code == 200, record.text
        assert item == {key: record.json()[key] for key in fields}
    assert any(item["investment_cny"] is not None for item in items)


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


def test_facets_count_each_value_under_the_filters(client: TestClient) -> None:
    body = client.get("/api/v1/stats/projects/facets", params={"q": "江苏时代"}).json()
    assert body["total"] == 3
    assert {row["value"]: row["count"] for row in body["facets"]["status"]} == {
        "signed": 1,
        "in_production": 1,
        "under_construction": 1,
    }
    assert body["facets"]["sector"] == [{"value": None, "count": 3}]


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


def _listed_total(client: TestClient, q: str) -> int:
    """How many records match `q`, counted collection by collection through the lists."""
    return sum(
        client.get(f"/api/v1{collection.path}", params={"q": q, "limit": 1}).json()["total"]
        for collection in DOCUMENTED
    )


@pytest.mark.parametrize("q", ["常州", "宁德时代", "光", "光伏"])
def test_a_search_total_is_the_lists_count(client: TestClient, q: str) -> None:
    body = client.get("/api/v1/search", params={"q": q}).json()
    assert body["total_is_estimate"] is False
    assert body["total"] == _listed_total(client, q) > 0


@pytest.mark.parametrize(
    ("q", "estimated"),
    [("常州", False), ("宁德时代", True), ("常州市", True), ("光", True)],
)
def test_a_search_reads_a_bounded_part_of_a_common_word(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, q: str, estimated: bool
) -> None:
    """Past `SCAN_PER_KIND` holders of the query's rarest pair of characters, a search ranks
    what it read and the records named `q…`, and says its total is an upper bound; a word of
    two characters is still counted exactly (its holders are its matches)."""
    monkeypatch.setattr("app.services.search.SCAN_PER_KIND", 1)
    body = client.get("/api/v1/search", params={"q": q, "limit": 100}).json()
    assert body["total_is_estimate"] is estimated
    listed = _listed_total(client, q)
    assert body["total"] == listed if not estimated else body["total"] >= listed
    assert 0 < len(body["items"]) <= listed
    if q == "宁德时代":
        assert body["items"][0]["id"] == "catl"  # named so: found through the name's index


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


def test_a_search_cursor_is_good_only_for_the_search_that_issued_it(client: TestClient) -> None:
    cursor = client.get("/api/v1/search", params={"q": "常州", "limit": 2}).json()["next_cursor"]
    same = client.get("/api/v1/search", params={"q": "常州", "limit": 2, "cursor": cursor})
    assert same.status_code == 200
    for other in ({"q": "光伏"}, {"q": "常州", "type": "project"}):
        response = client.get("/api/v1/search", params={**other, "limit": 2, "cursor": cursor})
        assert_problem(response, 400, "cursor")


def test_search_filters_by_type(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "常州", "type": "project"}).json()
    assert body["items"]
    assert {item["type"] for item in body["items"]} == {"project"}


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


def test_a_record_deleted_through_the_api_leaves_no_gram_or_count_behind(
    client: TestClient, session: Session
) -> None:
    # search_grams has no index by record: a delete drops the grams of the record's stored
    # document before its row goes (`drop_grams`).
    make_project(session, project_id="to-delete", name="氢能重卡示范项目")
    held = "SELECT count(*) FROM search_grams WHERE subject_type = 'project' AND subject_id = :id"
    assert session.execute(text(held), {"id": "to-delete"}).scalar_one() > 0
    counted = "SELECT records FROM search_gram_counts WHERE subject_type = 'project' AND gram = :g"
    before = session.execute(text(counted), {"g": "氢能"}).scalar_one()
    _, token = create_key(session=session, name="deleter", scope=Scope.curator)
    path = f"{PROJECTS_PATH}/to-delete"
    deleted = client.delete(
        path,
        headers={
            "Authorization": f"Bearer {token}",
            "If-Match": client.get(path).headers["etag"],
        },
    )
    assert deleted.status_code == 204, deleted.text
    assert session.execute(text(held), {"id": "to-delete"}).scalar_one() == 0
    assert session.execute(text(counted), {"g": "氢能"}).scalar_one() == before - 1
    assert ids(client.get("/api/v1/projects", params={"q": "氢能重卡"})) == []


def test_q_is_answered_from_the_bigram_index(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("this reads SQLite's query plan; PostgreSQL's is checked in the scale tests")
    from sqlalchemy import select

    from app.listing.matching import matches

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


# Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "status", "parameter"),
    [
        # Lists: limit, cursor, sort, fields, filters and q.
        ("/api/v1/projects", {"limit": 0}, 422, "limit"),
        ("/api/v1/projects", {"limit": 201}, 422, "limit"),
        ("/api/v1/projects", {"limit": "ten"}, 422, "limit"),
        ("/api/v1/projects", {"limit": "-1"}, 422, "limit"),
        ("/api/v1/projects", {"limit": ""}, 422, "limit"),
        ("/api/v1/projects", {"cursor": "not-a-cursor"}, 400, "cursor"),
        ("/api/v1/parks", {"cursor": "eyJzIjoibmFtZSJ9"}, 400, "cursor"),
        ("/api/v1/projects", {"sort": "no_such_field"}, 400, "sort"),
        ("/api/v1/projects", {"sort": "name,"}, 400, "sort"),
        ("/api/v1/projects", {"sort": ""}, 400, "sort"),
        ("/api/v1/projects.json", {"fields": ""}, 400, "fields"),
        ("/api/v1/projects.json", {"fields": "id,secret"}, 400, "fields"),
        ("/api/v1/projects.json", {"format": "json"}, 400, "format"),
        ("/api/v1/projects.csv", {"format": "csv"}, 400, "format"),
        ("/api/v1/projects.csv", {"sort": "-secret"}, 400, "sort"),
        ("/api/v1/projects", {"cursor": "a+b/c="}, 422, "cursor"),
        ("/api/v1/projects", {"investment_cny_min": 2**53}, 422, "investment_cny_min"),
        ("/api/v1/projects", {"investment_cny_max": -(2**53)}, 422, "investment_cny_max"),
        ("/api/v1/projects", {"fields": "id,secret"}, 400, "fields"),
        ("/api/v1/projects", {"unknown_filter": "x"}, 400, "unknown_filter"),
        (
            "/api/v1/projects",
            {"investment_cny_min": 2, "investment_cny_max": 1},
            400,
            "investment_cny_min",
        ),
        (
            "/api/v1/figures",
            {"value_normalized_min": 5, "value_normalized_max": 1},
            400,
            "value_normalized_min",
        ),
        (
            "/api/v1/sources",
            {"date_min": "2026-01-01", "date_max": "2025-01-01"},
            400,
            "date_min",
        ),
        ("/api/v1/projects", {"q": "x" * 201}, 422, "q"),
        ("/api/v1/parks", {"q": "x" * 10_000}, 422, "q"),
        # `format: date` means YYYY-MM-DD; a number is not read as a timestamp.
        ("/api/v1/projects", {"status_date_min": "yesterday"}, 422, "status_date_min"),
        ("/api/v1/projects", {"status_date_min": "20250101"}, 422, "status_date_min"),
        ("/api/v1/sources", {"date_max": "1.5"}, 422, "date_max"),
        ("/api/v1/figures", {"period_start_min": "2025-1-1"}, 422, "period_start_min"),
        ("/api/v1/projects/catl-ly9", {"as_of": "0"}, 422, "as_of"),
        # Search.
        ("/api/v1/search", {"q": "x" * 10_000}, 422, "q"),
        ("/api/v1/search", {}, 422, "q"),
        ("/api/v1/search", {"q": "光伏", "cursor": "forged"}, 400, "cursor"),
        ("/api/v1/search", {"q": "光伏", "type": "planet"}, 422, "type"),
        # Stats.
        ("/api/v1/stats/projects", {"group_by": "name"}, 400, "group_by"),
        ("/api/v1/stats/projects", {"group_by": "organization_id"}, 400, "group_by"),
        ("/api/v1/stats/projects", {"group_by": ""}, 400, "group_by"),
        ("/api/v1/stats/projects", {"limit": 5}, 400, "limit"),
    ],
)
def test_bad_input_is_a_4xx_problem_naming_the_parameter(
    client: TestClient, path: str, params: dict[str, Any], status: int, parameter: str
) -> None:
    assert_problem(client.get(path, params=params), status, parameter)


def test_a_value_no_member_of_a_union_accepts_is_one_error(client: TestClient) -> None:
    response = client.get("/api/v1/projects", params={"status": "demolished"})
    body = assert_problem(response, 422, "status")
    assert body["errors"] == [
        {
            "loc": ["query", "status", 0],
            "msg": "Input should be 'landed', 'signed', 'under_construction' or "
            "'in_production' or 'null'",
        }
    ]


def test_a_repeated_parameter_takes_at_most_100_values(client: TestClient) -> None:
    many: Params = [("organization_id", f"org-{index}") for index in range(101)]
    assert_problem(client.get(PROJECTS_PATH, params=many), 422, "organization_id")
    assert client.get(PROJECTS_PATH, params=many[:100]).status_code == 200
    statuses: Params = [("status", "signed")] * 101
    assert_problem(client.get("/api/v1/stats/projects", params=statuses), 422, "status")


def test_a_scalar_parameter_given_twice_is_refused(client: TestClient, session: Session) -> None:
    twice: Params = [
        ("format", "csv"),
        ("fields", "id"),
        ("limit", "1"),
        ("limit", "3"),
    ]
    assert_problem(client.get(PROJECTS_PATH, params=twice), 422, "limit")
    assert_problem(
        client.get(PROJECTS_PATH, params=[("cursor", ""), ("cursor", "")]), 422, "cursor"
    )
    as_of: Params = [
        ("as_of", "2025-01-01"),
        ("as_of", "2026-01-01"),
    ]
    assert_problem(client.get(PROJECTS_PATH + "/catl-ly9", params=as_of), 422, "as_of")
    _, token = create_key(session=session, name="importer", scope=Scope.admin)
    session.commit()
    imported = client.post(
        "/api/v1/import?dry_run=true&dry_run=false",
        content=b'{"default_source_id": "changzhou-city-work-conference-2025"}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert_problem(imported, 422, "dry_run")


def test_a_cursor_for_another_sort_is_refused(client: TestClient) -> None:
    cursor = client.get("/api/v1/projects", params={"limit": 1}).json()["next_cursor"]
    response = client.get("/api/v1/projects", params={"cursor": cursor, "sort": "-name"})
    assert_problem(response, 400, "cursor")


def test_a_tampered_cursor_is_refused(client: TestClient) -> None:
    cursor = client.get("/api/v1/projects", params={"limit": 1}).json()["next_cursor"]
    forged = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    assert_problem(client.get("/api/v1/projects", params={"cursor": forged}), 400, "cursor")


def test_a_truncated_cursor_is_refused(client: TestClient) -> None:
    cursor = client.get("/api/v1/projects", params={"limit": 2}).json()["next_cursor"]
    for cut in (1, len(cursor) // 2, len(cursor) - 1):
        response = client.get("/api/v1/projects", params={"limit": 2, "cursor": cursor[:cut]})
        assert_problem(response, 400, "cursor")


def test_a_cursor_signed_with_the_old_public_key_is_refused(client: TestClient) -> None:
    payload = orjson.dumps({"s": "name,id", "v": ["A", "a"], "c": "project"})
    forged = forge(payload, b"citykb-cursor-v1")
    assert_problem(client.get(PROJECTS_PATH, params={"cursor": forged}), 400, "cursor")


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        ("-investment_cny", 2**63),
        ("-investment_cny", -(2**63) - 1),
        ("-investment_cny", True),
        ("-investment_cny", "1000"),
        ("name", "名\u0000字"),
        ("name", 7),
        ("status_date", "2025-11-26T00:00:00"),
        ("status_date", "not a date"),
    ],
)
def test_a_signed_cursor_with_a_value_no_row_can_hold_is_refused(
    client: TestClient, session: Session, sort: str, value: Any
) -> None:
    signature = ",".join(name for name in (sort, "-id" if sort.startswith("-") else "id"))
    payload = json.dumps({"s": signature, "v": [value, "catl-ly9"], "c": "project"}).encode()
    cursor = forge(payload, cursor_key_of(session))
    assert_problem(
        client.get(PROJECTS_PATH, params={"sort": sort, "cursor": cursor}), 400, "cursor"
    )


def test_a_signed_cursor_that_is_not_utf8_is_refused(client: TestClient, session: Session) -> None:
    cursor = forge(b'{"s":"name,id","v":["\xff\xfe","a"],"c":"project"}', cursor_key_of(session))
    assert_problem(client.get(PROJECTS_PATH, params={"cursor": cursor}), 400, "cursor")


def test_a_cursor_is_good_only_for_the_list_that_issued_it(client: TestClient) -> None:
    cursor = client.get(PROJECTS_PATH, params={"limit": 1}).json()["next_cursor"]
    assert client.get(PROJECTS_PATH, params={"limit": 1, "cursor": cursor}).status_code == 200
    assert_problem(client.get("/api/v1/parks", params={"cursor": cursor}), 400, "cursor")
    searched = client.get("/api/v1/search", params={"q": "项目", "limit": 1}).json()
    assert searched["next_cursor"] is not None
    assert_problem(
        client.get(PROJECTS_PATH, params={"cursor": searched["next_cursor"]}), 400, "cursor"
    )
    assert_problem(
        client.get("/api/v1/search", params={"q": "项目", "cursor": cursor}), 400, "cursor"
    )


def test_each_installation_signs_with_a_key_of_its_own(
    engine: Engine, shared_database: Engine
) -> None:
    assert len(cursor_key_of(engine)) >= 32
    assert cursor_key_of(engine) != cursor_key_of(shared_database)


@pytest.mark.parametrize("collection", DOCUMENTED, ids=lambda collection: collection.path)
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
        assert_problem(client.get(path, params={parameter: value}), 422, parameter)


SQL_FRAGMENTS = ["' OR '1'='1", "1; DROP TABLE projects; --", '" UNION SELECT * FROM sources --']


def list_parameters(collection: Collection) -> list[str]:
    return [*collection.filters.model_fields, "limit", "cursor", "sort", "fields", "format"]


@pytest.mark.parametrize("collection", DOCUMENTED, ids=lambda collection: collection.path)
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


# One operation per answer, and names as the schema lists them ------------------------------


def test_csv_is_an_operation_of_its_own_and_format_csv_its_alias(client: TestClient) -> None:
    params: Params = [("sort", "-investment_cny"), ("sort", "name"), ("fields", "id,name")]
    csv = client.get("/api/v1/projects.csv", params=params)
    assert csv.status_code == 200, csv.text
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == 'attachment; filename="projects.csv"'
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "id,name"
    json_ids = ids(client.get(PROJECTS_PATH, params=params))
    assert [line.split(",")[0] for line in lines[1:]] == json_ids
    by_format = client.get(PROJECTS_PATH, params=[*params, ("format", "csv")])
    by_accept = client.get(PROJECTS_PATH, params=params, headers={"Accept": "text/csv"})
    assert by_format.content == by_accept.content == csv.content
    # The `.json` operation answers JSON, whatever the client accepts.
    fields = client.get("/api/v1/projects.json", params=params, headers={"Accept": "text/csv"})
    assert fields.headers["content-type"] == "application/json"
    assert ids(fields) == json_ids


def test_sort_group_by_and_fields_take_repeated_or_comma_separated_names_each_once(
    client: TestClient,
) -> None:
    comma = ids(client.get(PROJECTS_PATH, params={"sort": "-investment_cny,name"}))
    repeated = ids(
        client.get(PROJECTS_PATH, params=[("sort", "-investment_cny"), ("sort", "name")])
    )
    # A key given again counts where it first appears (`investment_cny` stays descending).
    again = ids(
        client.get(
            PROJECTS_PATH,
            params=[("sort", "-investment_cny"), ("sort", "name,investment_cny"), ("sort", "name")],
        )
    )
    assert comma == repeated == again
    stats = "/api/v1/stats/zero-carbon-factories"
    by_comma = client.get(stats, params={"group_by": "district_id,level"}).json()
    by_repeat = client.get(
        stats, params=[("group_by", "district_id"), ("group_by", "level"), ("group_by", "level")]
    ).json()
    assert by_comma == by_repeat
    assert by_repeat["group_by"] == ["district_id", "level"]
    twice = client.get("/api/v1/projects.json", params=[("fields", "id,name"), ("fields", "id")])
    assert all(list(item) == ["id", "name"] for item in twice.json()["items"])


@pytest.mark.parametrize("path", [PROJECTS_PATH, "/api/v1/projects.json", "/api/v1/projects.csv"])
def test_an_empty_cursor_is_the_first_page(client: TestClient, path: str) -> None:
    first = client.get(path, params={"limit": 2, "cursor": ""})
    assert first.status_code == 200, first.text
    assert first.content == client.get(path, params={"limit": 2}).content


def test_a_filter_value_holding_a_control_character_matches_nothing(client: TestClient) -> None:
    """No record holds one (every write refuses them), and PostgreSQL takes no NUL in text:
    such a value is left out of the statement, and matches nothing."""
    everything = client.get(PROJECTS_PATH).json()["total"]
    for params in (
        {"district_id": "changzhou\x00"},
        {"organization_id": "jiangsu-catl\x00"},
        {"sector": "新能源\x1b"},
    ):
        response = client.get(PROJECTS_PATH, params=params)
        assert response.status_code == 200, response.text
        assert response.json()["total"] == 0, params
        for stats in ("/api/v1/stats/projects", "/api/v1/stats/projects/facets"):
            assert client.get(stats, params=params).json()["total"] == 0, (stats, params)
    either = client.get(
        PROJECTS_PATH, params=[("district_id", "x\x00"), ("district_id", "changzhou")]
    )
    assert either.json()["total"] == everything
    catl: Params = [("organization_id", "jiangsu-catl")]
    assert ids(client.get(PROJECTS_PATH, params=[*catl, ("organization_id", "\x00")])) == ids(
        client.get(PROJECTS_PATH, params=catl)
    )


def test_q_takes_control_characters_as_spaces(client: TestClient) -> None:
    plain = ids(client.get("/api/v1/organizations", params={"q": "catl"}))
    assert plain == ["catl"]
    for q in ("catl\x00", "\tcatl\n", "\x1b catl"):
        response = client.get("/api/v1/organizations", params={"q": q})
        assert response.status_code == 200, response.text
        assert ids(response) == plain, q
    assert client.get(PROJECTS_PATH, params={"q": "\x00\x07"}).json()["total"] == len(
        ids(client.get(PROJECTS_PATH))
    )


def test_integer_range_bounds_are_javascripts_safe_integers(client: TestClient) -> None:
    largest = 2**53 - 1
    for value in (largest, -largest):
        response = client.get(PROJECTS_PATH, params={"investment_cny_max": value})
        assert response.status_code == 200, response.text
    for value in (largest + 1, -largest - 1, 2**63, 2**64):
        assert_problem(
            client.get(PROJECTS_PATH, params={"investment_cny_min": value}),
            422,
            "investment_cny_min",
        )


def test_search_reads_control_characters_as_spaces(client: TestClient) -> None:
    spaced = client.get("/api/v1/search", params={"q": "光 伏"})
    for q in ("光\x00伏", "光\t伏"):
        answer = client.get("/api/v1/search", params={"q": q})
        assert answer.status_code == 200, answer.text
        assert answer.json() == spaced.json()
    for blank in ("\x01\x02", " \t ", "\x1e"):
        nothing = client.get("/api/v1/search", params={"q": blank})
        assert nothing.status_code == 200, nothing.text
        assert (nothing.json()["items"], nothing.json()["total"]) == ([], 0)


def test_search_takes_an_empty_cursor_as_page_one(client: TestClient) -> None:
    first = client.get("/api/v1/search", params={"q": "常州"}).json()
    assert client.get("/api/v1/search", params={"q": "常州", "cursor": ""}).json() == first
