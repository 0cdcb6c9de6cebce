from datetime import date

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    SLUG_LENGTH,
    Base,
    NamedRecord,
    add_filtered_sort_indexes,
    add_sort_indexes,
)
from app.models.enums import ProjectStatus, Qualifier, enum_column
from app.models.organization import Organization

project_organizations = Table(
    "project_organizations",
    Base.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), primary_key=True, index=True),
)


class Project(NamedRecord, Base):
    """A major investment project."""

    __tablename__ = "projects"
    citation_subject = "project"

    sector: Mapped[str | None] = mapped_column(String(100), index=True)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("districts.id"), index=True)
    status: Mapped[ProjectStatus | None] = mapped_column(
        enum_column(ProjectStatus, "project_status"), index=True
    )
    status_date: Mapped[date | None] = mapped_column(index=True)
    status_year: Mapped[int | None] = mapped_column(Integer, index=True)
    investment_cny: Mapped[int | None] = mapped_column(BigInteger, index=True)
    investment_qualifier: Mapped[Qualifier | None] = mapped_column(
        enum_column(Qualifier, "investment_qualifier"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)

    organizations: Mapped[list[Organization]] = relationship(
        secondary=project_organizations, order_by=Organization.id
    )

    @property
    def organization_ids(self) -> list[str]:
        return [organization.id for organization in self.organizations]


add_sort_indexes(Project, "name", "investment_cny", "status_date")
add_filtered_sort_indexes(Project, "district_id", "name", "investment_cny", "status_date")
add_filtered_sort_indexes(Project, "status", "investment_cny", "status_date")
# A district's counts and sums per status read this index alone (`/stats/projects`).
Index(
    "ix_projects_district_id_status_investment_cny",
    Project.district_id,
    Project.status,
    Project.investment_cny,
)


class ProjectRollup(Base):
    """Projects counted, and their investment summed and bounded, per district and status: what
    `/stats/projects` reads when it filters and groups by these two alone (`Rollup`).

    The database keeps it: triggers on `projects` (migration 0011) follow every insert, update
    and delete, whatever wrote it. `''` stands for no district or no status, so that each
    combination has one key; `investment_cny_count` counts the projects with an investment.
    A SQLite migration that rebuilds `projects` (Alembic's `batch_alter_table`) drops those
    triggers with the old table: it must create them again."""

    __tablename__ = "project_rollups"

    district_id_key: Mapped[str] = mapped_column(String(SLUG_LENGTH), primary_key=True)
    status_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    records: Mapped[int] = mapped_column(BigInteger)
    investment_cny_count: Mapped[int] = mapped_column(BigInteger)
    investment_cny_sum: Mapped[int | None] = mapped_column(BigInteger)
    investment_cny_min: Mapped[int | None] = mapped_column(BigInteger)
    investment_cny_max: Mapped[int | None] = mapped_column(BigInteger)
