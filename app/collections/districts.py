"""The city and the places in and around it that the sources name."""

from pydantic import Field

from app.collections.base import Collection, Document
from app.listing.params import FilterQuery, NullToken, one_of
from app.models import District
from app.models.enums import DistrictKind
from app.records.formats import (
    NamedFormat,
    Reference,
)
from app.records.read import CitationOut, NamedOut, citations_field


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


class DistrictSeed(NamedFormat):
    kind: DistrictKind | None = None
    parent_id: Reference | None = None


COLLECTION = Collection(
    path="/districts",
    singular="district",
    plural="districts",
    description="The city and the places in and around it that the sources name.",
    label_zh="行政区",
    order=11,
    model=District,
    schema=DistrictOut,
    filters=DistrictFilters,
    record=DistrictSeed,
    sortable=("name", "id"),
    document=Document((District.name, District.name_zh_hant, District.name_en)),
    sort_example="name",
    id_example="changzhou",
)
