from pydantic import Field

from app.api.collection import Collection
from app.api.common import CitationOut, NamedOut, citations_field
from app.listing import FilterQuery, NullToken, one_of
from app.models.enums import OrganizationKind
from app.services import organizations as service
from app.services.writes import WriteSpec


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


COLLECTION = Collection(
    path="/organizations",
    singular="organization",
    plural="organizations",
    schema=OrganizationOut,
    filters=OrganizationFilters,
    spec=service.ORGANIZATION_LIST,
    get_record=lambda session, record_id: service.get_organization(
        session=session, organization_id=record_id
    ),
    sort_example="name",
    id_example="catl",
    write=WriteSpec("organizations"),
    description="Companies, agencies and committees the sources name.",
)
