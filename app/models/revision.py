from sqlalchemy import BigInteger, CheckConstraint, Integer, Select, select
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Revision(Base):
    """A single counter that every write to the knowledge base advances.

    Answers that cannot be hashed before they are sent (streamed CSV) take their ETag from it,
    and any cache keyed on it stays correct across workers and replicas of one database."""

    __tablename__ = "kb_revision"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


CURRENT_REVISION: Select[int] = select(Revision.value).where(Revision.id == 1)
"""The counter's value: read alone (`app.services.revision`), or inside a list page's
statement, in its snapshot (`app.listing.statements`)."""
