from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedRecord, add_sort_indexes


class Scenario(NamedRecord, Base):
    """An application scenario the source names, with the field it belongs to, where stated."""

    __tablename__ = "scenarios"
    citation_subject = "scenario"

    field: Mapped[str | None] = mapped_column(String(100), index=True)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)
    park_id: Mapped[str | None] = mapped_column(ForeignKey("parks.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)


add_sort_indexes(Scenario, "name")
