from sqlalchemy import select
from sqlalchemy.orm import Session

from app.listing import ListQuery, ListSpec, Page, at_least, at_most, equals, paginate
from app.models import RenewalCase

RENEWAL_CASE_LIST = ListSpec(
    sortable={
        "name": RenewalCase.name,
        "park_id": RenewalCase.park_id,
        "approach": RenewalCase.approach,
        "plot_ratio_after": RenewalCase.plot_ratio_after,
        "floor_area_m2": RenewalCase.floor_area_m2,
        "id": RenewalCase.id,
    },
    filters={
        "park_id": equals(RenewalCase.park_id),
        "district_id": equals(RenewalCase.district_id),
        "former_occupant_id": equals(RenewalCase.former_occupant_id),
        "approach": equals(RenewalCase.approach),
        "floor_area_m2_min": at_least(RenewalCase.floor_area_m2),
        "floor_area_m2_max": at_most(RenewalCase.floor_area_m2),
        "plot_ratio_after_min": at_least(RenewalCase.plot_ratio_after),
        "plot_ratio_after_max": at_most(RenewalCase.plot_ratio_after),
    },
    search=RenewalCase.search_text,
)


def list_renewal_cases(*, session: Session, query: ListQuery) -> Page[RenewalCase]:
    """Return one page of the renewal cases that match the query."""
    statement = select(RenewalCase)
    return paginate(session=session, statement=statement, spec=RENEWAL_CASE_LIST, query=query)


def get_renewal_case(*, session: Session, renewal_case_id: str) -> RenewalCase | None:
    """Return the renewal case with this id, or None."""
    return session.get(RenewalCase, renewal_case_id)
