"""record history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 14:18:21.885234
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "subject_type",
            sa.Enum(
                "project",
                "park",
                "renewal_case",
                "zero_carbon_factory",
                "organization",
                "district",
                "source",
                "figure",
                name="history_subject_type",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "create",
                "update",
                "delete",
                name="history_action",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_history")),
    )
    op.create_index(
        op.f("ix_record_history_subject_type"),
        "record_history",
        ["subject_type", "subject_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_record_history_subject_type"), table_name="record_history")
    op.drop_table("record_history")
