from pydantic import Field

from app.api.collection import Collection
from app.api.common import CitationOut, NamedOut, citations_field
from app.listing import FilterQuery, NullToken, one_of
from app.models.enums import DistrictKind
from app.services import districts as service
from app.services.writes import WriteSpec


class DistrictOut(NamedOut):
    """A province, city, county, district or zone, in a hierarchy."""

    kind: DistrictKind | None = Field(
        description="Administrative kind, where the source makes it clear.",
        examples=["city"],
    )
    parent_id: str | None = Field(
        description="The enclosing district (`/api/v1/districts/{id}`).", examples=["jiangsu"]
    )
    citations: list[CitationOut] = citations_field()


class DistrictFilters(FilterQuery):
    kind: list[DistrictKind | NullToken] = one_of("Administrative kind.", "city", nullable=True)
    parent_id: list[str] = one_of("Enclosing district id.", "changzhou", nullable=True)


COLLECTION = Collection(
    path="/districts",
    singular="district",
    plural="districts",
    schema=DistrictOut,
    filters=DistrictFilters,
    spec=service.DISTRICT_LIST,
    get_record=lambda session, record_id: service.get_district(
        session=session, district_id=record_id
    ),
    sort_example="name",
    id_example="changzhou",
    write=WriteSpec("districts"),
    description="The city and the places in and around it that the sources name.",
)
