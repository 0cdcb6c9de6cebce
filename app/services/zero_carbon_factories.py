from sqlalchemy.orm import Session

from app.listing import ListSpec
from app.models import ZeroCarbonFactory

ZERO_CARBON_FACTORY_LIST = ListSpec(
    model=ZeroCarbonFactory,
    columns={
        "id": ZeroCarbonFactory.id,
        "level": ZeroCarbonFactory.level,
        "stage": ZeroCarbonFactory.stage,
        "organization_id": ZeroCarbonFactory.organization_id,
        "issuer_id": ZeroCarbonFactory.issuer_id,
        "district_id": ZeroCarbonFactory.district_id,
        "year": ZeroCarbonFactory.year,
    },
    # Not by name: a name lives on the organization, and no index on this table can serve it.
    sortable=("year", "id"),
    equality=("level", "stage", "organization_id", "issuer_id", "district_id", "year"),
    ranges=("year",),
    default_sort="id",
)


def get_zero_carbon_factory(*, session: Session, factory_id: str) -> ZeroCarbonFactory | None:
    """Return the zero-carbon factory recognition with this id, or None."""
    return session.get(ZeroCarbonFactory, factory_id)
