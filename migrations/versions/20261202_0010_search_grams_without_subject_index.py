"""search_grams without its index by record: a record's grams are read from its document

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 02:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_search_grams_subject_id"), table_name="search_grams")


def downgrade() -> None:
    op.create_index(
        op.f("ix_search_grams_subject_id"),
        "search_grams",
        ["subject_id", "subject_type"],
        unique=False,
    )
