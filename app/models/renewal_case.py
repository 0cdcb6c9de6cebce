from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedRecord, add_sort_indexes
from app.models.enums import Qualifier, enum_column


class RenewalCase(NamedRecord, Base):
    """How an old industrial site was renewed: what it was, what it became, and how."""

    __tablename__ = "renewal_cases"
    citation_subject = "renewal_case"

    park_id: Mapped[str | None] = mapped_column(ForeignKey("parks.id"), index=True)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)
    former_occupant_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    former_site: Mapped[str | None] = mapped_column(String(200))
    new_use: Mapped[str | None] = mapped_column(String(200))
    approach: Mapped[str | None] = mapped_column(String(200), index=True)
    plot_ratio_before: Mapped[float | None] = mapped_column(Float, index=True)
    plot_ratio_after: Mapped[float | None] = mapped_column(Float, index=True)
    floor_area_m2: Mapped[float | None] = mapped_column(Float, index=True)
    floor_area_qualifier: Mapped[Qualifier | None] = mapped_column(
        enum_column(Qualifier, "floor_area_qualifier"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)


add_sort_indexes(RenewalCase, "name", "plot_ratio_after", "floor_area_m2")
