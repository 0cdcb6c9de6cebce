"""indexes for the filters added on every number, date and enum of a record

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 01:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = (
    ("events", "month"),
    ("figures", "value"),
    ("figures", "period_end"),
    ("organizations", "tenant_order"),
    ("parks", "pv_corridor_length_m"),
    ("programmes", "period_end"),
    ("recognitions", "rank"),
    ("renewal_cases", "plot_ratio_before"),
    ("sources", "paragraph_count"),
    ("projects", "investment_qualifier"),
    ("renewal_cases", "floor_area_qualifier"),
    ("organizations", "tenant_status"),
    ("recognitions", "rank_qualifier"),
)
"""Each new filter's column (`{column}_min` / `{column}_max`, or equality on an enum), without
an index it could seek in."""


def upgrade() -> None:
    for table, column in INDEXED:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def downgrade() -> None:
    for table, column in INDEXED:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
