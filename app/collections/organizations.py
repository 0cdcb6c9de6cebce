"""Companies, agencies and committees the sources name."""

from pydantic import Field

from app.collections.base import Collection, Document
from app.integers import Int32
from app.listing.params import FilterQuery, NullToken, bound, one_of
from app.models import Organization
from app.models.enums import OrganizationKind, TenantStatus
from app.records.formats import (
    Name,
    NamedFormat,
    Reference,
)
from app.records.read import CitationOut, NamedOut, citations_field


class OrganizationOut(NamedOut):
    """A company, agency or committee the source names."""

    kind: OrganizationKind | None = Field(description="What sort of body.", examples=["company"])
    parent_id: str | None = Field(
        description="Parent company (`/api/v1/organizations/{id}`), where stated.",
        examples=["catl"],
    )
    full_name: str | None = Field(
        description=(
            "The full form of a name the source writes short (`省工信厅`); "
            "`full_name_from_source` says whether the source states it."
        ),
        examples=["江苏省工业和信息化厅"],
    )
    full_name_from_source: bool | None = Field(
        description="Whether `full_name` is stated by the source (and cited) or added by CityKB.",
        examples=[False],
    )
    district_id: str | None = Field(
        description=(
            "The district the source places it in: the one its registered name carries "
            "(常州市万帮…), where it is based, or where it settled (落户). Not necessarily its "
            "headquarters, and null where the source places it nowhere."
        ),
        examples=["liyang"],
    )
    park_id: str | None = Field(
        description="The site it is a tenant of, where stated (`/api/v1/parks/{id}`).",
        examples=["xinyu-canal-bay"],
    )
    tenant_order: int | None = Field(
        description="Its place among the site's tenants, where stated: 1 is the first (首家).",
        examples=[1],
    )
    tenant_status: TenantStatus | None = Field(
        description="Its state in the site, as stated: `in_full_production` (全面投产).",
        examples=["in_full_production"],
    )
    settled_year: int | None = Field(
        description="Year it settled in its district, where stated.", examples=[2016]
    )
    citations: list[CitationOut] = citations_field()


class OrganizationFilters(FilterQuery):
    kind: list[OrganizationKind | NullToken] = one_of(
        "Kind of organization.", "company", nullable=True
    )
    parent_id: list[str] = one_of("Parent organization id.", "catl", nullable=True)
    district_id: list[str] = one_of("District id.", "changzhou", nullable=True)
    park_id: list[str] = one_of("Park id.", "xinyu-canal-bay", nullable=True)
    tenant_status: list[TenantStatus | NullToken] = one_of(
        "Its state in its site.", "in_full_production", nullable=True
    )
    settled_year_min: int | None = bound("Earliest year settled (inclusive).", 2016, bits=32)
    settled_year_max: int | None = bound("Latest year settled (inclusive).", 2025, bits=32)
    tenant_order_min: int | None = bound("Earliest place in its park's tenants.", 1, bits=32)
    tenant_order_max: int | None = bound("Latest place in its park's tenants.", 10, bits=32)


class OrganizationSeed(NamedFormat):
    kind: OrganizationKind | None = None
    parent_id: Reference | None = None
    district_id: Reference | None = None
    park_id: Reference | None = None
    settled_year: Int32 | None = None
    full_name: Name | None = None
    full_name_from_source: bool | None = None
    tenant_order: Int32 | None = Field(None, ge=1)
    tenant_status: TenantStatus | None = None


COLLECTION = Collection(
    path="/organizations",
    singular="organization",
    plural="organizations",
    description="Companies, agencies and committees the sources name.",
    label_zh="企业与机构",
    order=10,
    model=Organization,
    schema=OrganizationOut,
    filters=OrganizationFilters,
    record=OrganizationSeed,
    sortable=("name", "settled_year", "id"),
    document=Document(
        (
            Organization.name,
            Organization.name_zh_hant,
            Organization.name_en,
            Organization.full_name,
        )
    ),
    sort_example="name",
    id_example="catl",
)
