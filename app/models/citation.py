from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import SLUG_LENGTH, SUBJECT_TYPE_LENGTH, Base

QUOTE_MAX_LENGTH = 40


class Citation(Base):
    """The paragraph of a source, and the short quote in it, that states a fact of a record."""

    __tablename__ = "citations"
    __table_args__ = (
        CheckConstraint("paragraph >= 1", name="paragraph_positive"),
        CheckConstraint(f"length(quote) BETWEEN 1 AND {QUOTE_MAX_LENGTH}", name="quote_length"),
        Index(None, "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(SUBJECT_TYPE_LENGTH))
    subject_id: Mapped[str] = mapped_column(String(SLUG_LENGTH))
    fields: Mapped[str | None] = mapped_column(String(300))
    """Comma-separated names of the record's fields this citation supports."""
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    paragraph: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(String(QUOTE_MAX_LENGTH))
