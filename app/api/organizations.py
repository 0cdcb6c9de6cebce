from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.responses import Response

from app.api.common import (
    CitationOut,
    NamedOut,
    citations_field,
    not_found,
    record_id_path,
    render_record,
)
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.http import json_response
from app.listing import ListQuery, PageOut, fields_param, one_of, render_page, sort_param
from app.models.enums import OrganizationKind
from app.services import organizations as service

router = APIRouter(prefix="/organizations", tags=["organizations"])


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


@router.get(
    "",
    operation_id="listOrganizations",
    summary="List organizations",
    response_model=PageOut[OrganizationOut],
    responses=PROBLEM_RESPONSES,
)
def list_organizations(
    request: Request, session: SessionDep, query: Annotated[OrganizationQuery, Query()]
) -> Response:
    """Companies, agencies and committees the sources name."""
    page = service.list_organizations(session=session, query=query)
    return json_response(request, render_page(page, OrganizationOut, query.fields))


@router.get(
    "/{organization_id}",
    operation_id="getOrganization",
    summary="Get an organization",
    response_model=OrganizationOut,
    responses=PROBLEM_RESPONSES,
)
def get_organization(
    request: Request,
    session: SessionDep,
    organization_id: Annotated[str, record_id_path("Organization id.", "catl")],
) -> Response:
    """One organization with its citations."""
    organization = service.get_organization(session=session, organization_id=organization_id)
    if organization is None:
        raise not_found("organization", organization_id)
    return json_response(request, render_record(organization, OrganizationOut))
