"""Companies, agencies and committees the sources name."""

from pydantic import Field

from app.collections.base import Collection, Document
from app.integers import Int32
from app.listing.params import FilterQuery, NullToken, one_of
from app.models import Organization
from app.models.enums import OrganizationKind
from app.records.formats import (
    NamedFormat,
    Reference,
)
from app.records.read import CitationOut, NamedOut, citations_field


class OrganizationOut(NamedOut):
    """A company, agency or committee the source names."""

    kind: OrganizationKind | None = Field(description="What sort of body.", examples=["company"])
    parent_id: str | None = Field(
        description="Parent company (`/api/v1/organizations/{id}`), where stated.",
        examples=["catl"],
    )
    district_id: str | None = Field(
        description="Where it is based or settled, where stated.", examples=["liyang"]
    )
    park_id: str | None = Field(
        description="The park it is located in, where stated.", examples=["xinyu-canal-bay"]
    )
    settled_year: int | None = Field(
        description="Year it settled in its district, where stated.", examples=[2016]
    )
    citations: list[CitationOut] = citations_field()


class OrganizationFilters(FilterQuery):
    kind: list[OrganizationKind | NullToken] = one_of(
        "Kind of organization.", "company", nullable=True
    )
    parent_id: list[str] = one_of("Parent organization id.", "catl", nullable=True)
    district_id: list[str] = one_of("District id.", "changzhou", nullable=True)
    park_id: list[str] = one_of("Park id.", "xinyu-canal-bay", nullable=True)


class OrganizationSeed(NamedFormat):
    kind: OrganizationKind | None = None
    parent_id: Reference | None = None
    district_id: Reference | None = None
    park_id: Reference | None = None
    settled_year: Int32 | None = None


COLLECTION = Collection(
    path="/organizations",
    singular="organization",
    plural="organizations",
    description="Companies, agencies and committees the sources name.",
    label_zh="企业与机构",
    order=5,
    model=Organization,
    schema=OrganizationOut,
    filters=OrganizationFilters,
    record=OrganizationSeed,
    sortable=("name", "settled_year", "id"),
    document=Document((Organization.name, Organization.name_zh_hant, Organization.name_en)),
    sort_example="name",
    id_example="catl",
)
