"""people, recognitions, events, programmes, scenarios; relations; source texts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 21:58:13.677096
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SUBJECTS = (
    "project",
    "park",
    "renewal_case",
    "zero_carbon_factory",
    "organization",
    "district",
    "source",
    "figure",
)
SUBJECTS = (*OLD_SUBJECTS, "person", "recognition", "event", "programme", "scenario")
SUBJECT_CHECKS = (
    ("figures", "figure_subject_type"),
    ("search_gram_counts", "gram_count_subject_type"),
    ("search_grams", "search_subject_type"),
    ("citations", "subject_type"),
    ("record_history", "history_subject_type"),
)
OLD_QUALIFIERS = ("exact", "approximately", "at_least", "more_than")
QUALIFIERS = (*OLD_QUALIFIERS, "at_most", "order_of_magnitude")
QUALIFIER_CHECKS = (
    ("figures", "figure_qualifier", "qualifier"),
    ("projects", "investment_qualifier", "investment_qualifier"),
    ("renewal_cases", "floor_area_qualifier", "floor_area_qualifier"),
)
OLD_UNITS = ("CNY", "kW", "kWh", "t", "m", "m2", "ratio", "count", "rank")
OLD_PARK_KINDS = (
    "industrial_park",
    "innovation_community",
    "innovation_space",
    "creative_park",
    "creative_cluster",
    "vertical_factory",
)
NULLABLE_SORTS = (
    ("events", "date"),
    ("events", "year"),
    ("programmes", "period_start"),
    ("recognitions", "year"),
)


@contextmanager
def _batch(table: str) -> Iterator[BatchOperations]:
    """`batch_alter_table`, keeping the indexes SQLite's copy of the table would drop: those
    on expressions (the sort indexes), which SQLAlchemy cannot reflect."""
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


def _replace_check(table: str, name: str, column: str, values: tuple[str, ...]) -> None:
    with _batch(table) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), sa.column(column).in_(values))


def _replace_checks(
    subjects: tuple[str, ...],
    qualifiers: tuple[str, ...],
    units: tuple[str, ...],
    park_kinds: tuple[str, ...],
) -> None:
    for table, name in SUBJECT_CHECKS:
        _replace_check(table, name, "subject_type", subjects)
    for table, name, column in QUALIFIER_CHECKS:
        _replace_check(table, name, column, qualifiers)
    _replace_check("figures", "unit_normalized", "unit_normalized", units)
    _replace_check("parks", "park_kind", "kind", park_kinds)


def upgrade() -> None:
    op.create_table(
        "source_paragraphs",
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_source_paragraphs_number_positive")),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_source_paragraphs_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "number", name=op.f("pk_source_paragraphs")),
    )
    op.create_table(
        "scenarios",
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("district_id", sa.String(length=80), nullable=True),
        sa.Column("park_id", sa.String(length=80), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh_hant", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("search_text", sa.String(length=4000), nullable=False),
        sa.Column("rendered", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_scenarios_district_id_districts")
        ),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], name=op.f("fk_scenarios_park_id_parks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenarios")),
    )
    with op.batch_alter_table("scenarios", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scenarios_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scenarios_field"), ["field"], unique=False)
        batch_op.create_index("ix_scenarios_name_sort", ["name", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scenarios_park_id"), ["park_id"], unique=False)
        batch_op.create_index(
            "ix_scenarios_unrendered",
            ["id"],
            unique=False,
            sqlite_where=sa.text("rendered IS NULL"),
            postgresql_where=sa.text("rendered IS NULL"),
        )

    op.create_table(
        "events",
        sa.Column(
            "kind",
            sa.Enum(
                "conference",
                "campaign",
                "expo",
                "competition",
                "matching_activity",
                "recurring_activity",
                "publication",
                name="event_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("date_stated", sa.String(length=40), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column(
            "cadence",
            sa.Enum(
                "daily",
                "weekly",
                "monthly",
                "quarterly",
                name="cadence",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("organizer_id", sa.String(length=80), nullable=True),
        sa.Column("district_id", sa.String(length=80), nullable=True),
        sa.Column("park_id", sa.String(length=80), nullable=True),
        sa.Column("parent_id", sa.String(length=80), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh_hant", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("search_text", sa.String(length=4000), nullable=False),
        sa.Column("rendered", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_events_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["organizer_id"],
            ["organizations.id"],
            name=op.f("fk_events_organizer_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["events.id"], name=op.f("fk_events_parent_id_events")
        ),
        sa.ForeignKeyConstraint(["park_id"], ["parks.id"], name=op.f("fk_events_park_id_parks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_cadence"), ["cadence"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_date"), ["date"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_events_name_sort", ["name", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_organizer_id"), ["organizer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_park_id"), ["park_id"], unique=False)
        batch_op.create_index(
            "ix_events_unrendered",
            ["id"],
            unique=False,
            sqlite_where=sa.text("rendered IS NULL"),
            postgresql_where=sa.text("rendered IS NULL"),
        )
        batch_op.create_index(batch_op.f("ix_events_year"), ["year"], unique=False)

    op.create_table(
        "people",
        sa.Column("organization_id", sa.String(length=80), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh_hant", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("search_text", sa.String(length=4000), nullable=False),
        sa.Column("rendered", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_people_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index("ix_people_name_sort", ["name", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_people_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_people_unrendered",
            ["id"],
            unique=False,
            sqlite_where=sa.text("rendered IS NULL"),
            postgresql_where=sa.text("rendered IS NULL"),
        )

    op.create_table(
        "programmes",
        sa.Column(
            "kind",
            sa.Enum(
                "goal",
                "plan",
                "policy",
                "industrial_system",
                "pilot",
                "judgment",
                "strategy",
                "method",
                name="programme_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("period", sa.String(length=40), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("district_id", sa.String(length=80), nullable=True),
        sa.Column("organization_id", sa.String(length=80), nullable=True),
        sa.Column("parent_id", sa.String(length=80), nullable=True),
        sa.Column("focus_areas", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh_hant", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("search_text", sa.String(length=4000), nullable=False),
        sa.Column("rendered", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_programmes_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_programmes_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["programmes.id"], name=op.f("fk_programmes_parent_id_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
    )
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programmes_district_id"), ["district_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_programmes_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_programmes_name_sort", ["name", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_programmes_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_programmes_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_programmes_period_start"), ["period_start"], unique=False
        )
        batch_op.create_index(
            "ix_programmes_unrendered",
            ["id"],
            unique=False,
            sqlite_where=sa.text("rendered IS NULL"),
            postgresql_where=sa.text("rendered IS NULL"),
        )

    op.create_table(
        "recognitions",
        sa.Column(
            "kind",
            sa.Enum(
                "list",
                "title",
                "ranking",
                "epithet",
                name="recognition_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("organization_id", sa.String(length=80), nullable=True),
        sa.Column("park_id", sa.String(length=80), nullable=True),
        sa.Column("district_id", sa.String(length=80), nullable=True),
        sa.Column("issuer_id", sa.String(length=80), nullable=True),
        sa.Column("published_in", sa.String(length=200), nullable=True),
        sa.Column("scope", sa.String(length=40), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column(
            "stage",
            sa.Enum(
                "shortlisted",
                "awarded",
                name="recognition_stage",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column(
            "rank_qualifier",
            sa.Enum(
                "exact",
                "approximately",
                "at_least",
                "more_than",
                "at_most",
                "order_of_magnitude",
                name="rank_qualifier",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh_hant", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("search_text", sa.String(length=4000), nullable=False),
        sa.Column("rendered", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_recognitions_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["organizations.id"],
            name=op.f("fk_recognitions_issuer_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_recognitions_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["parks.id"], name=op.f("fk_recognitions_park_id_parks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognitions")),
    )
    with op.batch_alter_table("recognitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recognitions_district_id"), ["district_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_recognitions_issuer_id"), ["issuer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recognitions_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_recognitions_name_sort", ["name", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_recognitions_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_recognitions_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recognitions_stage"), ["stage"], unique=False)
        batch_op.create_index(
            "ix_recognitions_unrendered",
            ["id"],
            unique=False,
            sqlite_where=sa.text("rendered IS NULL"),
            postgresql_where=sa.text("rendered IS NULL"),
        )
        batch_op.create_index(batch_op.f("ix_recognitions_year"), ["year"], unique=False)

    with _batch("figures") as batch_op:
        batch_op.add_column(sa.Column("district_id", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("programme_id", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_figures_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_figures_programme_id"), ["programme_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_figures_programme_id_programmes"), "programmes", ["programme_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_figures_district_id_districts"), "districts", ["district_id"], ["id"]
        )

    with _batch("organizations") as batch_op:
        batch_op.add_column(sa.Column("full_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("full_name_from_source", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("tenant_order", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "tenant_status",
                sa.Enum(
                    "in_full_production",
                    name="tenant_status",
                    native_enum=False,
                    create_constraint=True,
                    length=40,
                ),
                nullable=True,
            )
        )

    with _batch("parks") as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_parks_group_id"), ["group_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_parks_group_id_parks"), "parks", ["group_id"], ["id"]
        )

    with _batch("zero_carbon_factories") as batch_op:
        batch_op.add_column(sa.Column("recognition_id", sa.String(length=80), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_zero_carbon_factories_recognition_id"), ["recognition_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_zero_carbon_factories_recognition_id_recognitions"),
            "recognitions",
            ["recognition_id"],
            ["id"],
        )

    for table, name in NULLABLE_SORTS:
        op.create_index(
            f"ix_{table}_{name}_asc",
            table,
            [sa.text(f"({name} IS NULL)"), name, "id"],
            unique=False,
        )
        op.create_index(
            f"ix_{table}_{name}_desc",
            table,
            [sa.text(f"({name} IS NULL)"), sa.text(f"{name} DESC"), sa.text("id DESC")],
            unique=False,
        )
    _replace_checks(SUBJECTS, QUALIFIERS, (*OLD_UNITS, "year"), (*OLD_PARK_KINDS, "site_cluster"))


def downgrade() -> None:
    _replace_checks(OLD_SUBJECTS, OLD_QUALIFIERS, OLD_UNITS, OLD_PARK_KINDS)
    for table, name in NULLABLE_SORTS:
        op.drop_index(f"ix_{table}_{name}_desc", table_name=table)
        op.drop_index(f"ix_{table}_{name}_asc", table_name=table)
    with _batch("zero_carbon_factories") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_zero_carbon_factories_recognition_id_recognitions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_zero_carbon_factories_recognition_id"))
        batch_op.drop_column("recognition_id")

    with _batch("parks") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_parks_group_id_parks"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_parks_group_id"))
        batch_op.drop_column("group_id")

    with _batch("organizations") as batch_op:
        batch_op.drop_constraint(op.f("ck_organizations_tenant_status"), type_="check")
        batch_op.drop_column("tenant_status")
        batch_op.drop_column("tenant_order")
        batch_op.drop_column("full_name_from_source")
        batch_op.drop_column("full_name")

    with _batch("figures") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_figures_district_id_districts"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_figures_programme_id_programmes"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_figures_programme_id"))
        batch_op.drop_index(batch_op.f("ix_figures_district_id"))
        batch_op.drop_column("programme_id")
        batch_op.drop_column("district_id")

    with op.batch_alter_table("recognitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recognitions_year"))
        batch_op.drop_index(
            "ix_recognitions_unrendered",
            sqlite_where=sa.text("rendered IS NULL"),
            postgresql_where=sa.text("rendered IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_recognitions_stage"))
        batch_op.drop_index(batch_op.f("ix_recognitions_park_id"))
        batch_op.drop_index(batch_op.f("ix_recognitions_organization_id"))
        batch_op.drop_index("ix_recognitions_name_sort")
        batch_op.drop_index(batch_op.f("ix_recognitions_kind"))
        batch_op.drop_index(batch_op.f("ix_recognitions_issuer_id"))
        batch_op.drop_index(batch_op.f("ix_recognitions_district_id"))

    op.drop_table("recognitions")
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_programmes_unrendered",
            sqlite_where=sa.text("rendered IS NULL"),
            postgresql_where=sa.text("rendered IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_programmes_period_start"))
        batch_op.drop_index(batch_op.f("ix_programmes_parent_id"))
        batch_op.drop_index(batch_op.f("ix_programmes_organization_id"))
        batch_op.drop_index("ix_programmes_name_sort")
        batch_op.drop_index(batch_op.f("ix_programmes_kind"))
        batch_op.drop_index(batch_op.f("ix_programmes_district_id"))

    op.drop_table("programmes")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_people_unrendered",
            sqlite_where=sa.text("rendered IS NULL"),
            postgresql_where=sa.text("rendered IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_people_organization_id"))
        batch_op.drop_index("ix_people_name_sort")

    op.drop_table("people")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_year"))
        batch_op.drop_index(
            "ix_events_unrendered",
            sqlite_where=sa.text("rendered IS NULL"),
            postgresql_where=sa.text("rendered IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_events_park_id"))
        batch_op.drop_index(batch_op.f("ix_events_parent_id"))
        batch_op.drop_index(batch_op.f("ix_events_organizer_id"))
        batch_op.drop_index("ix_events_name_sort")
        batch_op.drop_index(batch_op.f("ix_events_kind"))
        batch_op.drop_index(batch_op.f("ix_events_district_id"))
        batch_op.drop_index(batch_op.f("ix_events_date"))
        batch_op.drop_index(batch_op.f("ix_events_cadence"))

    op.drop_table("events")
    with op.batch_alter_table("scenarios", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_scenarios_unrendered",
            sqlite_where=sa.text("rendered IS NULL"),
            postgresql_where=sa.text("rendered IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_scenarios_park_id"))
        batch_op.drop_index("ix_scenarios_name_sort")
        batch_op.drop_index(batch_op.f("ix_scenarios_field"))
        batch_op.drop_index(batch_op.f("ix_scenarios_district_id"))

    op.drop_table("scenarios")
    op.drop_table("source_paragraphs")
