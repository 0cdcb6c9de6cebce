import datetime as dt

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Cited, add_sort_indexes


class Source(Cited, Base):
    """A document the knowledge base cites."""

    __tablename__ = "sources"
    citation_subject = "source"

    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    publisher: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(1000))
    date: Mapped[dt.date | None] = mapped_column(index=True)
    language: Mapped[str] = mapped_column(String(20), index=True)
    paragraph_count: Mapped[int] = mapped_column(Integer, index=True)
    description: Mapped[str | None] = mapped_column(Text)


add_sort_indexes(Source, "title", "date")
