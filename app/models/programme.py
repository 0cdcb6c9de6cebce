from datetime import date

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedRecord, add_sort_indexes
from app.models.enums import ProgrammeKind, enum_column


class Programme(NamedRecord, Base):
    """A plan, policy, industrial system, goal, pilot scheme, strategy, method or judgment."""

    __tablename__ = "programmes"
    citation_subject = "programme"

    kind: Mapped[ProgrammeKind | None] = mapped_column(
        enum_column(ProgrammeKind, "programme_kind"), index=True
    )
    period: Mapped[str | None] = mapped_column(String(40))
    period_start: Mapped[date | None] = mapped_column(index=True)
    period_end: Mapped[date | None] = mapped_column(index=True)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    focus_areas: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


add_sort_indexes(Programme, "name", "period_start")
