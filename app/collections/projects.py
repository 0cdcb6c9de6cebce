"""Major investment projects: their schema, filters, record format, search document and
links to the organizations behind them."""

import datetime as dt
from typing import Any

from pydantic import Field
from sqlalchemy import ColumnElement, select

from app.collections.base import Collection, Document, Links
from app.integers import Int32, Int64
from app.listing.params import FilterQuery, IsoDate, NullToken, bound, one_of
from app.listing.spec import Rollup
from app.models import Project, ProjectRollup, project_organizations
from app.models.enums import ProjectStatus, Qualifier
from app.records.formats import (
    Line,
    Lines,
    NamedFormat,
    Reference,
)
from app.records.read import CitationOut, NamedOut, citations_field


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


class ProjectFilters(FilterQuery):
    status: list[ProjectStatus | NullToken] = one_of("Project status.", "signed", nullable=True)
    district_id: list[str] = one_of("District id.", "changzhou", nullable=True)
    sector: list[str] = one_of("Sector, as the source names it.", "新能源软磁材料", nullable=True)
    status_year: list[Int32 | NullToken] = one_of("Status year.", 2025, nullable=True)
    organization_id: list[str] = one_of("An organization behind the project.", "jiangsu-catl")
    investment_qualifier: list[Qualifier | NullToken] = one_of(
        "How exact `investment_cny` is.", "exact", nullable=True
    )
    investment_cny_min: int | None = bound("Least investment, yuan (inclusive).", 5000000000)
    investment_cny_max: int | None = bound("Most investment, yuan (inclusive).", 20000000000)
    status_date_min: IsoDate | None = bound("Earliest status date (inclusive).", "2025-01-01")
    status_date_max: IsoDate | None = bound("Latest status date (inclusive).", "2025-12-31")
    status_year_min: int | None = bound("Earliest status year (inclusive).", 2025, bits=32)
    status_year_max: int | None = bound("Latest status year (inclusive).", 2025, bits=32)


class ProjectSeed(NamedFormat):
    organization_ids: list[Reference] = Field(default_factory=list, max_length=100)
    sector: Line | None = Field(None, max_length=100)
    district_id: Reference | None = None
    status: ProjectStatus | None = None
    status_date: dt.date | None = None
    status_year: Int32 | None = None
    investment_cny: Int64 | None = None
    investment_qualifier: Qualifier | None = None
    description: Lines | None = None


def _with_any_organization(ids: Any) -> ColumnElement[bool]:
    # Uncorrelated: the links of the given organizations are sought once through their index,
    # rather than an EXISTS probed for every project.
    linked = select(project_organizations.c.project_id).where(
        project_organizations.c.organization_id.in_(ids)
    )
    return Project.__table__.c.id.in_(linked)


COLLECTION = Collection(
    path="/projects",
    singular="project",
    plural="projects",
    description="Major investment projects.",
    label_zh="重大项目",
    order=1,
    model=Project,
    schema=ProjectOut,
    filters=ProjectFilters,
    record=ProjectSeed,
    custom_filters={"organization_id": _with_any_organization},
    sortable=("name", "investment_cny", "status_date", "id"),
    numeric=("investment_cny",),
    rollup=Rollup(ProjectRollup, ("district_id", "status")),
    document=Document(
        (Project.name, Project.name_zh_hant, Project.name_en, Project.sector, Project.description)
    ),
    links=Links(
        field="organization_ids",
        table=project_organizations,
        own=project_organizations.c.project_id,
        other=project_organizations.c.organization_id,
        target="organizations",
    ),
    figure_backed={"investment_cny": "investment_qualifier"},
    sort_example="-investment_cny,name",
    id_example="catl-ly9",
)
