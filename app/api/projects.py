import datetime as dt
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
from app.models.enums import ProjectStatus, Qualifier
from app.services import projects as service

router = APIRouter(prefix="/projects", tags=["projects"])


class ProjectOut(NamedOut):
    """A major investment project."""

    organization_ids: list[str] = Field(
        description="Organizations behind the project (`/api/v1/organizations/{id}`).",
        examples=[["jiangsu-catl"]],
    )
    sector: str | None = Field(
        description="Industry as the source names it; null where it does not.",
        examples=["新能源"],
    )
    district_id: str | None = Field(
        description="Where the project is (`/api/v1/districts/{id}`).", examples=["changzhou"]
    )
    status: ProjectStatus | None = Field(
        description=(
            "How far the project has come: `landed` (announced as settled in the city, stage "
            "not given), `signed`, `under_construction`, `in_production`."
        ),
        examples=["signed"],
    )
    status_date: dt.date | None = Field(
        description="Date the status was reached, where the source gives the day.",
        examples=["2025-11-26"],
    )
    status_year: int | None = Field(
        description="Year the status was reached, where the source gives it.", examples=[2025]
    )
    investment_cny: int | None = Field(
        description="Total investment in yuan (CNY), agreeing with its figure.",
        examples=[10000000000],
    )
    investment_qualifier: Qualifier | None = Field(
        description="How exact `investment_cny` is: `exact`, `approximately`, ...",
        examples=["exact"],
    )
    description: str | None = Field(
        description="A short summary in CityKB's own words.",
        examples=["Jiangsu CATL's lighthouse-factory project."],
    )
    citations: list[CitationOut] = citations_field()


class ProjectQuery(ListQuery):
    status: list[ProjectStatus] = one_of("Project status.", "signed")
    district_id: list[str] = one_of("District id.", "changzhou")
    sector: list[str] = one_of("Sector, as the source names it.", "新能源")
    organization_id: list[str] = one_of("An organization behind the project.", "jiangsu-catl")
    investment_cny_min: int | None = bound("Least investment, yuan (inclusive).", 5000000000)
    investment_cny_max: int | None = bound("Most investment, yuan (inclusive).", 20000000000)
    status_date_min: dt.date | None = bound("Earliest status date (inclusive).", "2025-01-01")
    status_date_max: dt.date | None = bound("Latest status date (inclusive).", "2025-12-31")
    status_year_min: int | None = bound("Earliest status year (inclusive).", 2025)
    status_year_max: int | None = bound("Latest status year (inclusive).", 2025)
    sort: str | None = sort_param("-investment_cny,name", list(service.PROJECT_LIST.sortable))
    fields: str | None = fields_param("id,name,investment_cny")


@router.get(
    "",
    operation_id="listProjects",
    summary="List projects",
    response_model=PageOut[ProjectOut],
    responses=PROBLEM_RESPONSES,
)
def list_projects(
    request: Request, session: SessionDep, query: Annotated[ProjectQuery, Query()]
) -> Response:
    """Major investment projects, filtered, sorted and paged."""
    page = service.list_projects(session=session, query=query)
    return json_response(request, render_page(page, ProjectOut, query.fields))


@router.get(
    "/{project_id}",
    operation_id="getProject",
    summary="Get a project",
    response_model=ProjectOut,
    responses=PROBLEM_RESPONSES,
)
def get_project(
    request: Request,
    session: SessionDep,
    project_id: Annotated[str, record_id_path("Project id.", "catl-ly9")],
) -> Response:
    """One project with its citations."""
    project = service.get_project(session=session, project_id=project_id)
    if project is None:
        raise not_found("project", project_id)
    return json_response(request, render_record(project, ProjectOut))
