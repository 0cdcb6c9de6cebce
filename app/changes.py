"""What every flush does besides writing rows: reindex and rerender what it touched, advance
the revision.

Registered on the Session class, so writes through any session (API, seed, CLI, tests) keep
the search index, the stored renderings and the revision current in the same transaction.
Inside `changes_in_one_go` flushes only note what they touched, and all of it follows once, at
the end: what a bulk write does, for thousands of records at a time."""

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, bindparam, event, select, update
from sqlalchemy.orm import Session, UOWTransaction

from app.models import Citation, Revision, ZeroCarbonFactory
from app.models.base import Cited
from app.models.enums import SubjectType
from app.rendered import read_schemas, render
from app.search import index_grams

Touched = defaultdict[SubjectType, set[str]]
NOTED = "citykb_touched"
"""Where a session in `changes_in_one_go` notes what its flushes touched (`Session.info`)."""


def _touched(session: Session) -> Touched:
    touched: Touched = defaultdict(set)
    for record in (*session.new, *session.dirty, *session.deleted):
        if isinstance(record, Cited):
            touched[record.citation_subject].add(record.id)
        elif isinstance(record, Citation):
            touched[record.subject_type].add(record.subject_id)
    return touched


def _follow(connection: Connection, touched: Touched) -> None:
    organizations = touched.get(SubjectType.organization)
    if organizations:
        # A recognition's document and rendering carry its organization's names.
        touched[SubjectType.zero_carbon_factory].update(
            connection.execute(
                select(ZeroCarbonFactory.id).where(
                    ZeroCarbonFactory.organization_id.in_(organizations)
                )
            ).scalars()
        )
    for subject, ids in touched.items():
        if ids:
            ordered = sorted(ids)
            texts = index_grams(connection, subject, ordered)
            _store(connection, subject, texts, render(connection, subject, ordered))
    connection.execute(update(Revision).where(Revision.id == 1).values(value=Revision.value + 1))


def _store(
    connection: Connection, subject: SubjectType, texts: dict[str, str], rendered: dict[str, bytes]
) -> None:
    """Write each record's folded document and rendering in one statement: each row is
    rewritten once, not twice (on PostgreSQL each rewrite is a new version of the row). Both
    are read from the same rows, so they name the same records."""
    if rendered:
        table = read_schemas()[subject][0].__table__  # type: ignore[attr-defined]
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("record_id"))
            .values(search_text=bindparam("text"), rendered=bindparam("json")),
            [
                {"record_id": record_id, "text": texts[record_id], "json": json.decode()}
                for record_id, json in rendered.items()
            ],
        )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    touched = _touched(session)
    if not touched:
        return
    noted: Touched | None = session.info.get(NOTED)
    if noted is not None:
        for subject, ids in touched.items():
            noted[subject].update(ids)
        return
    _follow(session.connection(), touched)


@contextmanager
def changes_in_one_go(session: Session) -> Iterator[Touched]:
    """Flushes inside note what they touched; the search index, the renderings and the revision
    follow once, when the block ends. Yields the notes, for records written without the ORM."""
    if NOTED in session.info:
        raise RuntimeError("changes_in_one_go does not nest")
    noted: Touched = defaultdict(set)
    session.info[NOTED] = noted
    try:
        yield noted
        session.flush()
    finally:
        del session.info[NOTED]
    if any(noted.values()):
        _follow(session.connection(), noted)
