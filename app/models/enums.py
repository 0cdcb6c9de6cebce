from enum import StrEnum

import sqlalchemy as sa


class DistrictKind(StrEnum):
    province = "province"
    city = "city"
    county = "county"
    district = "district"
    development_zone = "development_zone"


class OrganizationKind(StrEnum):
    company = "company"
    government_agency = "government_agency"
    party_committee = "party_committee"


class ProjectStatus(StrEnum):
    """How far a project has come, as the source says it."""

    landed = "landed"
    signed = "signed"
    under_construction = "under_construction"
    in_production = "in_production"


class ParkKind(StrEnum):
    industrial_park = "industrial_park"
    innovation_community = "innovation_community"
    innovation_space = "innovation_space"
    creative_park = "creative_park"
    creative_cluster = "creative_cluster"
    vertical_factory = "vertical_factory"


class ZeroCarbonLevel(StrEnum):
    zero_carbon = "zero_carbon"
    near_zero_carbon = "near_zero_carbon"


class RecognitionStage(StrEnum):
    shortlisted = "shortlisted"
    awarded = "awarded"


class Qualifier(StrEnum):
    exact = "exact"
    approximately = "approximately"
    at_least = "at_least"
    more_than = "more_than"


class FigureKind(StrEnum):
    actual = "actual"
    estimate = "estimate"
    target = "target"


class BaseUnit(StrEnum):
    CNY = "CNY"
    kW = "kW"  # noqa: N815 (the SI spelling is the API value)
    kWh = "kWh"  # noqa: N815
    t = "t"
    m = "m"
    m2 = "m2"
    ratio = "ratio"
    count = "count"  # type: ignore[assignment]  # shadows str.count, harmlessly
    rank = "rank"


def enum_column(enum: type[StrEnum], name: str) -> sa.Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [member.value for member in members],
    )
