from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.listing import ListQuery, ListSpec, Page, at_least, at_most, equals, paginate
from app.models import Organization, Project

PROJECT_LIST = ListSpec(
    sortable={
        "name": Project.name,
        "investment_cny": Project.investment_cny,
        "status": Project.status,
        "status_date": Project.status_date,
        "status_year": Project.status_year,
        "sector": Project.sector,
        "district_id": Project.district_id,
        "id": Project.id,
    },
    filters={
        "status": equals(Project.status),
        "district_id": equals(Project.district_id),
        "sector": equals(Project.sector),
        "organization_id": lambda ids: Project.organizations.any(Organization.id.in_(ids)),
        "investment_cny_min": at_least(Project.investment_cny),
        "investment_cny_max": at_most(Project.investment_cny),
        "status_date_min": at_least(Project.status_date),
        "status_date_max": at_most(Project.status_date),
        "status_year_min": at_least(Project.status_year),
        "status_year_max": at_most(Project.status_year),
    },
    search=Project.search_text,
)


def list_projects(*, session: Session, query: ListQuery) -> Page[Project]:
    """Return one page of the projects that match the query."""
    statement = select(Project).options(selectinload(Project.organizations))
    return paginate(session=session, statement=statement, spec=PROJECT_LIST, query=query)


def get_project(*, session: Session, project_id: str) -> Project | None:
    """Return the project with this id, or None."""
    return session.get(Project, project_id)
