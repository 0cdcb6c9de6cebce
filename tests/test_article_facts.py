"""What the article states, pinned: the values an earlier seed got wrong, and the people,
recognitions, events, programmes, scenarios and relations it holds."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import walk

NEW_COLLECTIONS = ("people", "recognitions", "events", "programmes", "scenarios")


def get(client: TestClient, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def test_a_top_50_bracket_is_a_bound_not_a_rank(client: TestClient) -> None:
    for year in (2024, 2025):
        figure = get(client, f"/api/v1/figures/changzhou-talent-friendly-top50-{year}")
        assert (figure["value"], figure["unit"], figure["qualifier"]) == (50, "强", "at_most")
        recognition = get(client, f"/api/v1/recognitions/changzhou-talent-friendly-city-{year}")
        assert (recognition["rank"], recognition["rank_qualifier"]) == (50, "at_most")
        assert recognition["scope"] == "全国"


@pytest.mark.parametrize("project_id", ["catl-ly7", "catl-ly8"])
def test_a_ten_billion_class_is_an_order_of_magnitude(client: TestClient, project_id: str) -> None:
    project = get(client, f"/api/v1/projects/{project_id}")
    assert (project["investment_cny"], project["investment_qualifier"]) == (
        10_000_000_000,
        "order_of_magnitude",
    )
    figure = get(client, f"/api/v1/figures/{project_id}-investment")
    assert (figure["value_stated"], figure["unit"], figure["qualifier"]) == (
        "百级",
        "亿元",
        "order_of_magnitude",
    )


def test_the_coal_saving_states_no_period(client: TestClient) -> None:
    assert get(client, "/api/v1/figures/songjianhu-coal-saved")["period"] is None


@pytest.mark.parametrize(
    ("path", "unsupported"),
    [
        ("/api/v1/parks/west-taihu-ai-community", ["shore", "lake"]),
        ("/api/v1/parks/canal-no5", ["canal-side"]),
        ("/api/v1/parks/sauce-factory", ["former"]),
        ("/api/v1/parks/hanghai-instrument-factory", ["former"]),
        ("/api/v1/projects/ninebot-smart-mobility", ["personal"]),
        ("/api/v1/renewal-cases/hutang-sci-tech-park-renewal", ["double"]),
    ],
)
def test_descriptions_say_no_more_than_the_source(
    client: TestClient, path: str, unsupported: list[str]
) -> None:
    description = get(client, path)["description"].lower()
    for word in unsupported:
        assert word not in description, (path, word)


def test_the_venue_keeps_its_stated_cadences(client: TestClient) -> None:
    description = get(client, "/api/v1/parks/origin-space")["description"]
    for cadence in ("daily events", "weekly salons", "monthly roadshows", "quarterly forums"):
        assert cadence in description
    events = get(client, "/api/v1/events?park_id=origin-space&sort=id&fields=name,cadence")
    assert {(item["name"], item["cadence"]) for item in events["items"]} == {
        ("日活动", "daily"),
        ("周沙龙", "weekly"),
        ("月路演", "monthly"),
        ("季论坛", "quarterly"),
    }


def test_industry_upstairs_is_a_method_not_a_new_use(client: TestClient) -> None:
    assert get(client, "/api/v1/renewal-cases/hutang-sci-tech-park-renewal")["new_use"] is None
    method = get(client, "/api/v1/programmes/industry-upstairs")
    assert (method["name"], method["kind"]) == ("工业上楼", "method")


def test_a_short_name_is_kept_with_its_full_form_marked(client: TestClient) -> None:
    agency = get(client, "/api/v1/organizations/jiangsu-miit")
    assert agency["name"] == "省工信厅"
    assert agency["full_name"] == "江苏省工业和信息化厅"
    assert agency["full_name_from_source"] is False
    found = get(client, "/api/v1/search?q=江苏省工业和信息化厅")["items"]
    assert "jiangsu-miit" in [item["id"] for item in found]


def test_district_citations_state_their_fields(client: TestClient) -> None:
    changzhou = get(client, "/api/v1/districts/changzhou")
    assert changzhou["name"] == "常州"
    assert not [c for c in changzhou["citations"] if "有限公司" in c["quote"]]
    liyang = get(client, "/api/v1/districts/liyang")
    assert liyang["parent_id"] is None


def test_the_source_date_is_not_the_conference_date(client: TestClient) -> None:
    source = get(client, "/api/v1/sources/changzhou-city-work-conference-2025")
    assert source["date"] is None
    conference = get(client, "/api/v1/events/changzhou-city-work-conference-2025")
    assert (conference["date"], conference["date_stated"]) == ("2025-11-26", "11月26日")


def test_an_organizations_district_is_defined(client: TestClient) -> None:
    schema = get(client, "/openapi.json")["components"]["schemas"]["OrganizationOut"]
    described = schema["properties"]["district_id"]["description"]
    assert "places it in" in described
    assert "headquarters" in described


def test_a_figure_has_a_place_apart_from_its_subject(client: TestClient) -> None:
    figures = get(client, "/api/v1/figures?district_id=liyang")["items"]
    assert [(f["id"], f["subject_id"], f["value"]) for f in figures] == [
        ("catl-liyang-ten-billion-projects", "catl", 8)
    ]
    groups = get(client, "/api/v1/districts/liyang/neighbours")["groups"]
    assert ("figures", "district_id", 1) in {
        (g["collection"], g["field"], g["total"]) for g in groups
    }


def test_targets_belong_to_their_programme(client: TestClient) -> None:
    targets = get(client, "/api/v1/figures?programme_id=fifteenth-five-year-plan&sort=id")
    assert [(f["value"], f["qualifier"], f["kind"]) for f in targets["items"]] == [
        (60, "at_least", "target"),
        (30, "exact", "target"),
    ]


def test_a_site_knows_its_cluster_and_its_first_tenant(client: TestClient) -> None:
    members = get(client, "/api/v1/parks?group_id=canal-creative-cluster&sort=name&fields=id")
    assert {item["id"] for item in members["items"]} == {
        "hanghai-instrument-factory",
        "sauce-factory",
        "canal-no5",
    }
    assert get(client, "/api/v1/parks/canal-creative-cluster")["kind"] == "site_cluster"
    tenant = get(client, "/api/v1/organizations/jiangsu-xinci-materials")
    assert (tenant["park_id"], tenant["tenant_order"], tenant["tenant_status"]) == (
        "xinyu-canal-bay",
        1,
        "in_full_production",
    )
    groups = get(client, "/api/v1/parks/xinyu-canal-bay/neighbours")["groups"]
    tenants = next(
        g for g in groups if (g["collection"], g["field"]) == ("organizations", "park_id")
    )
    assert [item["id"] for item in tenants["items"]] == ["jiangsu-xinci-materials"]


def test_zero_carbon_factories_are_entries_of_their_recognition(client: TestClient) -> None:
    entries = get(
        client,
        "/api/v1/zero-carbon-factories?recognition_id=jiangsu-zero-carbon-factory-list-2025",
    )
    assert entries["total"] == 4
    title = get(
        client, "/api/v1/zero-carbon-factories?recognition_id=jiangsu-catl-zero-carbon-factory"
    )
    assert [item["id"] for item in title["items"]] == ["jiangsu-catl-zero-carbon"]
    listed = get(client, "/api/v1/zero-carbon-factories?recognition_id=null")
    assert listed["total"] == 0, "every zero-carbon factory is an entry of a recognition"
    recognition = get(client, "/api/v1/recognitions/jiangsu-zero-carbon-factory-list-2025")
    assert (recognition["kind"], recognition["issuer_id"], recognition["year"]) == (
        "list",
        "jiangsu-miit",
        2025,
    )


def test_the_person_and_the_titles_are_records(client: TestClient) -> None:
    person = get(client, "/api/v1/people/zeng-yuqun")
    assert (person["name"], person["organization_id"], person["title"]) == (
        "曾毓群",
        "catl",
        "董事长兼总经理",
    )
    titles = get(
        client, "/api/v1/recognitions?district_id=changzhou&kind=title&sort=name&fields=name"
    )
    assert {item["name"] for item in titles["items"]} == {
        "2025年最具人才吸引力城市",
        "2025年最佳人才生态城市",
        "2025年最佳产业创新城市",
    }
    lighthouse = get(client, "/api/v1/recognitions/jiangsu-catl-lighthouse-factory")
    assert (lighthouse["name"], lighthouse["organization_id"]) == ("灯塔工厂", "jiangsu-catl")


@pytest.mark.parametrize("collection", NEW_COLLECTIONS)
def test_every_new_record_is_found_under_its_name(client: TestClient, collection: str) -> None:
    records = list(walk(client, f"/api/v1/{collection}", limit=50))
    assert records, collection
    for record in records:
        answer = client.get("/api/v1/search", params={"q": record["name"], "limit": 50})
        assert answer.status_code == 200, answer.text
        found = answer.json()["items"]
        assert record["id"] in [item["id"] for item in found], (collection, record["name"])


def test_neighbours_of_a_record_that_does_not_exist_is_a_404(client: TestClient) -> None:
    response = client.get("/api/v1/organizations/no-such-organization/neighbours")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "no-such-organization" in response.json()["detail"]


def test_neighbours_list_every_way_a_record_is_named(client: TestClient) -> None:
    groups = get(client, "/api/v1/organizations/jiangsu-catl/neighbours")["groups"]
    ways = {(group["collection"], group["field"]): group for group in groups}
    assert ways["projects", "organization_ids"]["total"] == 3
    assert ways["projects", "organization_ids"]["list_url"] == (
        "/api/v1/projects?organization_id=jiangsu-catl"
    )
    assert {"recognitions", "zero-carbon-factories", "figures"} <= {c for c, _ in ways}
    for group in groups:
        if group["list_url"] is not None:
            listed = get(client, group["list_url"] + "&limit=200&fields=id")
            assert listed["total"] == group["total"], group["list_url"]


def test_ly9s_investment_stated_twice_is_one_fact(client: TestClient) -> None:
    over = get(client, "/api/v1/figures/catl-ly9-investment-over")
    assert (over["value_stated"], over["unit"], over["qualifier"]) == ("超百", "亿元", "more_than")
    assert over["restates_id"] == "catl-ly9-investment"
    assert get(client, "/api/v1/figures/catl-ly9-investment")["restates_id"] is None
