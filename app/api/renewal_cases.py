from pydantic import Field

from app.api.collection import Collection
from app.api.common import CitationOut, NamedOut, citations_field
from app.listing import FilterQuery, bound, one_of
from app.models.enums import Qualifier
from app.services import renewal_cases as service
from app.services.writes import WriteSpec


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
    floor_area_m2_min: float | None = bound("Least floor area, m².", 10000.0)
    floor_area_m2_max: float | None = bound("Most floor area, m².", 50000.0)
    plot_ratio_after_min: float | None = bound("Least plot ratio after renewal.", 2.0)
    plot_ratio_after_max: float | None = bound("Most plot ratio after renewal.", 3.0)


COLLECTION = Collection(
    path="/renewal-cases",
    singular="renewal case",
    plural="renewal cases",
    schema=RenewalCaseOut,
    filters=RenewalCaseFilters,
    spec=service.RENEWAL_CASE_LIST,
    get_record=lambda session, record_id: service.get_renewal_case(
        session=session, renewal_case_id=record_id
    ),
    sort_example="-plot_ratio_after",
    id_example="hutang-sci-tech-park-renewal",
    write=WriteSpec("renewal_cases"),
    description="Old industrial sites and how they were renewed.",
)
