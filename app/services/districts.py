from sqlalchemy import select
from sqlalchemy.orm import Session

from app.listing import ListQuery, ListSpec, Page, equals, paginate
from app.models import District

DISTRICT_LIST = ListSpec(
    sortable={"name": District.name, "kind": District.kind, "id": District.id},
    filters={"kind": equals(District.kind), "parent_id": equals(District.parent_id)},
    search=District.search_text,
)


def list_districts(*, session: Session, query: ListQuery) -> Page[District]:
    """Return one page of the districts that match the query."""
    return paginate(session=session, statement=select(District), spec=DISTRICT_LIST, query=query)


def get_district(*, session: Session, district_id: str) -> District | None:
    """Return the district with this id, or None."""
    return session.get(District, district_id)
