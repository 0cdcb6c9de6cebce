from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedRecord, add_sort_indexes


class Person(NamedRecord, Base):
    """A person the source names, with the organization and title it gives them."""

    __tablename__ = "people"
    citation_subject = "person"

    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)


add_sort_indexes(Person, "name")
