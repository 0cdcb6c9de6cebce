"""One request per screen: `expand=` embeds related records, batched; `id=` fetches several
records at once; figures carry their subject's name."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.api.expansion import MAX_RELATIONS
from app.collections.catalog import DOCUMENTED
from app.collections.relations import REVERSE_SHOWN, expand_names, relations_of
from app.models import Park
from tests.factories import assert_problem, make_project
from tests.test_statement_budget import run

PARK = "songjianhu-optoelectronics-harbor"


class CountingClient:
    """The client a dashboard uses, counting its requests."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.requests = 0

    def get(self, path: str, **params: Any) -> Any:
        self.requests += 1
        response = self.client.get(path, params=params)
        assert response.status_code == 200, (path, response.text)
        return response.json()


def test_the_dashboard_takes_three_requests(client: TestClient) -> None:
    api = CountingClient(client)
    top = api.get(
        "/api/v1/projects", sort="-investment_cny", limit=5, expand="organizations,district"
    )
    factories = api.get("/api/v1/zero-carbon-factories", expand="organization", limit=200)
    park = api.get(f"/api/v1/parks/{PARK}", expand="figures")
    assert api.requests == 3

    assert len(top["items"]) == 5
    for project in top["items"]:
        expanded = project["expanded"]
        assert [item["id"] for item in expanded["organizations"]] == project["organization_ids"]
        assert all(item["name"] for item in expanded["organizations"])
        district = expanded["district"]
        assert (district and district["id"]) == project["district_id"]
    assert any(project["expanded"]["district"] for project in top["items"])

    assert factories["total"] == len(factories["items"]) > 0
    for factory in factories["items"]:
        organization = factory["expanded"]["organization"]
        assert organization["id"] == factory["organization_id"]
        assert organization["name"]

    figures = park["expanded"]["figures"]
    assert figures["total"] == len(figures["items"]) == 7
    listed = client.get(
        "/api/v1/figures", params={"subject_type": "park", "subject_id": PARK, "limit": 200}
    ).json()
    assert [item["id"] for item in figures["items"]] == sorted(
        item["id"] for item in listed["items"]
    )
    assert {figure["subject_name"] for figure in figures["items"]} == {park["name"]}


def test_a_list_without_expand_has_no_expanded(client: TestClient) -> None:
    item = client.get("/api/v1/projects", params={"limit": 1}).json()["items"][0]
    assert "expanded" not in item
    assert "expanded" not in client.get(f"/api/v1/parks/{PARK}").json()


def test_expand_by_repeating_or_by_commas_answers_the_same(client: TestClient) -> None:
    repeated = client.get("/api/v1/projects", params={"expand": ["district", "organizations"]})
    commas = client.get("/api/v1/projects", params={"expand": "district,organizations"})
    assert repeated.status_code == commas.status_code == 200
    assert repeated.json() == commas.json()


def test_a_second_hop_reaches_what_an_expanded_record_names(client: TestClient) -> None:
    project = client.get(
        "/api/v1/projects/catl-ly9", params={"expand": "organizations.district"}
    ).json()
    organizations = project["expanded"]["organizations"]
    assert organizations
    for organization in organizations:
        district = organization["expanded"]["district"]
        assert (district and district["id"]) == organization["district_id"]


def test_a_referring_relation_is_bounded_and_counted(client: TestClient) -> None:
    district = client.get("/api/v1/districts/changzhou", params={"expand": "projects"}).json()
    projects = district["expanded"]["projects"]
    total = client.get("/api/v1/projects", params={"district_id": "changzhou"}).json()["total"]
    assert projects["total"] == total
    assert len(projects["items"]) == min(total, REVERSE_SHOWN)
    assert all(item["district_id"] == "changzhou" for item in projects["items"])


def test_expand_costs_one_statement_per_relation_whatever_the_page(
    client: TestClient, engine: Engine
) -> None:
    plain = run(client, engine, "/api/v1/projects", limit=200)
    for page in (1, 200):
        expanded = run(
            client, engine, "/api/v1/projects", limit=page, expand="organizations,district,figures"
        )
        assert len(expanded) <= len(plain) + 3, expanded


@pytest.mark.parametrize("collection", DOCUMENTED, ids=lambda item: item.key)
def test_every_relation_of_every_collection_expands(client: TestClient, collection: Any) -> None:
    names = expand_names(collection.key)
    seen: set[str] = set()
    for start in range(0, len(names), MAX_RELATIONS):
        chosen = list(names[start : start + MAX_RELATIONS])
        response = client.get(f"/api/v1/{collection.tag}", params={"expand": chosen})
        assert response.status_code == 200, response.text
        for item in response.json()["items"]:
            seen.update(item["expanded"])
    assert seen == set(relations_of(collection.key))


def test_at_most_ten_relations_a_request(client: TestClient) -> None:
    names = ",".join(expand_names("districts")[: MAX_RELATIONS + 1])
    assert_problem(client.get("/api/v1/districts", params={"expand": names}), 400, "expand")


@pytest.mark.parametrize("expand", ["nonsense", "", "district,", "district.district.parent"])
def test_an_unknown_relation_is_refused_naming_expand(client: TestClient, expand: str) -> None:
    for path in ("/api/v1/projects", "/api/v1/projects/catl-ly9"):
        assert_problem(client.get(path, params={"expand": expand}), 400, "expand")


def test_expand_follows_a_write_at_once(client: TestClient, session: Session) -> None:
    make_project(session, project_id="expand-test", district_id="liyang")
    page = client.get("/api/v1/projects", params={"id": "expand-test", "expand": "district"})
    assert page.json()["items"][0]["expanded"]["district"]["id"] == "liyang"


def test_id_fetches_several_records_of_any_list(client: TestClient) -> None:
    for collection in DOCUMENTED:
        ids = [
            item["id"]
            for item in client.get(f"/api/v1/{collection.tag}", params={"limit": 3}).json()["items"]
        ]
        page = client.get(f"/api/v1/{collection.tag}", params={"id": [*ids, "no-such-id"]})
        assert page.status_code == 200, page.text
        assert sorted(item["id"] for item in page.json()["items"]) == sorted(ids)
        assert page.json()["total"] == len(ids)


def test_id_is_not_a_field_to_group_or_facet_by(client: TestClient) -> None:
    grouped = client.get("/api/v1/stats/projects", params={"group_by": "id"})
    assert grouped.status_code in (400, 422)
    assert_problem(grouped, grouped.status_code, "group_by")
    facets = client.get("/api/v1/stats/projects/facets").json()["facets"]
    assert "id" not in facets


def test_figures_carry_their_subjects_name(client: TestClient) -> None:
    for figure in client.get("/api/v1/figures", params={"limit": 200}).json()["items"]:
        collection = next(item for item in DOCUMENTED if item.subject == figure["subject_type"])
        subject = client.get(f"/api/v1/{collection.tag}/{figure['subject_id']}").json()
        assert figure["subject_name"] == subject.get("name", subject.get("title")), figure["id"]


def test_a_renamed_subject_renames_its_figures(client: TestClient, session: Session) -> None:
    park = session.get(Park, PARK)
    assert park is not None
    park.name = "宋剑湖"
    session.flush()
    figures = client.get("/api/v1/figures", params={"subject_id": PARK}).json()["items"]
    assert figures
    assert {figure["subject_name"] for figure in figures} == {"宋剑湖"}
