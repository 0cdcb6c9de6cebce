"""The seeded knowledge base, read through the API: every fact cited, every figure typed."""

import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.services.rules import uncited_fields
from tests.factories import COLLECTION_TAGS, walk

FOUR_RESOURCES = ("projects", "parks", "renewal-cases", "zero-carbon-factories")


def all_records(client: TestClient) -> dict[str, list[dict[str, Any]]]:
    return {name: list(walk(client, f"/api/v1/{name}", limit=7)) for name in COLLECTION_TAGS}


def test_the_seed_covers_the_reports_records(client: TestClient) -> None:
    records = all_records(client)
    counts = {name: len(items) for name, items in records.items()}
    assert counts == {
        "projects": 6,
        "parks": 12,
        "renewal-cases": 5,
        "zero-carbon-factories": 5,
        "organizations": 15,
        "districts": 4,
        "figures": 28,
        "sources": 1,
        "people": 1,
        "recognitions": 10,
        "events": 11,
        "programmes": 21,
        "scenarios": 14,
    }


def test_every_record_cites_a_paragraph_and_a_short_quote(client: TestClient) -> None:
    for name, items in all_records(client).items():
        for item in items:
            assert item["citations"], f"{name}/{item['id']} has no citation"
            for citation in item["citations"]:
                assert 1 <= citation["paragraph"] <= 24
                assert 1 <= len(citation["quote"]) <= 40


def test_every_quote_is_in_the_paragraph_it_cites(
    client: TestClient, source_paragraphs: list[str]
) -> None:
    for name, items in all_records(client).items():
        for item in items:
            for citation in item["citations"]:
                paragraph = source_paragraphs[citation["paragraph"] - 1]
                assert citation["quote"] in paragraph, (name, item["id"], citation)


def test_every_stated_field_is_named_by_a_citation(client: TestClient) -> None:
    for name, items in all_records(client).items():
        if name == "figures":
            continue
        for item in items:
            cited = {field for citation in item["citations"] for field in citation["fields"]}
            stated = {
                key
                for key, value in item.items()
                if key not in uncited_fields(item) and value not in (None, [])
            }
            if name == "zero-carbon-factories":
                stated -= {"name"}  # the organization's name, cited on the organization
            assert stated <= cited, f"{name}/{item['id']}: uncited {sorted(stated - cited)}"


def test_typed_fields_agree_with_their_figures(client: TestClient) -> None:
    typed = {
        "projects": ("project", ["investment_cny"]),
        "parks": ("park", ["pv_installed_capacity_kw", "pv_corridor_length_m"]),
        "renewal-cases": (
            "renewal_case",
            ["plot_ratio_before", "plot_ratio_after", "floor_area_m2"],
        ),
    }
    for collection, (subject_type, fields) in typed.items():
        for item in walk(client, f"/api/v1/{collection}"):
            for field in fields:
                figures = client.get(
                    "/api/v1/figures",
                    params={
                        "subject_id": item["id"],
                        "subject_type": subject_type,
                        "metric": field,
                    },
                ).json()["items"]
                if item[field] is None:
                    assert figures == [], (item["id"], field)
                    continue
                assert any(
                    math.isclose(figure["value_normalized"], item[field]) for figure in figures
                ), (item["id"], field)


@pytest.mark.parametrize(
    ("figure_id", "value", "unit", "normalized", "base", "qualifier", "kind"),
    [
        ("catl-ly9-investment", 100, "亿元", 10_000_000_000, "CNY", "exact", "actual"),
        ("catl-ly9-investment-over", 100, "亿元", 10_000_000_000, "CNY", "more_than", "actual"),
        ("songjianhu-pv-capacity", 6.16, "兆瓦", 6160, "kW", "exact", "actual"),
        (
            "songjianhu-pv-annual-generation",
            700,
            "万度",
            7_000_000,
            "kWh",
            "approximately",
            "estimate",
        ),
        ("songjianhu-carbon-reduction", 26.1, "%", 0.261, "ratio", "exact", "estimate"),
        ("changfang-floor-area", 2, "万平方米", 20000, "m2", "more_than", "actual"),
        (
            "changzhou-near-zero-carbon-factories-target",
            60,
            "家",
            60,
            "count",
            "at_least",
            "target",
        ),
    ],
)
def test_figures_keep_the_stated_number_its_normalized_value_and_qualifier(
    client: TestClient,
    figure_id: str,
    value: float,
    unit: str,
    normalized: float,
    base: str,
    qualifier: str,
    kind: str,
) -> None:
    figure = client.get(f"/api/v1/figures/{figure_id}").json()
    assert (figure["value"], figure["unit"]) == (value, unit)
    assert math.isclose(figure["value_normalized"], normalized)
    assert (figure["unit_normalized"], figure["qualifier"], figure["kind"]) == (
        base,
        qualifier,
        kind,
    )


def test_the_four_resources_have_their_figures(client: TestClient) -> None:
    figures = list(walk(client, "/api/v1/figures", limit=200))
    described = {(figure["subject_type"], figure["subject_id"]) for figure in figures}
    assert ("project", "catl-ly9") in described
    assert ("park", "songjianhu-optoelectronics-harbor") in described
    assert ("renewal_case", "hutang-sci-tech-park-renewal") in described
    by_park = [f for f in figures if f["subject_id"] == "songjianhu-optoelectronics-harbor"]
    assert {f["metric"] for f in by_park} == {
        "pv_corridor_length_m",
        "pv_installed_capacity_kw",
        "pv_share_of_electricity_demand",
        "pv_generation_kwh",
        "standard_coal_saved_t",
        "carbon_emission_reduction",
        "electricity_cost_saved_cny",
    }


def test_silent_fields_stay_null(client: TestClient) -> None:
    catl_factory = client.get("/api/v1/zero-carbon-factories/jiangsu-catl-zero-carbon").json()
    assert catl_factory["list_name"] is None
    assert catl_factory["issuer_id"] is None
    assert catl_factory["year"] is None
    source = client.get("/api/v1/sources/changzhou-city-work-conference-2025").json()
    assert source["date"] is None  # the report's date; the conference's is the event's
    assert (source["publisher"], source["author"], source["url"]) == (None, None, None)


@pytest.mark.parametrize(
    "path",
    [
        "events/changzhou-city-work-conference-2025",
        "events/origin-space-daily-events",
        "events/origin-space-weekly-salons",
        "events/origin-space-monthly-roadshows",
        "events/origin-space-quarterly-forums",
        "programmes/modern-people-city",
        "programmes/two-shifts",
        "programmes/smart-growth",
        "scenarios/songjianhu-pv-corridor",
    ],
)
def test_a_name_with_no_established_english_form_has_no_name_en(
    client: TestClient, path: str
) -> None:
    """A slogan, an activity or a site's feature, named in Chinese only: an English rendering
    made up for it would pass a translation off as its name."""
    record = client.get(f"/api/v1/{path}").json()
    assert record["name_en"] is None, record["name_en"]


def test_names_come_in_three_scripts(client: TestClient) -> None:
    catl = client.get("/api/v1/organizations/catl").json()
    assert (catl["name"], catl["name_zh_hant"], catl["name_en"]) == ("宁德时代", "寧德時代", "CATL")
    unknown_english = client.get("/api/v1/organizations/jiangsu-catl").json()
    assert unknown_english["name_en"] is None
