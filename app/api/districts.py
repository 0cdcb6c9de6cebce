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
from app.models.enums import DistrictKind
from app.services import districts as service

router = APIRouter(prefix="/districts", tags=["districts"])


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


@router.get(
    "",
    operation_id="listDistricts",
    summary="List districts",
    response_model=PageOut[DistrictOut],
    responses=PROBLEM_RESPONSES,
)
def list_districts(
    request: Request, session: SessionDep, query: Annotated[DistrictQuery, Query()]
) -> Response:
    """The city and the places within it that the sources name."""
    page = service.list_districts(session=session, query=query)
    return json_response(request, render_page(page, DistrictOut, query.fields))


@router.get(
    "/{district_id}",
    operation_id="getDistrict",
    summary="Get a district",
    response_model=DistrictOut,
    responses=PROBLEM_RESPONSES,
)
def get_district(
    request: Request,
    session: SessionDep,
    district_id: Annotated[str, record_id_path("District id.", "changzhou")],
) -> Response:
    """One district with its citations."""
    district = service.get_district(session=session, district_id=district_id)
    if district is None:
        raise not_found("district", district_id)
    return json_response(request, render_record(district, DistrictOut))
