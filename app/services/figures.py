from sqlalchemy import select
from sqlalchemy.orm import Session

from app.listing import ListQuery, ListSpec, Page, at_least, at_most, equals, paginate
from app.models import Figure

FIGURE_LIST = ListSpec(
    sortable={
        "metric": Figure.metric,
        "subject_type": Figure.subject_type,
        "subject_id": Figure.subject_id,
        "value_normalized": Figure.value_normalized,
        "kind": Figure.kind,
        "period_start": Figure.period_start,
        "id": Figure.id,
    },
    filters={
        "subject_type": equals(Figure.subject_type),
        "subject_id": equals(Figure.subject_id),
        "metric": equals(Figure.metric),
        "kind": equals(Figure.kind),
        "qualifier": equals(Figure.qualifier),
        "unit_normalized": equals(Figure.unit_normalized),
        "value_normalized_min": at_least(Figure.value_normalized),
        "value_normalized_max": at_most(Figure.value_normalized),
        "period_start_min": at_least(Figure.period_start),
        "period_start_max": at_most(Figure.period_start),
    },
    search=Figure.search_text,
    default_sort="id",
)


def list_figures(*, session: Session, query: ListQuery) -> Page[Figure]:
    """Return one page of the figures that match the query."""
    return paginate(session=session, statement=select(Figure), spec=FIGURE_LIST, query=query)


def get_figure(*, session: Session, figure_id: str) -> Figure | None:
    """Return the figure with this id, or None."""
    return session.get(Figure, figure_id)
