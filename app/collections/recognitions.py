"""Lists, titles, rankings and epithets, and what they recognize: an organization, a site or
a city. Zero-carbon factory lists and titles are recognitions too; their entries, one per
organization, are `/zero-carbon-factories`, each naming its recognition."""

from pydantic import Field

from app.collections.base import Collection, Document
from app.integers import Int32
from app.listing.params import FilterQuery, NullToken, bound, one_of
from app.models import Recognition
from app.models.enums import Qualifier, RecognitionKind, RecognitionStage
from app.records.formats import Line, Lines, NamedFormat, Reference
from app.records.read import CitationOut, NamedOut, citations_field


class RecognitionOut(NamedOut):
    """A list, title, ranking or epithet, named as the source writes it, and what it
    recognizes."""

    kind: RecognitionKind | None = Field(
        description=(
            "`list` (a published list), `title` (conferred), `ranking` (a rank or bracket) or "
            "`epithet` (a name a place is known by, conferred by nobody)."
        ),
        examples=["ranking"],
    )
    organization_id: str | None = Field(
        description="The organization it recognizes (`/api/v1/organizations/{id}`).",
        examples=["jiangsu-catl"],
    )
    park_id: str | None = Field(
        description="The site it recognizes (`/api/v1/parks/{id}`).", examples=[None]
    )
    district_id: str | None = Field(
        description="The city or district it recognizes (`/api/v1/districts/{id}`).",
        examples=["changzhou"],
    )
    issuer_id: str | None = Field(
        description="Who confers or publishes it (`/api/v1/organizations/{id}`).",
        examples=["jiangsu-miit"],
    )
    published_in: str | None = Field(
        description="The report that gives it, as the source names it.",
        examples=["《2025年中国人才友好型城市研究报告》"],
    )
    scope: str | None = Field(
        description="Where it ranks or applies, as stated (`全国`, `全省`).", examples=["全国"]
    )
    year: int | None = Field(description="Its year, where stated.", examples=[2025])
    stage: RecognitionStage | None = Field(
        description="`shortlisted` (入围) or `awarded` (获评, 斩获), where stated.",
        examples=["awarded"],
    )
    rank: int | None = Field(
        description="The rank or bracket, read with `rank_qualifier`: 50 `at_most` is the "
        "top 50 (50强).",
        examples=[50],
    )
    rank_qualifier: Qualifier | None = Field(
        description="`exact` for a rank, `at_most` for a bracket such as 50强.",
        examples=["at_most"],
    )
    description: str | None = Field(
        description="A short summary in CityKB's own words.",
        examples=["A ranking of talent-friendly cities."],
    )
    citations: list[CitationOut] = citations_field()


class RecognitionFilters(FilterQuery):
    kind: list[RecognitionKind | NullToken] = one_of(
        "Kind of recognition.", "ranking", nullable=True
    )
    organization_id: list[str] = one_of(
        "Recognized organization id.", "jiangsu-catl", nullable=True
    )
    park_id: list[str] = one_of("Recognized site id.", "xinyu-canal-bay", nullable=True)
    district_id: list[str] = one_of("Recognized district id.", "changzhou", nullable=True)
    issuer_id: list[str] = one_of("Issuer's organization id.", "jiangsu-miit", nullable=True)
    stage: list[RecognitionStage | NullToken] = one_of("Stage.", "awarded", nullable=True)
    rank_qualifier: list[Qualifier | NullToken] = one_of(
        "`exact` for a rank, `at_most` for a bracket such as 50强.", "at_most", nullable=True
    )
    year: list[Int32 | NullToken] = one_of("Year.", 2025, nullable=True)
    year_min: int | None = bound("Earliest year (inclusive).", 2024, bits=32)
    year_max: int | None = bound("Latest year (inclusive).", 2025, bits=32)
    rank_min: int | None = bound("Least rank number (inclusive).", 1, bits=32)
    rank_max: int | None = bound(
        "Greatest rank number (inclusive), read with `rank_qualifier`: 50 takes 50强.", 50, bits=32
    )


class RecognitionSeed(NamedFormat):
    kind: RecognitionKind | None = None
    organization_id: Reference | None = None
    park_id: Reference | None = None
    district_id: Reference | None = None
    issuer_id: Reference | None = None
    published_in: Line | None = Field(None, max_length=200)
    scope: Line | None = Field(None, max_length=40)
    year: Int32 | None = None
    stage: RecognitionStage | None = None
    rank: Int32 | None = Field(None, ge=1)
    rank_qualifier: Qualifier | None = None
    description: Lines | None = None


COLLECTION = Collection(
    path="/recognitions",
    singular="recognition",
    plural="recognitions",
    description="Lists, titles, rankings and epithets, and the organization, site or city each "
    "recognizes.",
    label_zh="荣誉与榜单",
    order=5,
    model=Recognition,
    schema=RecognitionOut,
    filters=RecognitionFilters,
    record=RecognitionSeed,
    sortable=("name", "year", "id"),
    document=Document(
        (
            Recognition.name,
            Recognition.name_zh_hant,
            Recognition.name_en,
            Recognition.published_in,
            Recognition.description,
        )
    ),
    sort_example="-year",
    id_example="changzhou-talent-friendly-city-2025",
)
