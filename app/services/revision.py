from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app.models import Revision

_table = Revision.__table__
CURRENT = select(_table.c.value).where(_table.c.id == 1)
"""Built once: this runs on every list page (it keys the count cache)."""


def current_revision(*, session: Session | Connection) -> int:
    """The revision counter, which every write advances."""
    return session.scalar(CURRENT) or 0
