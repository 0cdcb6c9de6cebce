"""Recognitions of factories as zero-carbon or near-zero-carbon, each named after the
organization it recognizes: a view, one entry per organization, of the recognitions of that
kind in `/recognitions`."""

from pydantic import Field

from app.collections.base import Collection, Document
from app.integers import Int32
from app.listing.params import FilterQuery, NullToken, bound, one_of
from app.models import Organization, ZeroCarbonFactory
from app.models.enums import RecognitionStage, ZeroCarbonLevel
from app.records.formats import (
    CitedFormat,
    Line,
    Reference,
)
from app.records.read import CitationOut, NamedOut, citations_field


class ZeroCarbonFactoryOut(NamedOut):
    """An organization's recognition as a zero-carbon or near-zero-carbon factory.

    `name`, `name_zh_hant` and `name_en` are the recognized organization's."""

    organization_id: str = Field(
        description="The recognized organization (`/api/v1/organizations/{id}`).",
        examples=["wanbang-digital-energy"],
    )
    level: ZeroCarbonLevel = Field(
        description="`zero_carbon` or `near_zero_carbon`.", examples=["zero_carbon"]
    )
    stage: RecognitionStage | None = Field(
        description="`shortlisted` (named on a published shortlist) or `awarded`.",
        examples=["shortlisted"],
    )
    list_name: str | None = Field(
        description="The list that names it.", examples=["2025年度江苏省零碳(近零碳)工厂入围名单"]
    )
    issuer_id: str | None = Field(
        description="Who issued the list (`/api/v1/organizations/{id}`).",
        examples=["jiangsu-miit"],
    )
    year: int | None = Field(description="The list's year.", examples=[2025])
    district_id: str | None = Field(description="District id.", examples=["changzhou"])
    recognition_id: str | None = Field(
        description=(
            "The recognition this is the organization's entry of: the list that names it, or "
            "the title conferred on it (`/api/v1/recognitions/{id}`)."
        ),
        examples=["jiangsu-zero-carbon-factory-list-2025"],
    )
    citations: list[CitationOut] = citations_field()


class ZeroCarbonFactoryFilters(FilterQuery):
    level: list[ZeroCarbonLevel] = one_of("Recognition level.", "near_zero_carbon")
    stage: list[RecognitionStage | NullToken] = one_of(
        "Recognition stage.", "shortlisted", nullable=True
    )
    organization_id: list[str] = one_of("Recognized organization id.", "wanbang-digital-energy")
    issuer_id: list[str] = one_of("Issuer's organization id.", "jiangsu-miit", nullable=True)
    district_id: list[str] = one_of("District id.", "changzhou", nullable=True)
    recognition_id: list[str] = one_of(
        "The list's recognition id.", "jiangsu-zero-carbon-factory-list-2025", nullable=True
    )
    year: list[Int32 | NullToken] = one_of("List year.", 2025, nullable=True)
    year_min: int | None = bound("Earliest list year (inclusive).", 2024, bits=32)
    year_max: int | None = bound("Latest list year (inclusive).", 2025, bits=32)


class ZeroCarbonFactorySeed(CitedFormat):
    organization_id: Reference
    level: ZeroCarbonLevel
    stage: RecognitionStage | None = None
    list_name: Line | None = Field(None, max_length=200)
    issuer_id: Reference | None = None
    year: Int32 | None = None
    district_id: Reference | None = None
    recognition_id: Reference | None = None


COLLECTION = Collection(
    path="/zero-carbon-factories",
    singular="zero-carbon factory",
    plural="zero-carbon factories",
    description="Recognitions of factories as zero-carbon or near-zero-carbon.",
    label_zh="零碳工厂",
    order=4,
    model=ZeroCarbonFactory,
    schema=ZeroCarbonFactoryOut,
    filters=ZeroCarbonFactoryFilters,
    record=ZeroCarbonFactorySeed,
    # Not by name: a name lives on the organization, and no index on this table can serve it.
    sortable=("year", "id"),
    default_sort="id",
    document=Document(
        (
            Organization.name,
            Organization.name_zh_hant,
            Organization.name_en,
            ZeroCarbonFactory.list_name,
        )
    ),
    named_after=ZeroCarbonFactory.organization_id,
    sort_example="-year",
    id_example="wanbang-digital-energy-2025",
)
