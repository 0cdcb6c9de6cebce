from sqlalchemy import Connection, update
from sqlalchemy.orm import Session

from app.models import Revision
from app.models.revision import CURRENT_REVISION


def current_revision(*, session: Session | Connection) -> int:
    """The revision counter, which every write advances."""
    return session.scalar(CURRENT_REVISION) or 0


def advance_revision(*, session: Session) -> None:
    """Advance the revision counter: every answer cached under an older one is dropped."""
    advance = update(Revision).where(Revision.id == 1).values(value=Revision.value + 1)
    session.execute(advance.execution_options(synchronize_session=False))
