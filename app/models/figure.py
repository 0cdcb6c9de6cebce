from datetime import date

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import SLUG_LENGTH, SUBJECT_TYPE_LENGTH, Base, Cited, add_sort_indexes
from app.models.enums import BaseUnit, FigureKind, Qualifier, enum_column


class Figure(Cited, Base):
    """One number as the source states it, with its normalized value."""

    __tablename__ = "figures"
    __table_args__ = (Index(None, "subject_type", "subject_id"),)
    citation_subject = "figure"

    subject_type: Mapped[str] = mapped_column(String(SUBJECT_TYPE_LENGTH))
    subject_id: Mapped[str] = mapped_column(String(SLUG_LENGTH), index=True)
    metric: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float, index=True)
    value_stated: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(20))
    value_normalized: Mapped[float] = mapped_column(Float)
    unit_normalized: Mapped[BaseUnit] = mapped_column(
        enum_column(BaseUnit, "unit_normalized"), index=True
    )
    qualifier: Mapped[Qualifier] = mapped_column(
        enum_column(Qualifier, "figure_qualifier"), index=True
    )
    kind: Mapped[FigureKind] = mapped_column(enum_column(FigureKind, "figure_kind"), index=True)
    period: Mapped[str | None] = mapped_column(String(40))
    period_start: Mapped[date | None] = mapped_column(index=True)
    period_end: Mapped[date | None] = mapped_column(index=True)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)
    programme_id: Mapped[str | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    restates_id: Mapped[str | None] = mapped_column(ForeignKey("figures.id"), index=True)
    """The figure this one states again (the same fact of the same subject, in other words), so
    that sums count the fact once; null for a figure that states its fact first or alone."""


add_sort_indexes(Figure, "metric", "value_normalized", "period_start")
