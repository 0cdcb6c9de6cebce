from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Cited, add_sort_indexes
from app.models.enums import RecognitionStage, ZeroCarbonLevel, enum_column
from app.models.organization import Organization


class ZeroCarbonFactory(Cited, Base):
    """An organization's recognition as a zero-carbon or near-zero-carbon factory."""

    __tablename__ = "zero_carbon_factories"
    citation_subject = "zero_carbon_factory"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    level: Mapped[ZeroCarbonLevel] = mapped_column(
        enum_column(ZeroCarbonLevel, "zero_carbon_level"), index=True
    )
    stage: Mapped[RecognitionStage | None] = mapped_column(
        enum_column(RecognitionStage, "recognition_stage"), index=True
    )
    list_name: Mapped[str | None] = mapped_column(String(200))
    issuer_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)
    recognition_id: Mapped[str | None] = mapped_column(ForeignKey("recognitions.id"), index=True)

    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id], lazy="joined")

    @property
    def name(self) -> str:
        return self.organization.name

    @property
    def name_zh_hant(self) -> str:
        return self.organization.name_zh_hant

    @property
    def name_en(self) -> str | None:
        return self.organization.name_en


add_sort_indexes(ZeroCarbonFactory, "year")
