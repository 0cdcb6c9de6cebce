from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Revision


def current_revision(*, session: Session) -> int:
    """The revision counter, which every write advances."""
    return session.scalar(select(Revision.value).where(Revision.id == 1)) or 0
