from sqlalchemy.orm import Session

from app.listing import ListSpec
from app.models import Source

SOURCE_LIST = ListSpec(
    model=Source,
    columns={
        "id": Source.id,
        "title": Source.title,
        "date": Source.date,
        "language": Source.language,
    },
    sortable=("title", "date", "id"),
    equality=("language",),
    ranges=("date",),
    default_sort="date",
)


def get_source(*, session: Session, source_id: str) -> Source | None:
    """Return the source with this id, or None."""
    return session.get(Source, source_id)
