"""knowledge base schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 13:20:15.589407
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column(
            "kind",
            sa.Enum(
                "province",
                "city",
                "county",
                "district",
                "development_zone",
                name="district_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("parent_id", sa.String(length=80), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh_hant", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("search_text", sa.String(length=4000), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["districts.id"], name=op.f("fk_districts_parent_id_districts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_districts")),
    )
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_districts_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "figures",
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
                name="figure_subject_type",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("value_stated", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("value_normalized", sa.Float(), nullable=False),
        sa.Column(
            "unit_normalized",
            sa.Enum(
                "CNY",
                "kW",
                "kWh",
                "t",
                "m",
                "m2",
                "ratio",
                "count",
                "rank",
                name="unit_normalized",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "qualifier",
            sa.Enum(
                "exact",
                "approximately",
                "at_least",
                "more_than",
                name="figure_qualifier",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "actual",
                "estimate",
                "target",
                name="figure_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("period", sa.String(length=40), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("search_text", sa.String(length=4000), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figures")),
    )
    with op.batch_alter_table("figures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_figures_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_figures_metric"), ["metric"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_figures_subject_type"), ["subject_type", "subject_id"], unique=False
        )

    revision_table = op.create_table(
        "kb_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_kb_revision_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_revision")),
    )
    op.bulk_insert(revision_table, [{"id": 1, "value": 0}])
    op.create_table(
        "search_grams",
        sa.Column("gram", sa.String(length=8), nullable=False),
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
                name="search_subject_type",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("gram", "subject_type", "subject_id", name=op.f("pk_search_grams")),
    )
    with op.batch_alter_table("search_grams", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_search_grams_subject_id"), ["subject_id", "subject_type"], unique=False
        )

    op.create_table(
        "sources",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=True),
        sa.Column("publisher", sa.String(length=200), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("paragraph_count", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("search_text", sa.String(length=4000), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
    )
    op.create_table(
        "citations",
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
                name="subject_type",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.Column("fields", sa.String(length=300), nullable=True),
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("paragraph", sa.Integer(), nullable=False),
        sa.Column("quote", sa.String(length=40), nullable=False),
        sa.CheckConstraint(
            "length(quote) BETWEEN 1 AND 40", name=op.f("ck_citations_quote_length")
        ),
        sa.CheckConstraint("paragraph >= 1", name=op.f("ck_citations_paragraph_positive")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_citations_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citations")),
    )
    with op.batch_alter_table("citations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citations_source_id"), ["source_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_citations_subject_type"), ["subject_type", "subject_id"], unique=False
        )

    op.create_table(
        "parks",
        sa.Column(
            "kind",
            sa.Enum(
                "industrial_park",
                "innovation_community",
                "innovation_space",
                "creative_park",
                "creative_cluster",
                "vertical_factory",
                name="park_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("district_id", sa.String(length=80), nullable=True),
        sa.Column("parent_id", sa.String(length=80), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("pv_installed_capacity_kw", sa.Float(), nullable=True),
        sa.Column("pv_corridor_length_m", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh_hant", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("search_text", sa.String(length=4000), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_parks_district_id_districts")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["parks.id"], name=op.f("fk_parks_parent_id_parks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parks")),
    )
    with op.batch_alter_table("parks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parks_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parks_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_parks_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "projects",
        sa.Column("sector", sa.String(length=100), nullable=True),
        sa.Column("district_id", sa.String(length=80), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "landed",
                "signed",
                "under_construction",
                "in_production",
                name="project_status",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("status_date", sa.Date(), nullable=True),
        sa.Column("status_year", sa.Integer(), nullable=True),
        sa.Column("investment_cny", sa.BigInteger(), nullable=True),
        sa.Column(
            "investment_qualifier",
            sa.Enum(
                "exact",
                "approximately",
                "at_least",
                "more_than",
                name="investment_qualifier",
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
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_projects_district_id_districts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_district_id"), ["district_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_projects_investment_cny"), ["investment_cny"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_projects_sector"), ["sector"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_status"), ["status"], unique=False)

    op.create_table(
        "organizations",
        sa.Column(
            "kind",
            sa.Enum(
                "company",
                "government_agency",
                "party_committee",
                name="organization_kind",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("parent_id", sa.String(length=80), nullable=True),
        sa.Column("district_id", sa.String(length=80), nullable=True),
        sa.Column("park_id", sa.String(length=80), nullable=True),
        sa.Column("settled_year", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh_hant", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("search_text", sa.String(length=4000), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_organizations_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organizations.id"],
            name=op.f("fk_organizations_parent_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["parks.id"], name=op.f("fk_organizations_park_id_parks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organizations_district_id"), ["district_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_organizations_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_organizations_park_id"), ["park_id"], unique=False)

    op.create_table(
        "project_organizations",
        sa.Column("project_id", sa.String(length=80), nullable=False),
        sa.Column("organization_id", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_project_organizations_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_organizations_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "project_id", "organization_id", name=op.f("pk_project_organizations")
        ),
    )
    with op.batch_alter_table("project_organizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_organizations_organization_id"),
            ["organization_id"],
            unique=False,
        )

    op.create_table(
        "renewal_cases",
        sa.Column("park_id", sa.String(length=80), nullable=True),
        sa.Column("district_id", sa.String(length=80), nullable=True),
        sa.Column("former_occupant_id", sa.String(length=80), nullable=True),
        sa.Column("former_site", sa.String(length=200), nullable=True),
        sa.Column("new_use", sa.String(length=200), nullable=True),
        sa.Column("approach", sa.String(length=200), nullable=True),
        sa.Column("plot_ratio_before", sa.Float(), nullable=True),
        sa.Column("plot_ratio_after", sa.Float(), nullable=True),
        sa.Column("floor_area_m2", sa.Float(), nullable=True),
        sa.Column(
            "floor_area_qualifier",
            sa.Enum(
                "exact",
                "approximately",
                "at_least",
                "more_than",
                name="floor_area_qualifier",
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
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_renewal_cases_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["former_occupant_id"],
            ["organizations.id"],
            name=op.f("fk_renewal_cases_former_occupant_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["parks.id"], name=op.f("fk_renewal_cases_park_id_parks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewal_cases")),
    )
    with op.batch_alter_table("renewal_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_renewal_cases_approach"), ["approach"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_renewal_cases_district_id"), ["district_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_renewal_cases_former_occupant_id"), ["former_occupant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_renewal_cases_park_id"), ["park_id"], unique=False)

    op.create_table(
        "zero_carbon_factories",
        sa.Column("organization_id", sa.String(length=80), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "zero_carbon",
                "near_zero_carbon",
                name="zero_carbon_level",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
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
        sa.Column("list_name", sa.String(length=200), nullable=True),
        sa.Column("issuer_id", sa.String(length=80), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.String(length=80), nullable=True),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("search_text", sa.String(length=4000), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_zero_carbon_factories_district_id_districts"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["organizations.id"],
            name=op.f("fk_zero_carbon_factories_issuer_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_zero_carbon_factories_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zero_carbon_factories")),
    )
    with op.batch_alter_table("zero_carbon_factories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_zero_carbon_factories_district_id"), ["district_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_zero_carbon_factories_issuer_id"), ["issuer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_zero_carbon_factories_level"), ["level"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_zero_carbon_factories_organization_id"),
            ["organization_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_zero_carbon_factories_year"), ["year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("zero_carbon_factories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zero_carbon_factories_year"))
        batch_op.drop_index(batch_op.f("ix_zero_carbon_factories_organization_id"))
        batch_op.drop_index(batch_op.f("ix_zero_carbon_factories_level"))
        batch_op.drop_index(batch_op.f("ix_zero_carbon_factories_issuer_id"))
        batch_op.drop_index(batch_op.f("ix_zero_carbon_factories_district_id"))

    op.drop_table("zero_carbon_factories")
    with op.batch_alter_table("renewal_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_renewal_cases_park_id"))
        batch_op.drop_index(batch_op.f("ix_renewal_cases_former_occupant_id"))
        batch_op.drop_index(batch_op.f("ix_renewal_cases_district_id"))
        batch_op.drop_index(batch_op.f("ix_renewal_cases_approach"))

    op.drop_table("renewal_cases")
    with op.batch_alter_table("project_organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_organizations_organization_id"))

    op.drop_table("project_organizations")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_park_id"))
        batch_op.drop_index(batch_op.f("ix_organizations_parent_id"))
        batch_op.drop_index(batch_op.f("ix_organizations_district_id"))

    op.drop_table("organizations")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_status"))
        batch_op.drop_index(batch_op.f("ix_projects_sector"))
        batch_op.drop_index(batch_op.f("ix_projects_investment_cny"))
        batch_op.drop_index(batch_op.f("ix_projects_district_id"))

    op.drop_table("projects")
    with op.batch_alter_table("parks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parks_parent_id"))
        batch_op.drop_index(batch_op.f("ix_parks_kind"))
        batch_op.drop_index(batch_op.f("ix_parks_district_id"))

    op.drop_table("parks")
    with op.batch_alter_table("citations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citations_subject_type"))
        batch_op.drop_index(batch_op.f("ix_citations_source_id"))

    op.drop_table("citations")
    op.drop_table("sources")
    with op.batch_alter_table("search_grams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_grams_subject_id"))

    op.drop_table("search_grams")
    op.drop_table("kb_revision")
    with op.batch_alter_table("figures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_figures_subject_type"))
        batch_op.drop_index(batch_op.f("ix_figures_metric"))
        batch_op.drop_index(batch_op.f("ix_figures_kind"))

    op.drop_table("figures")
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_districts_parent_id"))

    op.drop_table("districts")
