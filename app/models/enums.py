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
    site_cluster = "site_cluster"
    """A grouping of sites, such as a creative cluster; its members name it as `group_id`."""


class ZeroCarbonLevel(StrEnum):
    zero_carbon = "zero_carbon"
    near_zero_carbon = "near_zero_carbon"


class RecognitionStage(StrEnum):
    shortlisted = "shortlisted"
    awarded = "awarded"


class RecognitionKind(StrEnum):
    """What sort of recognition: a published list, a title conferred, a ranking, or a name a
    place is known by that nobody confers."""

    list = "list"
    title = "title"  # type: ignore[assignment]  # shadows str.title, harmlessly
    ranking = "ranking"
    epithet = "epithet"


class TenantStatus(StrEnum):
    """A tenant's state in its site, as the source states it."""

    in_full_production = "in_full_production"


class EventKind(StrEnum):
    conference = "conference"
    campaign = "campaign"
    expo = "expo"
    competition = "competition"
    matching_activity = "matching_activity"
    recurring_activity = "recurring_activity"
    publication = "publication"
    """The release of a report."""


class Cadence(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"


class ProgrammeKind(StrEnum):
    """What sort of programme: a goal, a plan, a policy, an industrial system, a pilot, a
    judgment, a strategy or a method."""

    goal = "goal"
    plan = "plan"
    policy = "policy"
    industrial_system = "industrial_system"
    pilot = "pilot"
    judgment = "judgment"
    strategy = "strategy"
    method = "method"


class Qualifier(StrEnum):
    exact = "exact"
    approximately = "approximately"
    at_least = "at_least"
    more_than = "more_than"
    at_most = "at_most"
    """A bracket: the value is a bound from above, as a rank within the top 50 (50强)."""
    order_of_magnitude = "order_of_magnitude"
    """A class: the value is the least of its order of magnitude, as 1e10 for 百亿级."""


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
    year = "year"


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
