from sqlalchemy.orm import Session

from app.listing import ListSpec
from app.models import RenewalCase

RENEWAL_CASE_LIST = ListSpec(
    model=RenewalCase,
    columns={
        "id": RenewalCase.id,
        "name": RenewalCase.name,
        "park_id": RenewalCase.park_id,
        "district_id": RenewalCase.district_id,
        "former_occupant_id": RenewalCase.former_occupant_id,
        "approach": RenewalCase.approach,
        "plot_ratio_before": RenewalCase.plot_ratio_before,
        "plot_ratio_after": RenewalCase.plot_ratio_after,
        "floor_area_m2": RenewalCase.floor_area_m2,
    },
    sortable=("name", "plot_ratio_after", "floor_area_m2", "id"),
    equality=("park_id", "district_id", "former_occupant_id", "approach"),
    ranges=("floor_area_m2", "plot_ratio_after"),
    numeric=("plot_ratio_before", "plot_ratio_after", "floor_area_m2"),
)


def get_renewal_case(*, session: Session, renewal_case_id: str) -> RenewalCase | None:
    """Return the renewal case with this id, or None."""
    return session.get(RenewalCase, renewal_case_id)
