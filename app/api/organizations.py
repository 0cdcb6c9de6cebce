from pydantic import Field

from app.api.collection import Collection, collection_router
from app.api.common import CitationOut, NamedOut, citations_field
from app.listing import ListQuery, fields_param, one_of, sort_param
from app.models.enums import OrganizationKind
from app.services import organizations as service


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


class OrganizationQuery(ListQuery):
    kind: list[OrganizationKind] = one_of("Kind of organization.", "company")
    parent_id: list[str] = one_of("Parent organization id.", "catl")
    district_id: list[str] = one_of("District id.", "changzhou")
    park_id: list[str] = one_of("Park id.", "xinyu-canal-bay")
    sort: str | None = sort_param("name", list(service.ORGANIZATION_LIST.sortable))
    fields: str | None = fields_param("id,name,name_en")


router = collection_router(
    Collection(
        path="/organizations",
        singular="organization",
        plural="organizations",
        schema=OrganizationOut,
        query=OrganizationQuery,
        list_page=service.list_organizations,
        get_record=lambda session, record_id: service.get_organization(
            session=session, organization_id=record_id
        ),
        id_example="catl",
        description="Companies, agencies and committees the sources name.",
    )
)
