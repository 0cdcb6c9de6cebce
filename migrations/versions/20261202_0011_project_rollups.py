"""project_rollups: projects counted and summed per district and status, kept by triggers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLLUP_OF = """
INSERT INTO project_rollups (district_id_key, status_key, records, investment_cny_count,
  investment_cny_sum, investment_cny_min, investment_cny_max)
SELECT coalesce(district_id, ''), coalesce(status, ''), count(*), count(investment_cny),
  sum(investment_cny), min(investment_cny), max(investment_cny)
FROM projects GROUP BY coalesce(district_id, ''), coalesce(status, '')
"""
"""Every combination's rollup, from the projects as they are."""

# What a project adds to its combination's rollup (ROW is NEW), and what it takes away (ROW is
# OLD). Taking away the smallest or the largest investment reads the combination's bounds
# again, through the index on (district_id, status, investment_cny).
SQLITE_KEY = (
    "district_id_key = coalesce(ROW.district_id, '') AND status_key = coalesce(ROW.status, '')"
)
SQLITE_ADD = """
INSERT INTO project_rollups (district_id_key, status_key, records, investment_cny_count,
  investment_cny_sum, investment_cny_min, investment_cny_max)
VALUES (coalesce(ROW.district_id, ''), coalesce(ROW.status, ''), 1, ROW.investment_cny IS NOT NULL,
  ROW.investment_cny, ROW.investment_cny, ROW.investment_cny)
ON CONFLICT (district_id_key, status_key) DO UPDATE SET
  records = records + 1,
  investment_cny_count = investment_cny_count + excluded.investment_cny_count,
  investment_cny_sum = coalesce(investment_cny_sum + excluded.investment_cny_sum,
    investment_cny_sum, excluded.investment_cny_sum),
  investment_cny_min = coalesce(min(investment_cny_min, excluded.investment_cny_min),
    investment_cny_min, excluded.investment_cny_min),
  investment_cny_max = coalesce(max(investment_cny_max, excluded.investment_cny_max),
    investment_cny_max, excluded.investment_cny_max);
"""
SQLITE_TAKE = f"""
UPDATE project_rollups SET
  records = records - 1,
  investment_cny_count = investment_cny_count - (ROW.investment_cny IS NOT NULL),
  investment_cny_sum = CASE WHEN investment_cny_count - (ROW.investment_cny IS NOT NULL) = 0
    THEN NULL ELSE investment_cny_sum - coalesce(ROW.investment_cny, 0) END
WHERE {SQLITE_KEY};
DELETE FROM project_rollups WHERE {SQLITE_KEY} AND records = 0;
UPDATE project_rollups SET
  investment_cny_min = (SELECT min(investment_cny) FROM projects
    WHERE district_id IS ROW.district_id AND status IS ROW.status),
  investment_cny_max = (SELECT max(investment_cny) FROM projects
    WHERE district_id IS ROW.district_id AND status IS ROW.status)
WHERE {SQLITE_KEY}
  AND (ROW.investment_cny <= investment_cny_min OR ROW.investment_cny >= investment_cny_max);
"""
FOLLOWED = "district_id, status, investment_cny"
CHANGED = (
    "OLD.district_id IS NOT NEW.district_id OR OLD.status IS NOT NEW.status"
    " OR OLD.investment_cny IS NOT NEW.investment_cny"
)
SQLITE_TRIGGERS = {
    "project_rollups_insert": (
        "AFTER INSERT ON projects",
        SQLITE_ADD.replace("ROW.", "NEW."),
    ),
    "project_rollups_delete": (
        "AFTER DELETE ON projects",
        SQLITE_TAKE.replace("ROW.", "OLD."),
    ),
    "project_rollups_update": (
        f"AFTER UPDATE OF {FOLLOWED} ON projects WHEN {CHANGED}",
        SQLITE_TAKE.replace("ROW.", "OLD.") + SQLITE_ADD.replace("ROW.", "NEW."),
    ),
}

POSTGRESQL_FUNCTION = """
CREATE FUNCTION project_rollups_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  low bigint;
  high bigint;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE project_rollups SET
      records = records - 1,
      investment_cny_count = investment_cny_count - (OLD.investment_cny IS NOT NULL)::int,
      investment_cny_sum = CASE
        WHEN investment_cny_count - (OLD.investment_cny IS NOT NULL)::int = 0 THEN NULL
        ELSE investment_cny_sum - coalesce(OLD.investment_cny, 0) END
    WHERE district_id_key = coalesce(OLD.district_id, '')
      AND status_key = coalesce(OLD.status, '')
    RETURNING investment_cny_min, investment_cny_max INTO low, high;
    DELETE FROM project_rollups
    WHERE district_id_key = coalesce(OLD.district_id, '')
      AND status_key = coalesce(OLD.status, '') AND records = 0;
    IF OLD.investment_cny <= low OR OLD.investment_cny >= high THEN
      -- A one-off plan sees the values: `$1 IS NULL` folds away, and the index is sought.
      EXECUTE 'SELECT min(investment_cny), max(investment_cny) FROM projects'
        ' WHERE (district_id = $1 OR ($1 IS NULL AND district_id IS NULL))'
        ' AND (status = $2 OR ($2 IS NULL AND status IS NULL))'
        INTO low, high USING OLD.district_id, OLD.status;
      UPDATE project_rollups SET investment_cny_min = low, investment_cny_max = high
      WHERE district_id_key = coalesce(OLD.district_id, '')
        AND status_key = coalesce(OLD.status, '');
    END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO project_rollups AS rollup (district_id_key, status_key, records,
      investment_cny_count, investment_cny_sum, investment_cny_min, investment_cny_max)
    VALUES (coalesce(NEW.district_id, ''), coalesce(NEW.status, ''), 1,
      (NEW.investment_cny IS NOT NULL)::int, NEW.investment_cny, NEW.investment_cny,
      NEW.investment_cny)
    ON CONFLICT (district_id_key, status_key) DO UPDATE SET
      records = rollup.records + 1,
      investment_cny_count = rollup.investment_cny_count + excluded.investment_cny_count,
      investment_cny_sum = coalesce(rollup.investment_cny_sum + excluded.investment_cny_sum,
        rollup.investment_cny_sum, excluded.investment_cny_sum),
      investment_cny_min = least(rollup.investment_cny_min, excluded.investment_cny_min),
      investment_cny_max = greatest(rollup.investment_cny_max, excluded.investment_cny_max);
  END IF;
  RETURN NULL;
END
$$
"""
POSTGRESQL_TRIGGERS = {
    "project_rollups_insert_delete": "AFTER INSERT OR DELETE ON projects FOR EACH ROW",
    "project_rollups_update": (
        f"AFTER UPDATE OF {FOLLOWED} ON projects FOR EACH ROW"
        " WHEN (OLD.district_id IS DISTINCT FROM NEW.district_id"
        " OR OLD.status IS DISTINCT FROM NEW.status"
        " OR OLD.investment_cny IS DISTINCT FROM NEW.investment_cny)"
    ),
}


def upgrade() -> None:
    op.create_table(
        "project_rollups",
        sa.Column("district_id_key", sa.String(length=80), nullable=False),
        sa.Column("status_key", sa.String(length=40), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("investment_cny_count", sa.BigInteger(), nullable=False),
        sa.Column("investment_cny_sum", sa.BigInteger(), nullable=True),
        sa.Column("investment_cny_min", sa.BigInteger(), nullable=True),
        sa.Column("investment_cny_max", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("district_id_key", "status_key", name=op.f("pk_project_rollups")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for name, (when, body) in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
    else:
        op.execute(POSTGRESQL_FUNCTION)
        for name, when in POSTGRESQL_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION project_rollups_follow()")
    op.execute(ROLLUP_OF)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name in POSTGRESQL_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON projects")
        op.execute("DROP FUNCTION project_rollups_follow()")
    op.drop_table("project_rollups")
