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
from app.listing import ListQuery, PageOut, bound, fields_param, one_of, render_page, sort_param
from app.models.enums import ParkKind
from app.services import parks as service

router = APIRouter(prefix="/parks", tags=["parks"])


class ParkOut(NamedOut):
    """An industrial park, innovation community or renewed site."""

    kind: ParkKind | None = Field(
        description="What sort of place it is.", examples=["industrial_park"]
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


class ParkQuery(ListQuery):
    kind: list[ParkKind] = one_of("Kind of park.", "industrial_park")
    district_id: list[str] = one_of("District id.", "changzhou-edz")
    parent_id: list[str] = one_of("The enclosing park's id.", "west-taihu-ai-community")
    pv_installed_capacity_kw_min: float | None = bound("Least PV capacity, kW.", 1000.0)
    pv_installed_capacity_kw_max: float | None = bound("Most PV capacity, kW.", 10000.0)
    sort: str | None = sort_param("-pv_installed_capacity_kw", list(service.PARK_LIST.sortable))
    fields: str | None = fields_param("id,name,kind")


@router.get(
    "",
    operation_id="listParks",
    summary="List parks",
    response_model=PageOut[ParkOut],
    responses=PROBLEM_RESPONSES,
)
def list_parks(
    request: Request, session: SessionDep, query: Annotated[ParkQuery, Query()]
) -> Response:
    """Industrial parks, innovation communities and renewed sites."""
    page = service.list_parks(session=session, query=query)
    return json_response(request, render_page(page, ParkOut, query.fields))


@router.get(
    "/{park_id}",
    operation_id="getPark",
    summary="Get a park",
    response_model=ParkOut,
    responses=PROBLEM_RESPONSES,
)
def get_park(
    request: Request,
    session: SessionDep,
    park_id: Annotated[str, record_id_path("Park id.", "songjianhu-optoelectronics-harbor")],
) -> Response:
    """One park with its citations."""
    park = service.get_park(session=session, park_id=park_id)
    if park is None:
        raise not_found("park", park_id)
    return json_response(request, render_record(park, ParkOut))
