from pydantic import Field

from app.api.collection import Collection
from app.api.common import CitationOut, NamedOut, citations_field
from app.listing import FilterQuery, NullToken, bound, one_of
from app.models.enums import ParkKind
from app.services import parks as service
from app.services.writes import WriteSpec


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
    pv_installed_capacity_kw_min: float | None = bound("Least PV capacity, kW.", 1000.0)
    pv_installed_capacity_kw_max: float | None = bound("Most PV capacity, kW.", 10000.0)


COLLECTION = Collection(
    path="/parks",
    singular="park",
    plural="parks",
    schema=ParkOut,
    filters=ParkFilters,
    spec=service.PARK_LIST,
    get_record=lambda session, record_id: service.get_park(session=session, park_id=record_id),
    sort_example="-pv_installed_capacity_kw",
    id_example="songjianhu-optoelectronics-harbor",
    write=WriteSpec("parks"),
    description="Industrial parks, innovation communities and renewed sites.",
)
