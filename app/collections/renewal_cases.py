"""Urban-renewal cases: old industrial sites and how they were renewed."""

from pydantic import Field

from app.collections.base import Collection, Document
from app.listing.params import FilterQuery, NullToken, bound, one_of
from app.models import RenewalCase
from app.models.enums import Qualifier
from app.records.formats import (
    Line,
    Lines,
    NamedFormat,
    Reference,
)
from app.records.read import CitationOut, NamedOut, citations_field


class RenewalCaseOut(NamedOut):
    """How an old industrial site was renewed."""

    park_id: str | None = Field(
        description="The renewed site (`/api/v1/parks/{id}`).",
        examples=["hutang-sci-tech-park"],
    )
    district_id: str | None = Field(description="District id, where stated.", examples=[None])
    former_occupant_id: str | None = Field(
        description="The organization that used the site before (`/api/v1/organizations/{id}`).",
        examples=["xinyu-group"],
    )
    former_site: str | None = Field(
        description="What the site was, as the source names it.", examples=["第二纺织机械厂"]
    )
    new_use: str | None = Field(
        description="What it became, as the source names it.", examples=["创意集群"]
    )
    approach: str | None = Field(
        description="How it was renewed, as the source names the approach.",
        examples=["基金+基地+城市"],
    )
    plot_ratio_before: float | None = Field(
        description="Average plot ratio (floor area / land area) before.", examples=[1.1]
    )
    plot_ratio_after: float | None = Field(
        description="Average plot ratio (floor area / land area) after.", examples=[2.16]
    )
    floor_area_m2: float | None = Field(
        description="Building floor area renewed, m².", examples=[20000]
    )
    floor_area_qualifier: Qualifier | None = Field(
        description="How exact `floor_area_m2` is.", examples=["more_than"]
    )
    description: str | None = Field(
        description="A short summary in CityKB's own words.", examples=["A former plant."]
    )
    citations: list[CitationOut] = citations_field()


class RenewalCaseFilters(FilterQuery):
    park_id: list[str] = one_of("Renewed site's park id.", "hutang-sci-tech-park", nullable=True)
    district_id: list[str] = one_of("District id.", "changzhou", nullable=True)
    former_occupant_id: list[str] = one_of(
        "Former occupant's organization id.", "xinyu-group", nullable=True
    )
    approach: list[str] = one_of(
        "Renewal approach, as the source names it.", "工业转科研", nullable=True
    )
    floor_area_qualifier: list[Qualifier | NullToken] = one_of(
        "How exact `floor_area_m2` is.", "more_than", nullable=True
    )
    floor_area_m2_min: float | None = bound("Least floor area, m².", 10000.0)
    floor_area_m2_max: float | None = bound("Most floor area, m².", 50000.0)
    plot_ratio_before_min: float | None = bound("Least plot ratio before renewal.", 1.0)
    plot_ratio_before_max: float | None = bound("Most plot ratio before renewal.", 2.0)
    plot_ratio_after_min: float | None = bound("Least plot ratio after renewal.", 2.0)
    plot_ratio_after_max: float | None = bound("Most plot ratio after renewal.", 3.0)


class RenewalCaseSeed(NamedFormat):
    park_id: Reference | None = None
    district_id: Reference | None = None
    former_occupant_id: Reference | None = None
    former_site: Line | None = Field(None, max_length=200)
    new_use: Line | None = Field(None, max_length=200)
    approach: Line | None = Field(None, max_length=200)
    plot_ratio_before: float | None = None
    plot_ratio_after: float | None = None
    floor_area_m2: float | None = None
    floor_area_qualifier: Qualifier | None = None
    description: Lines | None = None


COLLECTION = Collection(
    path="/renewal-cases",
    singular="renewal case",
    plural="renewal cases",
    description="Old industrial sites and how they were renewed.",
    label_zh="城市更新",
    order=3,
    model=RenewalCase,
    schema=RenewalCaseOut,
    filters=RenewalCaseFilters,
    record=RenewalCaseSeed,
    sortable=("name", "plot_ratio_after", "floor_area_m2", "id"),
    numeric=("plot_ratio_before", "plot_ratio_after", "floor_area_m2"),
    document=Document(
        (
            RenewalCase.name,
            RenewalCase.name_zh_hant,
            RenewalCase.name_en,
            RenewalCase.former_site,
            RenewalCase.new_use,
            RenewalCase.approach,
            RenewalCase.description,
        )
    ),
    figure_backed={
        "plot_ratio_before": None,
        "plot_ratio_after": None,
        "floor_area_m2": "floor_area_qualifier",
    },
    sort_example="-plot_ratio_after",
    id_example="hutang-sci-tech-park-renewal",
)
