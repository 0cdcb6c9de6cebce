"""Each record's history: every change through the API, with the record before and after it,
and the record as it was at a moment."""

import datetime as dt
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models import Action, RecordHistory


def record_change(
    *,
    session: Session,
    subject: str,
    record_id: str,
    action: Action,
    actor: str,
    before: bytes | None,
    after: bytes | None,
) -> None:
    """Add a change to the record's history: the renderings before and after it."""
    session.execute(
        insert(RecordHistory).values(
            subject_type=subject,
            subject_id=record_id,
            action=action,
            actor=actor,
            at=dt.datetime.now(dt.UTC),
            before=None if before is None else orjson.loads(before),
            after=None if after is None else orjson.loads(after),
        )
    )


def list_history(
    *, session: Session, subject: str, record_id: str, after: int = 0, limit: int
) -> list[RecordHistory]:
    """Up to `limit` recorded changes of a record after the change numbered `after`, oldest
    first."""
    return list(
        session.scalars(
            select(RecordHistory)
            .where(
                RecordHistory.subject_type == subject,
                RecordHistory.subject_id == record_id,
                RecordHistory.id > after,
            )
            .order_by(RecordHistory.id)
            .limit(limit)
        )
    )


class Current:
    """The record as it is now: no recorded change came after the moment asked for."""


def state_as_of(
    *, session: Session, subject: str, record_id: str, moment: dt.datetime
) -> dict[str, Any] | type[Current] | None:
    """The record as it was at `moment`: from the first change after it, the state before
    that change; with no change after it, the record as it is now (`Current`)."""
    first_after = session.scalar(
        select(RecordHistory)
        .where(
            RecordHistory.subject_type == subject,
            RecordHistory.subject_id == record_id,
            RecordHistory.at > moment,
        )
        .order_by(RecordHistory.id)
        .limit(1)
    )
    return Current if first_after is None else first_after.before
