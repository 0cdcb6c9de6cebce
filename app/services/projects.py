from sqlalchemy.orm import Session

from app.listing import ListSpec
from app.models import Organization, Project

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
        "organization_id": lambda ids: Project.organizations.any(Organization.id.in_(ids)),
    },
)


def get_project(*, session: Session, project_id: str) -> Project | None:
    """Return the project with this id, or None."""
    return session.get(Project, project_id)
