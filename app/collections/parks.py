"""Industrial parks, innovation communities and renewed sites."""

from pydantic import Field

from app.collections.base import Collection, Document
from app.listing.params import FilterQuery, NullToken, bound, one_of
from app.models import Park
from app.models.enums import ParkKind
from app.records.formats import (
    Line,
    Lines,
    NamedFormat,
    Reference,
)
from app.records.read import CitationOut, NamedOut, citations_field


class ParkOut(NamedOut):
    """An industrial park, innovation community or renewed site."""

    kind: ParkKind | None = Field(
        description="What sort of place it is.",
        examples=["industrial_park"],
    )
    district_id: str | None = Field(
        description="Where it is (`/api/v1/districts/{id}`).", examples=["changzhou-edz"]
    )
    parent_id: str | None = Field(
        description="The park this one lies within (`/api/v1/parks/{id}`).",
        examples=["west-taihu-ai-community"],
    )
    group_id: str | None = Field(
        description=(
            "The grouping of sites it belongs to, such as a cluster (`/api/v1/parks/{id}`)."
        ),
        examples=["canal-creative-cluster"],
    )
    location: str | None = Field(
        description="Where it lies, as the source puts it.", examples=["京杭运河畔"]
    )
    pv_installed_capacity_kw: float | None = Field(
        description="Installed photovoltaic capacity, kW.", examples=[6160]
    )
    pv_corridor_length_m: float | None = Field(
        description="Length of its photovoltaic corridor, m.", examples=[580]
    )
    description: str | None = Field(
        description="A short summary in CityKB's own words.", examples=["A technology park."]
    )
    citations: list[CitationOut] = citations_field()


class ParkFilters(FilterQuery):
    kind: list[ParkKind | NullToken] = one_of("Kind of park.", "industrial_park", nullable=True)
    district_id: list[str] = one_of("District id.", "changzhou-edz", nullable=True)
    parent_id: list[str] = one_of(
        "The enclosing park's id.", "west-taihu-ai-community", nullable=True
    )
    group_id: list[str] = one_of("Site grouping id.", "canal-creative-cluster", nullable=True)
    pv_installed_capacity_kw_min: float | None = bound("Least PV capacity, kW.", 1000.0)
    pv_installed_capacity_kw_max: float | None = bound("Most PV capacity, kW.", 10000.0)
    pv_corridor_length_m_min: float | None = bound("Least PV corridor length, m.", 100.0)
    pv_corridor_length_m_max: float | None = bound("Most PV corridor length, m.", 1000.0)


class ParkSeed(NamedFormat):
    kind: ParkKind | None = None
    district_id: Reference | None = None
    parent_id: Reference | None = None
    group_id: Reference | None = None
    location: Line | None = Field(None, max_length=200)
    pv_installed_capacity_kw: float | None = None
    pv_corridor_length_m: float | None = None
    description: Lines | None = None


COLLECTION = Collection(
    path="/parks",
    singular="park",
    plural="parks",
    description="Industrial parks, innovation communities and renewed sites.",
    label_zh="产业园区",
    order=2,
    model=Park,
    schema=ParkOut,
    filters=ParkFilters,
    record=ParkSeed,
    sortable=("name", "pv_installed_capacity_kw", "id"),
    numeric=("pv_installed_capacity_kw", "pv_corridor_length_m"),
    document=Document(
        (Park.name, Park.name_zh_hant, Park.name_en, Park.location, Park.description)
    ),
    figure_backed={"pv_installed_capacity_kw": None, "pv_corridor_length_m": None},
    sort_example="-pv_installed_capacity_kw",
    id_example="songjianhu-optoelectronics-harbor",
)
