"""Lists, filters, sort, cursors, sparse fields and errors, through HTTP."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models.enums import ProjectStatus
from tests.factories import COLLECTIONS, assert_problem, make_project, walk

EXAMPLE_IDS = {
    "projects": "catl-ly9",
    "parks": "songjianhu-optoelectronics-harbor",
    "renewal-cases": "hutang-sci-tech-park-renewal",
    "zero-carbon-factories": "wanbang-digital-energy-2025",
    "organizations": "catl",
    "districts": "changzhou",
    "figures": "catl-ly9-investment",
    "sources": "changzhou-city-work-conference-2025",
}


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_list_and_get_each_collection(client: TestClient, collection: str) -> None:
    listing = client.get(f"/api/v1/{collection}")
    assert listing.status_code == 200
    body = listing.json()
    assert set(body) == {"items", "total", "limit", "next_cursor"}
    assert body["total"] >= len(body["items"]) > 0
    record = client.get(f"/api/v1/{collection}/{EXAMPLE_IDS[collection]}")
    assert record.status_code == 200
    assert record.json()["id"] == EXAMPLE_IDS[collection]
    assert record.json() in list(walk(client, f"/api/v1/{collection}"))


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_unknown_id_is_a_404_problem(client: TestClient, collection: str) -> None:
    body = assert_problem(client.get(f"/api/v1/{collection}/no-such-record"), 404)
    assert "no-such-record" in body["detail"]


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
            {"kind": "creative_cluster"},
            ["canal-no5", "hanghai-instrument-factory", "sauce-factory"],
        ),
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
        ("districts", {"parent_id": "changzhou"}, ["changzhou-edz", "liyang"]),
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
        ("sources", {"date_min": "2025-11-26", "date_max": "2025-11-26"}, [EXAMPLE_IDS["sources"]]),
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


def test_sparse_fields(client: TestClient) -> None:
    body = client.get("/api/v1/projects", params={"fields": "id,investment_cny"}).json()
    assert all(set(item) == {"id", "investment_cny"} for item in body["items"])


def test_etag_and_not_modified(client: TestClient) -> None:
    first = client.get("/api/v1/projects/catl-ly9")
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    again = client.get("/api/v1/projects/catl-ly9", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    ("params", "status", "parameter"),
    [
        ({"limit": 0}, 422, "limit"),
        ({"limit": 201}, 422, "limit"),
        ({"limit": "ten"}, 422, "limit"),
        ({"cursor": "not-a-cursor"}, 400, "cursor"),
        ({"sort": "no_such_field"}, 400, "sort"),
        ({"sort": "name,name"}, 400, "sort"),
        ({"fields": "id,secret"}, 400, "fields"),
        ({"status": "demolished"}, 422, "status"),
        ({"unknown_filter": "x"}, 400, "unknown_filter"),
        ({"investment_cny_min": 2, "investment_cny_max": 1}, 400, "investment_cny_min"),
        ({"investment_cny_min": 2**64}, 422, "investment_cny_min"),
        ({"status_date_min": "yesterday"}, 422, "status_date_min"),
        ({"q": "x" * 201}, 422, "q"),
        ({"q": "光伏\x00"}, 422, "q"),
    ],
)
def test_bad_input_is_a_problem_naming_the_parameter(
    client: TestClient, params: dict[str, Any], status: int, parameter: str
) -> None:
    assert_problem(client.get("/api/v1/projects", params=params), status, parameter)


def test_a_cursor_for_another_sort_is_refused(client: TestClient) -> None:
    cursor = client.get("/api/v1/projects", params={"limit": 1}).json()["next_cursor"]
    response = client.get("/api/v1/projects", params={"cursor": cursor, "sort": "-name"})
    assert_problem(response, 400, "cursor")


def test_a_tampered_cursor_is_refused(client: TestClient) -> None:
    cursor = client.get("/api/v1/projects", params={"limit": 1}).json()["next_cursor"]
    forged = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    assert_problem(client.get("/api/v1/projects", params={"cursor": forged}), 400, "cursor")


def test_unknown_path_and_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    response = client.delete("/api/v1/projects")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, POST"
    # Every method of the path, though each is a route of its own (Schemathesis found this).
    record = client.request("OPTIONS", "/api/v1/projects/catl-ly9")
    assert_problem(record, 405)
    assert record.headers["allow"] == "DELETE, GET, PATCH"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/projects/catl-ly9?as_of=0", "as_of"),
        ("/api/v1/projects?status_date_min=20250101", "status_date_min"),
        ("/api/v1/sources?date_max=1.5", "date_max"),
        ("/api/v1/figures?period_start_min=2025-1-1", "period_start_min"),
    ],
)
def test_a_date_is_written_yyyy_mm_dd(client: TestClient, path: str, parameter: str) -> None:
    """`format: date` means YYYY-MM-DD; a number is not read as a timestamp."""
    assert_problem(client.get(path), 422, parameter)


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_cors_allows_reads_from_any_origin(client: TestClient) -> None:
    response = client.get("/api/v1/projects", headers={"Origin": "https://dashboard.example"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_landing_page_links_the_docs_and_loads_nothing_from_other_hosts(
    client: TestClient,
) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'href="/docs"' in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text


def test_a_value_no_member_of_a_union_accepts_is_one_error(client: TestClient) -> None:
    body = assert_problem(client.get("/api/v1/projects", params={"status": "demolished"}), 422)
    assert body["errors"] == [
        {
            "loc": ["query", "status", 0],
            "msg": "Input should be 'landed', 'signed', 'under_construction' or "
            "'in_production' or 'null'",
        }
    ]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_nothing_from_other_hosts(client: TestClient, page: str) -> None:
    html = client.get(page)
    assert html.status_code == 200
    assert "http://" not in html.text
    assert "https://" not in html.text
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', html.text)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
