from sqlalchemy import select
from sqlalchemy.orm import Session

from app.listing import ListQuery, ListSpec, Page, at_least, at_most, equals, paginate
from app.models import Park

PARK_LIST = ListSpec(
    sortable={
        "name": Park.name,
        "kind": Park.kind,
        "district_id": Park.district_id,
        "pv_installed_capacity_kw": Park.pv_installed_capacity_kw,
        "pv_corridor_length_m": Park.pv_corridor_length_m,
        "id": Park.id,
    },
    filters={
        "kind": equals(Park.kind),
        "district_id": equals(Park.district_id),
        "parent_id": equals(Park.parent_id),
        "pv_installed_capacity_kw_min": at_least(Park.pv_installed_capacity_kw),
        "pv_installed_capacity_kw_max": at_most(Park.pv_installed_capacity_kw),
    },
    search=Park.search_text,
)


def list_parks(*, session: Session, query: ListQuery) -> Page[Park]:
    """Return one page of the parks that match the query."""
    return paginate(session=session, statement=select(Park), spec=PARK_LIST, query=query)


def get_park(*, session: Session, park_id: str) -> Park | None:
    """Return the park with this id, or None."""
    return session.get(Park, park_id)
