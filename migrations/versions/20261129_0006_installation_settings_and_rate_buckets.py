"""installation settings (the generated cursor key) and write rate buckets shared by processes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 16:30:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "installation_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_installation_settings")),
    )
    # Cursors of this installation are signed with a key of its own, unknown outside it.
    settings = sa.table("installation_settings", sa.column("name"), sa.column("value"))
    op.bulk_insert(settings, [{"name": "cursor_key", "value": secrets.token_urlsafe(32)}])
    op.create_table(
        "rate_buckets",
        sa.Column("key_name", sa.String(length=100), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key_name", name=op.f("pk_rate_buckets")),
    )


def downgrade() -> None:
    op.drop_table("rate_buckets")
    op.drop_table("installation_settings")
