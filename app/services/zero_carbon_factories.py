from sqlalchemy import select
from sqlalchemy.orm import Session

from app.listing import ListQuery, ListSpec, Page, at_least, at_most, equals, paginate
from app.models import Organization, ZeroCarbonFactory

ZERO_CARBON_FACTORY_LIST = ListSpec(
    sortable={
        "name": Organization.name,
        "level": ZeroCarbonFactory.level,
        "year": ZeroCarbonFactory.year,
        "district_id": ZeroCarbonFactory.district_id,
        "id": ZeroCarbonFactory.id,
    },
    filters={
        "level": equals(ZeroCarbonFactory.level),
        "stage": equals(ZeroCarbonFactory.stage),
        "organization_id": equals(ZeroCarbonFactory.organization_id),
        "issuer_id": equals(ZeroCarbonFactory.issuer_id),
        "district_id": equals(ZeroCarbonFactory.district_id),
        "year": equals(ZeroCarbonFactory.year),
        "year_min": at_least(ZeroCarbonFactory.year),
        "year_max": at_most(ZeroCarbonFactory.year),
    },
    search=Organization.search_text,
)


def list_zero_carbon_factories(*, session: Session, query: ListQuery) -> Page[ZeroCarbonFactory]:
    """Return one page of the zero-carbon factory recognitions that match the query."""
    statement = select(ZeroCarbonFactory).join(ZeroCarbonFactory.organization)
    return paginate(
        session=session, statement=statement, spec=ZERO_CARBON_FACTORY_LIST, query=query
    )


def get_zero_carbon_factory(*, session: Session, factory_id: str) -> ZeroCarbonFactory | None:
    """Return the zero-carbon factory recognition with this id, or None."""
    return session.get(ZeroCarbonFactory, factory_id)
