import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedRecord, add_sort_indexes
from app.models.enums import Cadence, EventKind, enum_column


class Event(NamedRecord, Base):
    """A conference, campaign, expo or recurring activity the source names."""

    __tablename__ = "events"
    citation_subject = "event"

    kind: Mapped[EventKind | None] = mapped_column(enum_column(EventKind, "event_kind"), index=True)
    date: Mapped[dt.date | None] = mapped_column(index=True)
    date_stated: Mapped[str | None] = mapped_column(String(40))
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    month: Mapped[int | None] = mapped_column(Integer, index=True)
    cadence: Mapped[Cadence | None] = mapped_column(enum_column(Cadence, "cadence"), index=True)
    organizer_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)
    park_id: Mapped[str | None] = mapped_column(ForeignKey("parks.id"), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("events.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)


add_sort_indexes(Event, "name", "date", "year")
