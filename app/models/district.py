from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedRecord, add_sort_indexes
from app.models.enums import DistrictKind, enum_column


class District(NamedRecord, Base):
    """The city, and a province, county, district or zone the source names, as a hierarchy."""

    __tablename__ = "districts"
    citation_subject = "district"

    kind: Mapped[DistrictKind | None] = mapped_column(
        enum_column(DistrictKind, "district_kind"), index=True
    )
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)


add_sort_indexes(District, "name")
