"""What every flush does besides writing rows: reindex and rerender what it touched, advance
the revision.

Registered on the Session class, so writes through any session (API, seed, CLI, tests) keep
the search index, the stored renderings and the revision current in the same transaction."""

from collections import defaultdict

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, UOWTransaction

from app.models import Citation, Revision, ZeroCarbonFactory
from app.models.base import Cited
from app.models.enums import SubjectType
from app.rendered import rerender
from app.search import reindex


def _touched(session: Session) -> dict[SubjectType, set[str]]:
    touched: dict[SubjectType, set[str]] = defaultdict(set)
    for record in (*session.new, *session.dirty, *session.deleted):
        if isinstance(record, Cited):
            touched[record.citation_subject].add(record.id)
        elif isinstance(record, Citation):
            touched[record.subject_type].add(record.subject_id)
    return touched


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    touched = _touched(session)
    if not touched:
        return
    connection = session.connection()
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
        reindex(connection, subject, sorted(ids))
        rerender(connection, subject, sorted(ids))
    connection.execute(update(Revision).where(Revision.id == 1).values(value=Revision.value + 1))
