"""Plans, policies, industrial systems, goals, pilot schemes, strategies, methods and
judgments; a figure of kind `target` names the programme it belongs to."""

import datetime as dt

from pydantic import Field

from app.collections.base import Collection, Document
from app.listing.params import FilterQuery, IsoDate, NullToken, bound, one_of
from app.models import Programme
from app.models.enums import ProgrammeKind
from app.records.formats import Line, Lines, NamedFormat, Reference
from app.records.read import CitationOut, NamedOut, citations_field


class ProgrammeOut(NamedOut):
    """A plan, policy, industrial system, goal, pilot scheme, strategy, method or judgment,
    named as the source writes it. Its targets are the figures that name it
    (`/api/v1/figures?programme_id={id}`)."""

    kind: ProgrammeKind | None = Field(description="What sort of programme.", examples=["plan"])
    period: str | None = Field(
        description="The period it covers, as stated (`三年`, `十五五`).", examples=["十五五"]
    )
    period_start: dt.date | None = Field(description="First day of the period.", examples=[None])
    period_end: dt.date | None = Field(description="Last day of the period.", examples=[None])
    district_id: str | None = Field(
        description="The city or district it belongs to (`/api/v1/districts/{id}`).",
        examples=["changzhou"],
    )
    organization_id: str | None = Field(
        description="The body that set it, where stated (`/api/v1/organizations/{id}`).",
        examples=[None],
    )
    parent_id: str | None = Field(
        description="The programme it is part of (`/api/v1/programmes/{id}`).", examples=[None]
    )
    focus_areas: str | None = Field(
        description="The fields it focuses on, as the source lists them.",
        examples=["人工智能、合成生物"],
    )
    description: str | None = Field(
        description="A short summary in CityKB's own words.",
        examples=["A three-year action plan."],
    )
    citations: list[CitationOut] = citations_field()


class ProgrammeFilters(FilterQuery):
    kind: list[ProgrammeKind | NullToken] = one_of("Kind of programme.", "plan", nullable=True)
    district_id: list[str] = one_of("District id.", "changzhou", nullable=True)
    organization_id: list[str] = one_of("Organization id.", "cpc-central-committee", nullable=True)
    parent_id: list[str] = one_of(
        "Enclosing programme id.", "fifteenth-five-year-plan", nullable=True
    )
    period_start_min: IsoDate | None = bound("Earliest period start.", "2025-01-01")
    period_start_max: IsoDate | None = bound("Latest period start.", "2030-12-31")
    period_end_min: IsoDate | None = bound("Earliest period end.", "2025-12-31")
    period_end_max: IsoDate | None = bound("Latest period end.", "2030-12-31")


class ProgrammeSeed(NamedFormat):
    kind: ProgrammeKind | None = None
    period: Line | None = Field(None, max_length=40)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    district_id: Reference | None = None
    organization_id: Reference | None = None
    parent_id: Reference | None = None
    focus_areas: Line | None = Field(None, max_length=200)
    description: Lines | None = None


COLLECTION = Collection(
    path="/programmes",
    singular="programme",
    plural="programmes",
    description="Plans, policies, industrial systems, goals and pilot schemes, with their targets.",
    label_zh="规划与政策",
    order=6,
    model=Programme,
    schema=ProgrammeOut,
    filters=ProgrammeFilters,
    record=ProgrammeSeed,
    sortable=("name", "period_start", "id"),
    document=Document(
        (
            Programme.name,
            Programme.name_zh_hant,
            Programme.name_en,
            Programme.focus_areas,
            Programme.description,
        )
    ),
    sort_example="name",
    id_example="new-energy-system-three-year-plan",
)
