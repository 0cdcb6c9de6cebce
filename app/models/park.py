from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedRecord, add_sort_indexes
from app.models.enums import ParkKind, enum_column


class Park(NamedRecord, Base):
    """An industrial park, innovation community or renewed site."""

    __tablename__ = "parks"
    citation_subject = "park"

    kind: Mapped[ParkKind | None] = mapped_column(enum_column(ParkKind, "park_kind"), index=True)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("parks.id"), index=True)
    group_id: Mapped[str | None] = mapped_column(ForeignKey("parks.id"), index=True)
    location: Mapped[str | None] = mapped_column(String(200))
    pv_installed_capacity_kw: Mapped[float | None] = mapped_column(Float, index=True)
    pv_corridor_length_m: Mapped[float | None] = mapped_column(Float, index=True)
    description: Mapped[str | None] = mapped_column(Text)


add_sort_indexes(Park, "name", "pv_installed_capacity_kw")
