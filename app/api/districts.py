from pydantic import Field

from app.api.collection import Collection, collection_router
from app.api.common import CitationOut, NamedOut, citations_field
from app.listing import ListQuery, fields_param, one_of, sort_param
from app.models.enums import DistrictKind
from app.services import districts as service


class DistrictOut(NamedOut):
    """A province, city, county, district or zone, in a hierarchy."""

    kind: DistrictKind | None = Field(
        description="Administrative kind, where the source makes it clear.", examples=["city"]
    )
    parent_id: str | None = Field(
        description="The enclosing district (`/api/v1/districts/{id}`).", examples=["jiangsu"]
    )
    citations: list[CitationOut] = citations_field()


class DistrictQuery(ListQuery):
    kind: list[DistrictKind] = one_of("Administrative kind.", "city")
    parent_id: list[str] = one_of("Enclosing district id.", "changzhou")
    sort: str | None = sort_param("name", list(service.DISTRICT_LIST.sortable))
    fields: str | None = fields_param("id,name,parent_id")


router = collection_router(
    Collection(
        path="/districts",
        singular="district",
        plural="districts",
        schema=DistrictOut,
        query=DistrictQuery,
        list_page=service.list_districts,
        get_record=lambda session, record_id: service.get_district(
            session=session, district_id=record_id
        ),
        id_example="changzhou",
        description="The city and the places in and around it that the sources name.",
    )
)
