from pydantic import Field

from app.api.collection import Collection
from app.api.common import CitationOut, NamedOut, citations_field
from app.integers import Int32
from app.listing import FilterQuery, NullToken, bound, one_of
from app.models.enums import RecognitionStage, ZeroCarbonLevel
from app.services import zero_carbon_factories as service
from app.services.writes import WriteSpec


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
    citations: list[CitationOut] = citations_field()


class ZeroCarbonFactoryFilters(FilterQuery):
    level: list[ZeroCarbonLevel] = one_of("Recognition level.", "near_zero_carbon")
    stage: list[RecognitionStage | NullToken] = one_of(
        "Recognition stage.", "shortlisted", nullable=True
    )
    organization_id: list[str] = one_of("Recognized organization id.", "wanbang-digital-energy")
    issuer_id: list[str] = one_of("Issuer's organization id.", "jiangsu-miit", nullable=True)
    district_id: list[str] = one_of("District id.", "changzhou", nullable=True)
    year: list[Int32 | NullToken] = one_of("List year.", "2025", nullable=True)
    year_min: int | None = bound("Earliest list year (inclusive).", 2024, bits=32)
    year_max: int | None = bound("Latest list year (inclusive).", 2025, bits=32)


COLLECTION = Collection(
    path="/zero-carbon-factories",
    singular="zero-carbon factory",
    plural="zero-carbon factories",
    schema=ZeroCarbonFactoryOut,
    filters=ZeroCarbonFactoryFilters,
    spec=service.ZERO_CARBON_FACTORY_LIST,
    get_record=lambda session, record_id: service.get_zero_carbon_factory(
        session=session, factory_id=record_id
    ),
    sort_example="-year",
    id_example="wanbang-digital-energy-2025",
    write=WriteSpec("zero_carbon_factories"),
    description="Recognitions of factories as zero-carbon or near-zero-carbon.",
)
