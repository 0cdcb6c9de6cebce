from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.listing import ListSpec
from app.models import Project, project_organizations


def _with_any_organization(ids: Any) -> ColumnElement[bool]:
    # Uncorrelated: the links of the given organizations are sought once through their index,
    # rather than an EXISTS probed for every project.
    linked = select(project_organizations.c.project_id).where(
        project_organizations.c.organization_id.in_(ids)
    )
    return Project.__table__.c.id.in_(linked)


PROJECT_LIST = ListSpec(
    model=Project,
    columns={
        "id": Project.id,
        "name": Project.name,
        "investment_cny": Project.investment_cny,
        "status": Project.status,
        "status_date": Project.status_date,
        "status_year": Project.status_year,
        "sector": Project.sector,
        "district_id": Project.district_id,
    },
    sortable=("name", "investment_cny", "status_date", "id"),
    equality=("status", "district_id", "sector", "status_year"),
    ranges=("investment_cny", "status_date", "status_year"),
    numeric=("investment_cny",),
    custom={
        "organization_id": _with_any_organization,
    },
)


def get_project(*, session: Session, project_id: str) -> Project | None:
    """Return the project with this id, or None."""
    return session.get(Project, project_id)
