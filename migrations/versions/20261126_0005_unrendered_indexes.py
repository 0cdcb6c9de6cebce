"""partial indexes of records without a stored rendering

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
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


def upgrade() -> None:
    for table in RECORD_TABLES:
        unrendered = sa.text("rendered IS NULL")
        op.create_index(
            f"ix_{table}_unrendered",
            table,
            ["id"],
            unique=False,
            sqlite_where=unrendered,
            postgresql_where=unrendered,
        )


def downgrade() -> None:
    for table in RECORD_TABLES:
        op.drop_index(f"ix_{table}_unrendered", table_name=table)
