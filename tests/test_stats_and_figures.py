"""Stats an analyst can trust: never a sum across units, each fact summed once, the same groups
as CSV; figures that mark a restated fact and never repeat their unit's multiplier; citations
in a list's CSV as text a reader reads."""

import csv
import io
import math
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import get_settings
from app.models import Scope
from app.services.keys import create_key
from app.services.rules import CARRIED_MULTIPLIERS, UNIT_MULTIPLIERS
from tests.factories import assert_problem, cite, walk

GROUPINGS = [
    None,
    "subject_type",
    "metric",
    "kind",
    "qualifier",
    "subject_id",
    "subject_type,kind",
    "unit_normalized",
]


def stats(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params={k: v for k, v in params.items() if v is not None})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def read_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("group_by", GROUPINGS)
def test_no_figure_stats_add_different_units(client: TestClient, group_by: str | None) -> None:
    figures = list(walk(client, "/api/v1/figures", limit=200))
    answer = stats(client, "/api/v1/stats/figures", group_by=group_by)
    assert "unit_normalized" in answer["group_by"]
    for group in answer["groups"]:
        members = [
            figure
            for figure in figures
            if all(figure[name] == group[name] for name in answer["group_by"])
        ]
        assert len(members) == group["count"]
        assert {figure["unit_normalized"] for figure in members} == {group["unit_normalized"]}
    assert answer["total"] == len(figures)


def test_the_parks_figures_are_summed_per_unit(client: TestClient) -> None:
    """Before: one park group summing kWh, tonnes, yuan and ratios (13,512,751.461)."""
    answer = stats(client, "/api/v1/stats/figures", group_by="subject_type", subject_type="park")
    sums = {group["unit_normalized"]: group["value_normalized_sum"] for group in answer["groups"]}
    assert math.isclose(sums["kWh"], 7_000_000)
    assert math.isclose(sums["CNY"], 6_500_000)
    assert math.isclose(sums["t"], 6000)
    assert not any(math.isclose(value, 13_512_751.461) for value in sums.values())


def test_a_restated_fact_is_summed_once(client: TestClient) -> None:
    """LY9's investment is stated twice (100亿, 超百亿): summed, it is 1e10, its project's."""
    project = client.get("/api/v1/projects/catl-ly9").json()
    answer = stats(
        client,
        "/api/v1/stats/figures",
        subject_id="catl-ly9",
        metric="investment_cny",
        group_by="subject_id",
    )
    (group,) = answer["groups"]
    assert group["count"] == 2  # both figures are there; the fact counts once
    assert group["value_normalized_sum"] == project["investment_cny"] == 10_000_000_000
    assert group["value_normalized_avg"] == 10_000_000_000
    by_metric = stats(client, "/api/v1/stats/figures", metric="investment_cny")
    projects = [p["investment_cny"] for p in walk(client, "/api/v1/projects", limit=200)]
    assert by_metric["groups"][0]["value_normalized_sum"] == sum(filter(None, projects))


def test_stats_keep_values_of_each_qualifier_apart(client: TestClient) -> None:
    """A sum takes values as stated, however exact; grouped by its qualifier, a class such as
    百亿级 stays out of the exact sum, and the stats' documentation says so."""
    stats = client.get("/api/v1/stats/projects", params={"group_by": "investment_qualifier"})
    sums = {
        group["investment_qualifier"]: (group["count"], group["investment_cny_sum"])
        for group in stats.json()["groups"]
    }
    assert sums == {
        "exact": (1, 10_000_000_000),
        "order_of_magnitude": (2, 20_000_000_000),
        None: (3, None),
    }
    spec = client.get("/openapi.json").json()
    for path in ("/api/v1/stats/projects", "/api/v1/stats/projects.csv"):
        assert "Filter on `investment_qualifier`" in spec["paths"][path]["get"]["description"]
    figures = spec["paths"]["/api/v1/stats/figures"]["get"]["description"]
    assert "Filter on `qualifier`" in figures
    assert "qualifier" not in spec["paths"]["/api/v1/stats/parks"]["get"]["description"]


def test_restatements_are_marked_and_filtered(client: TestClient) -> None:
    over = client.get("/api/v1/figures/catl-ly9-investment-over").json()
    assert over["restates_id"] == "catl-ly9-investment"
    assert client.get("/api/v1/figures/catl-ly9-investment").json()["restates_id"] is None
    restating = list(walk(client, "/api/v1/figures", restates_id="catl-ly9-investment"))
    assert [figure["id"] for figure in restating] == ["catl-ly9-investment-over"]
    first = list(walk(client, "/api/v1/figures", restates_id="null", limit=200))
    assert "catl-ly9-investment-over" not in {figure["id"] for figure in first}
    assert len(first) == len(list(walk(client, "/api/v1/figures", limit=200))) - 1


def test_every_restatement_in_the_seed_is_marked() -> None:
    """Two figures of one subject and metric with the same normalized value and period state one
    fact: the later restates the first, and a restatement names a figure of its subject and
    metric."""
    figures = yaml.safe_load(get_settings().seed_path.read_text(encoding="utf-8"))["figures"]
    by_id = {figure["id"]: figure for figure in figures}
    seen: dict[tuple[Any, ...], str] = {}
    for figure in figures:
        fact = (
            figure["subject"]["type"],
            figure["subject"]["id"],
            figure["metric"],
            figure.get("period"),
        )
        if fact in seen:
            assert figure.get("restates_id") == seen[fact], figure["id"]
        else:
            seen[fact] = figure["id"]
            assert figure.get("restates_id") is None, figure["id"]
        if figure.get("restates_id"):
            restated = by_id[figure["restates_id"]]
            assert (restated["subject"], restated["metric"]) == (
                figure["subject"],
                figure["metric"],
            )
    assert by_id["catl-ly9-investment-over"]["restates_id"] == "catl-ly9-investment"


def test_no_seeded_figure_repeats_its_units_multiplier(client: TestClient) -> None:
    for figure in walk(client, "/api/v1/figures", limit=200):
        unit = figure["unit"] or ""
        if unit[:1] and unit[0] in UNIT_MULTIPLIERS:
            carried = set(CARRIED_MULTIPLIERS + unit[0])
            assert not carried & set(figure["value_stated"]), figure
    floor_area = client.get("/api/v1/figures/changfang-floor-area").json()
    assert (floor_area["value"], floor_area["value_stated"], floor_area["unit"]) == (
        2,
        "2多",
        "万平方米",
    )
    assert floor_area["qualifier"] == "more_than"


@pytest.fixture
def curator(session: Session) -> dict[str, str]:
    _, token = create_key(session=session, name="stats-curator", scope=Scope.curator)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.usefixtures("source_text")
def test_a_value_stated_with_the_units_multiplier_is_refused(
    client: TestClient, curator: dict[str, str]
) -> None:
    body = {
        "subject": {"type": "project", "id": "catl-ly9"},
        "metric": "investment_cny_again",
        "label": "Total investment",
        "value": 100,
        "value_stated": "100亿",
        "unit": "亿元",
        "qualifier": "exact",
        "kind": "actual",
        "citation": cite(quote="总投资100亿元"),
    }
    refused = client.post("/api/v1/figures", json=body, headers=curator)
    problem = assert_problem(refused, 422)
    assert any("value_stated" in map(str, error["loc"]) for error in problem["errors"])
    assert "亿" in problem["detail"]
    created = client.post("/api/v1/figures", json={**body, "value_stated": "100"}, headers=curator)
    assert created.status_code == 201, created.text
    # A figure's restatement is written like any field, and a figure restates no figure itself.
    figure_id = created.json()["id"]
    patched = client.get(f"/api/v1/figures/{figure_id}")
    changed = client.patch(
        f"/api/v1/figures/{figure_id}",
        json={"restates_id": figure_id},
        headers={**curator, "If-Match": patched.headers["etag"]},
    )
    assert_problem(changed, 422)
    restating = client.patch(
        f"/api/v1/figures/{figure_id}",
        json={"restates_id": "catl-ly9-investment"},
        headers={**curator, "If-Match": patched.headers["etag"]},
    )
    assert restating.status_code == 200, restating.text
    assert restating.json()["restates_id"] == "catl-ly9-investment"


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/stats/figures.csv?group_by=subject_type", {}),
        ("/api/v1/stats/figures?group_by=subject_type&format=csv", {}),
        ("/api/v1/stats/figures?group_by=subject_type", {"Accept": "text/csv"}),
    ],
)
def test_stats_as_csv(client: TestClient, path: str, headers: dict[str, str]) -> None:
    response = client.get(path, headers=headers)
    rows = read_csv(response)
    answer = stats(client, "/api/v1/stats/figures", group_by="subject_type")
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == [
        "subject_type",
        "unit_normalized",
        "count",
        "value_normalized_sum",
        "value_normalized_min",
        "value_normalized_max",
        "value_normalized_avg",
    ]
    assert len(rows) == len(answer["groups"])
    for row, group in zip(rows, answer["groups"], strict=True):
        assert (row["subject_type"], row["unit_normalized"]) == (
            group["subject_type"],
            group["unit_normalized"],
        )
        assert int(row["count"]) == group["count"]
        if group["value_normalized_sum"] is not None:
            assert math.isclose(float(row["value_normalized_sum"]), group["value_normalized_sum"])
    etag = response.headers["etag"]
    assert client.get(path, headers={**headers, "If-None-Match": etag}).status_code == 304


def test_stats_csv_takes_the_same_parameters(client: TestClient) -> None:
    rows = read_csv(client.get("/api/v1/stats/projects.csv?group_by=status&status=landed"))
    assert rows == [
        {
            "status": "landed",
            "count": "3",
            "investment_cny_sum": "",
            "investment_cny_min": "",
            "investment_cny_max": "",
            "investment_cny_avg": "",
        }
    ]
    assert_problem(client.get("/api/v1/stats/projects.csv?group_by=nope"), 400, "group_by")
    assert_problem(client.get("/api/v1/stats/projects.csv?format=csv"), 400, "format")


def test_the_stats_csv_operation_declares_only_csv(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/api/v1/stats/projects.csv"]["get"]
    assert operation["operationId"] == "getProjectStatsCsv"
    assert list(operation["responses"]["200"]["content"]) == ["text/csv"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"group_by", "status"} <= names
    assert "format" not in names
    figures = document["paths"]["/api/v1/stats/figures"]["get"]["description"]
    assert "unit_normalized" in figures
    assert "restates_id" in figures


def test_citations_in_csv_are_text(client: TestClient) -> None:
    response = client.get(
        "/api/v1/projects", params={"format": "csv", "fields": "id,citations", "limit": 200}
    )
    rows = {row["id"]: row["citations"] for row in read_csv(response)}
    cell = rows["catl-ly9"]
    assert not cell.startswith(("[", "{"))
    assert '"source_id"' not in cell
    first, *rest = cell.split(" | ")
    assert first == (
        "changzhou-city-work-conference-2025 ¶7 「江苏时代新能源灯塔工厂LY9项目签约落地」 "
        "(fields: name, organization_ids, status)"
    )
    assert len(rest) == len(client.get("/api/v1/projects/catl-ly9").json()["citations"]) - 1
    figure = read_csv(
        client.get("/api/v1/figures?format=csv&fields=id,citations&subject_id=catl-ly7")
    )
    assert figure == [
        {
            "id": "catl-ly7-investment",
            "citations": "changzhou-city-work-conference-2025 ¶7 「实现百亿级项目“三连发”」",
        }
    ]
