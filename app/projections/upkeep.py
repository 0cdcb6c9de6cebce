"""The flush hook that keeps every record's projections current: its search document and
grams, its stored rendering, and the revision, in the transaction that changed it.

`app.db` installs it on the Session class, so that writes through any session (API, seed,
import, CLI, tests) keep them current. Inside `projections_deferred` flushes only note what
they touched, and all of it follows once, at the end: what a bulk write does, for thousands of
records at a time."""

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, bindparam, event, inspect, select, update
from sqlalchemy.orm import Session, UOWTransaction

from app.collections.catalog import BY_SUBJECT, CATALOG
from app.models import Citation, Revision
from app.models.base import Cited
from app.projections.rendering import BATCH, record_rows, render_rows
from app.projections.search_index import document_texts, drop_grams, index_grams

Touched = defaultdict[str, set[str]]
"""Ids of the records touched, by kind of record."""
NOTED = "citykb_touched"
"""Where a session in `projections_deferred` notes what its flushes touched (`Session.info`)."""


def _touched(session: Session) -> Touched:
    touched: Touched = defaultdict(set)
    for record in (*session.new, *session.dirty, *session.deleted):
        if isinstance(record, Cited):
            touched[record.citation_subject].add(record.id)
        elif isinstance(record, Citation):
            touched[record.subject_type].add(record.subject_id)
    return touched


def _named_after_touched(connection: Connection, touched: Touched) -> None:
    """Add the records named after a touched record: their names are its names."""
    for collection in CATALOG:
        reference, model = collection.named_after, collection.named_by
        if reference is None or model is None:
            continue
        named_by = model.citation_subject
        if touched.get(named_by):
            touched[collection.subject].update(
                connection.execute(
                    select(collection.model.id).where(reference.in_(touched[named_by]))
                ).scalars()
            )


def _renamed(session: Session) -> Touched:
    """The records whose name this flush changes."""
    renamed: Touched = defaultdict(set)
    for record in session.dirty:
        if isinstance(record, Cited):
            state = inspect(record)
            if any(
                name in state.attrs and state.attrs[name].history.has_changes()
                for name in ("name", "title")
            ):
                renamed[record.citation_subject].add(record.id)
    return renamed


def _describers_touched(connection: Connection, touched: Touched, renamed: Touched) -> None:
    """Add the records that describe a renamed record (figures): they carry its name."""
    for collection in CATALOG:
        if not collection.describes_others:
            continue
        table = collection.table
        for subject, ids in list(renamed.items()):
            chosen = sorted(ids)
            for start in range(0, len(chosen), BATCH):
                touched[collection.subject].update(
                    connection.execute(
                        select(table.c.id).where(
                            table.c.subject_type == subject,
                            table.c.subject_id.in_(chosen[start : start + BATCH]),
                        )
                    ).scalars()
                )


def project(
    connection: Connection, touched: Touched, renamed: Touched | None = None
) -> dict[str, dict[str, bytes]]:
    """Rewrite the search documents, grams and renderings of the touched records, and advance
    the revision; the new renderings, by kind of record and id (gone records have none).
    Records that describe others are rendered again with those `renamed` (all touched ones
    when not known)."""
    _named_after_touched(connection, touched)
    if renamed is None:
        renamed = touched
    elif renamed:
        _named_after_touched(connection, renamed)
    _describers_touched(connection, touched, renamed)
    renderings = {}
    for subject, ids in touched.items():
        if ids:
            collection, ordered = BY_SUBJECT[subject], sorted(ids)
            rows = record_rows(connection, collection, ordered)
            texts = document_texts(collection, rows)
            index_grams(connection, subject, ordered, texts)
            renderings[subject] = render_rows(collection, rows)
            _store(connection, subject, texts, renderings[subject])
    connection.execute(update(Revision).where(Revision.id == 1).values(value=Revision.value + 1))
    return renderings


def _store(
    connection: Connection, subject: str, texts: dict[str, str], rendered: dict[str, bytes]
) -> None:
    """Write each record's folded document and rendering in one statement: each row is
    rewritten once, not twice (on PostgreSQL each rewrite is a new version of the row). Both
    are read from the same rows, so they name the same records."""
    if rendered:
        table = BY_SUBJECT[subject].table
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("record_id"))
            .values(search_text=bindparam("text"), rendered=bindparam("json")),
            [
                {"record_id": record_id, "text": texts[record_id], "json": json}
                for record_id, json in rendered.items()
            ],
        )


def keep_projections_current(session: Session, _context: UOWTransaction) -> None:
    """After a flush: project what it touched now, or note it for `projections_deferred`."""
    touched = _touched(session)
    if not touched:
        return
    noted: Touched | None = session.info.get(NOTED)
    if noted is not None:
        for subject, ids in touched.items():
            noted[subject].update(ids)
        return
    project(session.connection(), touched, _renamed(session))


def drop_grams_of_deleted(session: Session, _context: UOWTransaction, _instances: object) -> None:
    """Before a flush: drop the grams of the records it deletes, read from their rows while
    these are still there (`index_grams`)."""
    gone: Touched = defaultdict(set)
    for record in session.deleted:
        if isinstance(record, Cited):
            gone[record.citation_subject].add(record.id)
    for subject, ids in gone.items():
        drop_grams(session.connection(), subject, sorted(ids))


def install(session_class: type[Session]) -> None:
    """Keep the projections current on every flush of sessions of this class."""
    if not event.contains(session_class, "before_flush", drop_grams_of_deleted):
        event.listen(session_class, "before_flush", drop_grams_of_deleted)
    if not event.contains(session_class, "after_flush", keep_projections_current):
        event.listen(session_class, "after_flush", keep_projections_current)


@contextmanager
def projections_deferred(session: Session) -> Iterator[Touched]:
    """Flushes inside note what they touched; the projections follow once, when the block
    ends. Yields the notes, for records written without the ORM."""
    if NOTED in session.info:
        raise RuntimeError("projections_deferred does not nest")
    noted: Touched = defaultdict(set)
    session.info[NOTED] = noted
    try:
        yield noted
        session.flush()
    finally:
        del session.info[NOTED]
    if any(noted.values()):
        project(session.connection(), noted)
