from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedRecord, add_sort_indexes
from app.models.enums import Qualifier, RecognitionKind, RecognitionStage, enum_column


class Recognition(NamedRecord, Base):
    """A list, title, ranking or epithet, and the organization, site or city it recognizes."""

    __tablename__ = "recognitions"
    citation_subject = "recognition"

    kind: Mapped[RecognitionKind | None] = mapped_column(
        enum_column(RecognitionKind, "recognition_kind"), index=True
    )
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    park_id: Mapped[str | None] = mapped_column(ForeignKey("parks.id"), index=True)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)
    issuer_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    published_in: Mapped[str | None] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(String(40))
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    stage: Mapped[RecognitionStage | None] = mapped_column(
        enum_column(RecognitionStage, "recognition_stage"), index=True
    )
    rank: Mapped[int | None] = mapped_column(Integer, index=True)
    rank_qualifier: Mapped[Qualifier | None] = mapped_column(
        enum_column(Qualifier, "rank_qualifier"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)


add_sort_indexes(Recognition, "name", "year")
