from sqlalchemy.orm import Session

from app.listing import ListSpec
from app.models import Organization

ORGANIZATION_LIST = ListSpec(
    model=Organization,
    columns={
        "id": Organization.id,
        "name": Organization.name,
        "kind": Organization.kind,
        "parent_id": Organization.parent_id,
        "district_id": Organization.district_id,
        "park_id": Organization.park_id,
        "settled_year": Organization.settled_year,
    },
    sortable=("name", "settled_year", "id"),
    equality=("kind", "parent_id", "district_id", "park_id"),
)


def get_organization(*, session: Session, organization_id: str) -> Organization | None:
    """Return the organization with this id, or None."""
    return session.get(Organization, organization_id)
