"""stored renderings and filtered sort indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 15:25:13.871389
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_TABLES = (
    "districts",
    "figures",
    "organizations",
    "parks",
    "projects",
    "renewal_cases",
    "sources",
    "zero_carbon_factories",
)


def _sort_index_columns(leading: str, column: str, direction: str) -> list[sa.ColumnClause[str]]:
    terms = [f"({column} IS NULL)", f"{column}{direction}", f"id{direction}"]
    return [sa.literal_column(leading), *(sa.literal_column(term) for term in terms)]


FILTERED_SORT_INDEXES = {
    f"ix_projects_{leading}_{column}_{end}": _sort_index_columns(leading, column, direction)
    for leading, columns in (
        ("district_id", ("investment_cny", "status_date")),
        ("status", ("investment_cny", "status_date")),
    )
    for column in columns
    for end, direction in (("asc", ""), ("desc", " DESC"))
}


def upgrade() -> None:
    for table in RECORD_TABLES:
        op.add_column(table, sa.Column("rendered", sa.Text(), nullable=True))
    op.create_index(
        "ix_projects_district_id_name_sort", "projects", ["district_id", "name", "id"], unique=False
    )
    for name, columns in FILTERED_SORT_INDEXES.items():
        op.create_index(name, "projects", columns, unique=False)
    op.create_index(
        "ix_projects_district_id_status_investment_cny",
        "projects",
        ["district_id", "status", "investment_cny"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_projects_district_id_status_investment_cny", table_name="projects")
    for name in FILTERED_SORT_INDEXES:
        op.drop_index(name, table_name="projects")
    op.drop_index("ix_projects_district_id_name_sort", table_name="projects")
    for table in RECORD_TABLES:
        # Not a batch (table copy) on SQLite: that would lose its expression indexes.
        op.execute(f"ALTER TABLE {table} DROP COLUMN rendered")
