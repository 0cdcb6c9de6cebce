from sqlalchemy.orm import Session

from app.listing import ListSpec
from app.models import District

DISTRICT_LIST = ListSpec(
    model=District,
    columns={
        "id": District.id,
        "name": District.name,
        "kind": District.kind,
        "parent_id": District.parent_id,
    },
    sortable=("name", "id"),
    equality=("kind", "parent_id"),
)


def get_district(*, session: Session, district_id: str) -> District | None:
    """Return the district with this id, or None."""
    return session.get(District, district_id)
