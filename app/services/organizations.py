from sqlalchemy import select
from sqlalchemy.orm import Session

from app.listing import ListQuery, ListSpec, Page, equals, paginate
from app.models import Organization

ORGANIZATION_LIST = ListSpec(
    sortable={
        "name": Organization.name,
        "kind": Organization.kind,
        "settled_year": Organization.settled_year,
        "id": Organization.id,
    },
    filters={
        "kind": equals(Organization.kind),
        "parent_id": equals(Organization.parent_id),
        "district_id": equals(Organization.district_id),
        "park_id": equals(Organization.park_id),
    },
    search=Organization.search_text,
)


def list_organizations(*, session: Session, query: ListQuery) -> Page[Organization]:
    """Return one page of the organizations that match the query."""
    statement = select(Organization)
    return paginate(session=session, statement=statement, spec=ORGANIZATION_LIST, query=query)


def get_organization(*, session: Session, organization_id: str) -> Organization | None:
    """Return the organization with this id, or None."""
    return session.get(Organization, organization_id)
