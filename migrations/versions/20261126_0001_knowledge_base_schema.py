"""knowledge base schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 13:50:32.333596
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
    op.create_index(op.f("ix_districts_kind"), "districts", ["kind"], unique=False)
    op.create_index("ix_districts_name_sort", "districts", ["name", "id"], unique=False)
    op.create_index(op.f("ix_districts_parent_id"), "districts", ["parent_id"], unique=False)
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
    op.create_index(op.f("ix_figures_kind"), "figures", ["kind"], unique=False)
    op.create_index("ix_figures_metric_sort", "figures", ["metric", "id"], unique=False)
    op.create_index(op.f("ix_figures_period_start"), "figures", ["period_start"], unique=False)
    op.create_index(
        "ix_figures_period_start_asc",
        "figures",
        [sa.literal_column("(period_start IS NULL)"), "period_start", "id"],
        unique=False,
    )
    op.create_index(
        "ix_figures_period_start_desc",
        "figures",
        [
            sa.literal_column("(period_start IS NULL)"),
            sa.literal_column("period_start DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_index(op.f("ix_figures_qualifier"), "figures", ["qualifier"], unique=False)
    op.create_index(op.f("ix_figures_subject_id"), "figures", ["subject_id"], unique=False)
    op.create_index(
        op.f("ix_figures_subject_type"), "figures", ["subject_type", "subject_id"], unique=False
    )
    op.create_index(
        op.f("ix_figures_unit_normalized"), "figures", ["unit_normalized"], unique=False
    )
    op.create_index(
        "ix_figures_value_normalized_sort", "figures", ["value_normalized", "id"], unique=False
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
        "search_gram_counts",
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
                name="gram_count_subject_type",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("gram", sa.String(length=8), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("subject_type", "gram", name=op.f("pk_search_gram_counts")),
    )
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
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_search_grams_subject_id"),
        "search_grams",
        ["subject_id", "subject_type"],
        unique=False,
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
    op.create_index(op.f("ix_sources_date"), "sources", ["date"], unique=False)
    op.create_index(
        "ix_sources_date_asc",
        "sources",
        [sa.literal_column("(date IS NULL)"), "date", "id"],
        unique=False,
    )
    op.create_index(
        "ix_sources_date_desc",
        "sources",
        [
            sa.literal_column("(date IS NULL)"),
            sa.literal_column("date DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_index(op.f("ix_sources_language"), "sources", ["language"], unique=False)
    op.create_index("ix_sources_title_sort", "sources", ["title", "id"], unique=False)
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
    op.create_index(op.f("ix_citations_source_id"), "citations", ["source_id"], unique=False)
    op.create_index(
        op.f("ix_citations_subject_type"), "citations", ["subject_type", "subject_id"], unique=False
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
    op.create_index(op.f("ix_parks_district_id"), "parks", ["district_id"], unique=False)
    op.create_index(op.f("ix_parks_kind"), "parks", ["kind"], unique=False)
    op.create_index("ix_parks_name_sort", "parks", ["name", "id"], unique=False)
    op.create_index(op.f("ix_parks_parent_id"), "parks", ["parent_id"], unique=False)
    op.create_index(
        op.f("ix_parks_pv_installed_capacity_kw"),
        "parks",
        ["pv_installed_capacity_kw"],
        unique=False,
    )
    op.create_index(
        "ix_parks_pv_installed_capacity_kw_asc",
        "parks",
        [sa.literal_column("(pv_installed_capacity_kw IS NULL)"), "pv_installed_capacity_kw", "id"],
        unique=False,
    )
    op.create_index(
        "ix_parks_pv_installed_capacity_kw_desc",
        "parks",
        [
            sa.literal_column("(pv_installed_capacity_kw IS NULL)"),
            sa.literal_column("pv_installed_capacity_kw DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
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
    op.create_index(op.f("ix_projects_district_id"), "projects", ["district_id"], unique=False)
    op.create_index(
        op.f("ix_projects_investment_cny"), "projects", ["investment_cny"], unique=False
    )
    op.create_index(
        "ix_projects_investment_cny_asc",
        "projects",
        [sa.literal_column("(investment_cny IS NULL)"), "investment_cny", "id"],
        unique=False,
    )
    op.create_index(
        "ix_projects_investment_cny_desc",
        "projects",
        [
            sa.literal_column("(investment_cny IS NULL)"),
            sa.literal_column("investment_cny DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_index("ix_projects_name_sort", "projects", ["name", "id"], unique=False)
    op.create_index(op.f("ix_projects_sector"), "projects", ["sector"], unique=False)
    op.create_index(op.f("ix_projects_status"), "projects", ["status"], unique=False)
    op.create_index(op.f("ix_projects_status_date"), "projects", ["status_date"], unique=False)
    op.create_index(
        "ix_projects_status_date_asc",
        "projects",
        [sa.literal_column("(status_date IS NULL)"), "status_date", "id"],
        unique=False,
    )
    op.create_index(
        "ix_projects_status_date_desc",
        "projects",
        [
            sa.literal_column("(status_date IS NULL)"),
            sa.literal_column("status_date DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_index(op.f("ix_projects_status_year"), "projects", ["status_year"], unique=False)
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
    op.create_index(
        op.f("ix_organizations_district_id"), "organizations", ["district_id"], unique=False
    )
    op.create_index(op.f("ix_organizations_kind"), "organizations", ["kind"], unique=False)
    op.create_index("ix_organizations_name_sort", "organizations", ["name", "id"], unique=False)
    op.create_index(
        op.f("ix_organizations_parent_id"), "organizations", ["parent_id"], unique=False
    )
    op.create_index(op.f("ix_organizations_park_id"), "organizations", ["park_id"], unique=False)
    op.create_index(
        "ix_organizations_settled_year_asc",
        "organizations",
        [sa.literal_column("(settled_year IS NULL)"), "settled_year", "id"],
        unique=False,
    )
    op.create_index(
        "ix_organizations_settled_year_desc",
        "organizations",
        [
            sa.literal_column("(settled_year IS NULL)"),
            sa.literal_column("settled_year DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
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
    op.create_index(
        op.f("ix_project_organizations_organization_id"),
        "project_organizations",
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
    op.create_index(op.f("ix_renewal_cases_approach"), "renewal_cases", ["approach"], unique=False)
    op.create_index(
        op.f("ix_renewal_cases_district_id"), "renewal_cases", ["district_id"], unique=False
    )
    op.create_index(
        op.f("ix_renewal_cases_floor_area_m2"), "renewal_cases", ["floor_area_m2"], unique=False
    )
    op.create_index(
        "ix_renewal_cases_floor_area_m2_asc",
        "renewal_cases",
        [sa.literal_column("(floor_area_m2 IS NULL)"), "floor_area_m2", "id"],
        unique=False,
    )
    op.create_index(
        "ix_renewal_cases_floor_area_m2_desc",
        "renewal_cases",
        [
            sa.literal_column("(floor_area_m2 IS NULL)"),
            sa.literal_column("floor_area_m2 DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_index(
        op.f("ix_renewal_cases_former_occupant_id"),
        "renewal_cases",
        ["former_occupant_id"],
        unique=False,
    )
    op.create_index("ix_renewal_cases_name_sort", "renewal_cases", ["name", "id"], unique=False)
    op.create_index(op.f("ix_renewal_cases_park_id"), "renewal_cases", ["park_id"], unique=False)
    op.create_index(
        op.f("ix_renewal_cases_plot_ratio_after"),
        "renewal_cases",
        ["plot_ratio_after"],
        unique=False,
    )
    op.create_index(
        "ix_renewal_cases_plot_ratio_after_asc",
        "renewal_cases",
        [sa.literal_column("(plot_ratio_after IS NULL)"), "plot_ratio_after", "id"],
        unique=False,
    )
    op.create_index(
        "ix_renewal_cases_plot_ratio_after_desc",
        "renewal_cases",
        [
            sa.literal_column("(plot_ratio_after IS NULL)"),
            sa.literal_column("plot_ratio_after DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
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
    op.create_index(
        op.f("ix_zero_carbon_factories_district_id"),
        "zero_carbon_factories",
        ["district_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_zero_carbon_factories_issuer_id"),
        "zero_carbon_factories",
        ["issuer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_zero_carbon_factories_level"), "zero_carbon_factories", ["level"], unique=False
    )
    op.create_index(
        op.f("ix_zero_carbon_factories_organization_id"),
        "zero_carbon_factories",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_zero_carbon_factories_stage"), "zero_carbon_factories", ["stage"], unique=False
    )
    op.create_index(
        op.f("ix_zero_carbon_factories_year"), "zero_carbon_factories", ["year"], unique=False
    )
    op.create_index(
        "ix_zero_carbon_factories_year_asc",
        "zero_carbon_factories",
        [sa.literal_column("(year IS NULL)"), "year", "id"],
        unique=False,
    )
    op.create_index(
        "ix_zero_carbon_factories_year_desc",
        "zero_carbon_factories",
        [
            sa.literal_column("(year IS NULL)"),
            sa.literal_column("year DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_zero_carbon_factories_year_desc", table_name="zero_carbon_factories")
    op.drop_index("ix_zero_carbon_factories_year_asc", table_name="zero_carbon_factories")
    op.drop_index(op.f("ix_zero_carbon_factories_year"), table_name="zero_carbon_factories")
    op.drop_index(op.f("ix_zero_carbon_factories_stage"), table_name="zero_carbon_factories")
    op.drop_index(
        op.f("ix_zero_carbon_factories_organization_id"), table_name="zero_carbon_factories"
    )
    op.drop_index(op.f("ix_zero_carbon_factories_level"), table_name="zero_carbon_factories")
    op.drop_index(op.f("ix_zero_carbon_factories_issuer_id"), table_name="zero_carbon_factories")
    op.drop_index(op.f("ix_zero_carbon_factories_district_id"), table_name="zero_carbon_factories")
    op.drop_table("zero_carbon_factories")
    op.drop_index("ix_renewal_cases_plot_ratio_after_desc", table_name="renewal_cases")
    op.drop_index("ix_renewal_cases_plot_ratio_after_asc", table_name="renewal_cases")
    op.drop_index(op.f("ix_renewal_cases_plot_ratio_after"), table_name="renewal_cases")
    op.drop_index(op.f("ix_renewal_cases_park_id"), table_name="renewal_cases")
    op.drop_index("ix_renewal_cases_name_sort", table_name="renewal_cases")
    op.drop_index(op.f("ix_renewal_cases_former_occupant_id"), table_name="renewal_cases")
    op.drop_index("ix_renewal_cases_floor_area_m2_desc", table_name="renewal_cases")
    op.drop_index("ix_renewal_cases_floor_area_m2_asc", table_name="renewal_cases")
    op.drop_index(op.f("ix_renewal_cases_floor_area_m2"), table_name="renewal_cases")
    op.drop_index(op.f("ix_renewal_cases_district_id"), table_name="renewal_cases")
    op.drop_index(op.f("ix_renewal_cases_approach"), table_name="renewal_cases")
    op.drop_table("renewal_cases")
    op.drop_index(
        op.f("ix_project_organizations_organization_id"), table_name="project_organizations"
    )
    op.drop_table("project_organizations")
    op.drop_index("ix_organizations_settled_year_desc", table_name="organizations")
    op.drop_index("ix_organizations_settled_year_asc", table_name="organizations")
    op.drop_index(op.f("ix_organizations_park_id"), table_name="organizations")
    op.drop_index(op.f("ix_organizations_parent_id"), table_name="organizations")
    op.drop_index("ix_organizations_name_sort", table_name="organizations")
    op.drop_index(op.f("ix_organizations_kind"), table_name="organizations")
    op.drop_index(op.f("ix_organizations_district_id"), table_name="organizations")
    op.drop_table("organizations")
    op.drop_index(op.f("ix_projects_status_year"), table_name="projects")
    op.drop_index("ix_projects_status_date_desc", table_name="projects")
    op.drop_index("ix_projects_status_date_asc", table_name="projects")
    op.drop_index(op.f("ix_projects_status_date"), table_name="projects")
    op.drop_index(op.f("ix_projects_status"), table_name="projects")
    op.drop_index(op.f("ix_projects_sector"), table_name="projects")
    op.drop_index("ix_projects_name_sort", table_name="projects")
    op.drop_index("ix_projects_investment_cny_desc", table_name="projects")
    op.drop_index("ix_projects_investment_cny_asc", table_name="projects")
    op.drop_index(op.f("ix_projects_investment_cny"), table_name="projects")
    op.drop_index(op.f("ix_projects_district_id"), table_name="projects")
    op.drop_table("projects")
    op.drop_index("ix_parks_pv_installed_capacity_kw_desc", table_name="parks")
    op.drop_index("ix_parks_pv_installed_capacity_kw_asc", table_name="parks")
    op.drop_index(op.f("ix_parks_pv_installed_capacity_kw"), table_name="parks")
    op.drop_index(op.f("ix_parks_parent_id"), table_name="parks")
    op.drop_index("ix_parks_name_sort", table_name="parks")
    op.drop_index(op.f("ix_parks_kind"), table_name="parks")
    op.drop_index(op.f("ix_parks_district_id"), table_name="parks")
    op.drop_table("parks")
    op.drop_index(op.f("ix_citations_subject_type"), table_name="citations")
    op.drop_index(op.f("ix_citations_source_id"), table_name="citations")
    op.drop_table("citations")
    op.drop_index("ix_sources_title_sort", table_name="sources")
    op.drop_index(op.f("ix_sources_language"), table_name="sources")
    op.drop_index("ix_sources_date_desc", table_name="sources")
    op.drop_index("ix_sources_date_asc", table_name="sources")
    op.drop_index(op.f("ix_sources_date"), table_name="sources")
    op.drop_table("sources")
    op.drop_index(op.f("ix_search_grams_subject_id"), table_name="search_grams")
    op.drop_table("search_grams")
    op.drop_table("search_gram_counts")
    op.drop_table("kb_revision")
    op.drop_index("ix_figures_value_normalized_sort", table_name="figures")
    op.drop_index(op.f("ix_figures_unit_normalized"), table_name="figures")
    op.drop_index(op.f("ix_figures_subject_type"), table_name="figures")
    op.drop_index(op.f("ix_figures_subject_id"), table_name="figures")
    op.drop_index(op.f("ix_figures_qualifier"), table_name="figures")
    op.drop_index("ix_figures_period_start_desc", table_name="figures")
    op.drop_index("ix_figures_period_start_asc", table_name="figures")
    op.drop_index(op.f("ix_figures_period_start"), table_name="figures")
    op.drop_index("ix_figures_metric_sort", table_name="figures")
    op.drop_index(op.f("ix_figures_kind"), table_name="figures")
    op.drop_table("figures")
    op.drop_index(op.f("ix_districts_parent_id"), table_name="districts")
    op.drop_index("ix_districts_name_sort", table_name="districts")
    op.drop_index(op.f("ix_districts_kind"), table_name="districts")
    op.drop_table("districts")
