from sqlalchemy.orm import Session

from app.listing import ListSpec
from app.models import Park

PARK_LIST = ListSpec(
    model=Park,
    columns={
        "id": Park.id,
        "name": Park.name,
        "kind": Park.kind,
        "district_id": Park.district_id,
        "parent_id": Park.parent_id,
        "pv_installed_capacity_kw": Park.pv_installed_capacity_kw,
        "pv_corridor_length_m": Park.pv_corridor_length_m,
    },
    sortable=("name", "pv_installed_capacity_kw", "id"),
    equality=("kind", "district_id", "parent_id"),
    ranges=("pv_installed_capacity_kw",),
    numeric=("pv_installed_capacity_kw", "pv_corridor_length_m"),
)


def get_park(*, session: Session, park_id: str) -> Park | None:
    """Return the park with this id, or None."""
    return session.get(Park, park_id)
