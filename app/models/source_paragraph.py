from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class SourceParagraph(Base):
    """One paragraph of a source's text, as a curator registered it: what quotes are checked
    against. The repository holds no source's text; it arrives at run time."""

    __tablename__ = "source_paragraphs"
    __table_args__ = (CheckConstraint("number >= 1", name="number_positive"),)

    source_id: Mapped[str] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
