"""Application scenarios the sources name, with the field each belongs to where stated."""

from pydantic import Field

from app.collections.base import Collection, Document
from app.listing.params import FilterQuery, one_of
from app.models import Scenario
from app.records.formats import Line, Lines, NamedFormat, Reference
from app.records.read import CitationOut, NamedOut, citations_field


class ScenarioOut(NamedOut):
    """An application scenario, named as the source writes it."""

    field: str | None = Field(
        description="The field it belongs to, as the source names it.", examples=["新能源"]
    )
    district_id: str | None = Field(
        description="Where it is (`/api/v1/districts/{id}`).", examples=["changzhou"]
    )
    park_id: str | None = Field(
        description="The site it is in (`/api/v1/parks/{id}`).", examples=[None]
    )
    description: str | None = Field(
        description="A short summary in CityKB's own words.", examples=["Ultra-fast charging."]
    )
    citations: list[CitationOut] = citations_field()


class ScenarioFilters(FilterQuery):
    field: list[str] = one_of("Field.", "新能源", nullable=True)
    district_id: list[str] = one_of("District id.", "changzhou", nullable=True)
    park_id: list[str] = one_of("Site id.", "songjianhu-optoelectronics-harbor", nullable=True)


class ScenarioSeed(NamedFormat):
    field: Line | None = Field(None, max_length=100)
    district_id: Reference | None = None
    park_id: Reference | None = None
    description: Lines | None = None


COLLECTION = Collection(
    path="/scenarios",
    singular="scenario",
    plural="scenarios",
    description="Application scenarios, with the field each belongs to.",
    label_zh="应用场景",
    order=7,
    model=Scenario,
    schema=ScenarioOut,
    filters=ScenarioFilters,
    record=ScenarioSeed,
    sortable=("name", "id"),
    document=Document(
        (
            Scenario.name,
            Scenario.name_zh_hant,
            Scenario.name_en,
            Scenario.field,
            Scenario.description,
        )
    ),
    sort_example="name",
    id_example="super-charging",
)
