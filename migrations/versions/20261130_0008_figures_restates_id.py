"""figures.restates_id: a figure that states again a fact another figure states

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 01:30:00.000000
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


@contextmanager
def _batch(table: str) -> Iterator[BatchOperations]:
    """`batch_alter_table`, keeping the indexes SQLite's copy of the table would drop: those
    on expressions (the sort indexes), which SQLAlchemy cannot reflect (as in 0007)."""
    bind = op.get_bind()
    indexes = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
    unreflected = []
    if bind.dialect.name == "sqlite":
        reflected = {index["name"] for index in sa.inspect(bind).get_indexes(table)}
        unreflected = [
            (name, sql)
            for name, sql in bind.execute(sa.text(indexes), {"table": table})
            if sql is not None and name not in reflected
        ]
    with op.batch_alter_table(table) as batch_op:
        yield batch_op
    if unreflected:
        kept = {name for name, _ in bind.execute(sa.text(indexes), {"table": table})}
        for name, sql in unreflected:
            if name not in kept:
                op.execute(sql)


def upgrade() -> None:
    with _batch("figures") as batch_op:
        batch_op.add_column(sa.Column("restates_id", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_figures_restates_id"), ["restates_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_figures_restates_id_figures"), "figures", ["restates_id"], ["id"]
        )
    # Renderings are the API's answers: re-rendered with the new field on first start.
    op.execute(sa.text("UPDATE figures SET rendered = NULL"))


def downgrade() -> None:
    with _batch("figures") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_figures_restates_id_figures"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_figures_restates_id"))
        batch_op.drop_column("restates_id")
    op.execute(sa.text("UPDATE figures SET rendered = NULL"))
