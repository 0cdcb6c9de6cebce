from sqlalchemy.orm import Session

from app.listing import ListSpec
from app.models import Figure

FIGURE_LIST = ListSpec(
    model=Figure,
    columns={
        "id": Figure.id,
        "subject_type": Figure.subject_type,
        "subject_id": Figure.subject_id,
        "metric": Figure.metric,
        "kind": Figure.kind,
        "qualifier": Figure.qualifier,
        "unit_normalized": Figure.unit_normalized,
        "value_normalized": Figure.value_normalized,
        "period_start": Figure.period_start,
    },
    sortable=("metric", "value_normalized", "period_start", "id"),
    equality=("subject_type", "subject_id", "metric", "kind", "qualifier", "unit_normalized"),
    ranges=("value_normalized", "period_start"),
    numeric=("value_normalized",),
    default_sort="id",
)


def get_figure(*, session: Session, figure_id: str) -> Figure | None:
    """Return the figure with this id, or None."""
    return session.get(Figure, figure_id)
