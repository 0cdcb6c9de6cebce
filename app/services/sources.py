from sqlalchemy import select
from sqlalchemy.orm import Session

from app.listing import ListQuery, ListSpec, Page, at_least, at_most, equals, paginate
from app.models import Source

SOURCE_LIST = ListSpec(
    sortable={"title": Source.title, "date": Source.date, "id": Source.id},
    filters={
        "language": equals(Source.language),
        "date_min": at_least(Source.date),
        "date_max": at_most(Source.date),
    },
    search=Source.title,
    default_sort="date",
)


def list_sources(*, session: Session, query: ListQuery) -> Page[Source]:
    """Return one page of the sources that match the query."""
    return paginate(session=session, statement=select(Source), spec=SOURCE_LIST, query=query)


def get_source(*, session: Session, source_id: str) -> Source | None:
    """Return the source with this id, or None."""
    return session.get(Source, source_id)
