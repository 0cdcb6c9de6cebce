from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedRecord, add_sort_indexes
from app.models.enums import OrganizationKind, TenantStatus, enum_column


class Organization(NamedRecord, Base):
    """A company, agency or committee the source names."""

    __tablename__ = "organizations"
    citation_subject = "organization"

    kind: Mapped[OrganizationKind | None] = mapped_column(
        enum_column(OrganizationKind, "organization_kind"), index=True
    )
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)
    park_id: Mapped[str | None] = mapped_column(ForeignKey("parks.id"), index=True)
    settled_year: Mapped[int | None] = mapped_column(Integer)
    full_name: Mapped[str | None] = mapped_column(String(200))
    full_name_from_source: Mapped[bool | None] = mapped_column(Boolean)
    tenant_order: Mapped[int | None] = mapped_column(Integer, index=True)
    tenant_status: Mapped[TenantStatus | None] = mapped_column(
        enum_column(TenantStatus, "tenant_status"), index=True
    )


add_sort_indexes(Organization, "name", "settled_year")
