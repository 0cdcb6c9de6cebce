"""Every number the sources state, with its unit, normalized value and qualifier, and the
record it describes."""

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import Field

from app.collections.base import Collection, Document
from app.listing.params import FilterQuery, IsoDate, bound, one_of
from app.models import Figure
from app.models.enums import BaseUnit, FigureKind, Qualifier
from app.records.formats import CitationSeed, Line, RecordFormat, Reference, Slug, SubjectSeed
from app.records.read import CitationOut, RecordOut, citations_field

if TYPE_CHECKING:
    from app.collections.catalog import SubjectType


class FigureOut(RecordOut):
    """One number as the source states it, with its value in base units."""

    subject_type: "SubjectType" = Field(
        description="Kind of record it describes.", examples=["park"]
    )
    subject_id: str = Field(
        description="Id of the record it describes.",
        examples=["songjianhu-optoelectronics-harbor"],
    )
    subject_name: str | None = Field(
        description="The name of the record it describes (a source's title), as it has it.",
        examples=["宋剑湖光电科技港"],
    )
    metric: str = Field(
        description="What is measured; equals the typed field it backs, where there is one.",
        examples=["pv_installed_capacity_kw"],
    )
    label: str = Field(
        description="What the number is, in CityKB's words.",
        examples=["Installed photovoltaic capacity"],
    )
    value: float = Field(description="The number as stated, in `unit`.", examples=[6.16])
    value_stated: str = Field(
        description="The number as written in the source, qualifier words included.",
        examples=["约700"],
    )
    unit: str | None = Field(
        description="Unit as stated (`亿元`, `兆瓦`, `万度`, `%`); null for a bare number.",
        examples=["兆瓦"],
    )
    value_normalized: float = Field(description="The value in `unit_normalized`.", examples=[6160])
    unit_normalized: BaseUnit = Field(
        description="Base unit: CNY, kW, kWh, t, m, m2, ratio, count, rank or year.",
        examples=["kW"],
    )
    qualifier: Qualifier = Field(
        description=(
            "`exact`, `approximately` (约), `at_least` (以上), `more_than` (超, 多), "
            "`at_most` (a bracket such as 50强: rank 50 or better) or `order_of_magnitude` "
            "(a class such as 百亿级: the value is the class's least, 1e10)."
        ),
        examples=["exact"],
    )
    kind: FigureKind = Field(description="`actual`, `estimate` or `target`.", examples=["actual"])
    period: str | None = Field(
        description="The period it refers to, as stated (`2025`, `每年`, `十五五`).",
        examples=["十五五"],
    )
    period_start: dt.date | None = Field(
        description="First day of the period.", examples=["2026-01-01"]
    )
    period_end: dt.date | None = Field(
        description="Last day of the period.", examples=["2030-12-31"]
    )
    district_id: str | None = Field(
        description=(
            "The place the number is about, where the source states one apart from its subject: "
            "CATL's eight ten-billion projects are in Liyang (`/api/v1/districts/{id}`)."
        ),
        examples=["liyang"],
    )
    programme_id: str | None = Field(
        description="The programme a target belongs to (`/api/v1/programmes/{id}`).",
        examples=["fifteenth-five-year-plan"],
    )
    restates_id: str | None = Field(
        description=(
            "The figure this one states again: the same fact of the same subject and metric, "
            "in other words (LY9's 超百亿 restates its 100亿). Stats leave a restating figure "
            "out of their sums and means, so that each fact counts once; null for a figure that "
            "states its fact first or alone (`/api/v1/figures/{id}`)."
        ),
        examples=["catl-ly9-investment"],
    )
    citations: list[CitationOut] = citations_field()


class FigureFilters(FilterQuery):
    subject_type: list["SubjectType"] = one_of("Kind of record described.", "park")
    subject_id: list[str] = one_of("Id of the record described.", "catl-ly9")
    metric: list[str] = one_of("What is measured.", "investment_cny")
    kind: list[FigureKind] = one_of("Actual, estimate or target.", "target")
    qualifier: list[Qualifier] = one_of("Exactness.", "approximately")
    unit_normalized: list[BaseUnit] = one_of("Base unit.", "CNY")
    district_id: list[str] = one_of("Place id.", "liyang", nullable=True)
    programme_id: list[str] = one_of("Programme id.", "fifteenth-five-year-plan", nullable=True)
    restates_id: list[str] = one_of(
        "Id of the figure restated; `null` for figures that restate none.",
        "catl-ly9-investment",
        nullable=True,
    )
    value_min: float | None = bound("Least value as stated, in its `unit` (inclusive).", 1.0)
    value_max: float | None = bound("Most value as stated, in its `unit` (inclusive).", 100.0)
    value_normalized_min: float | None = bound("Least normalized value (inclusive).", 1000000.0)
    value_normalized_max: float | None = bound("Most normalized value (inclusive).", 1e10)
    period_start_min: IsoDate | None = bound("Earliest period start.", "2025-01-01")
    period_start_max: IsoDate | None = bound("Latest period start.", "2030-12-31")
    period_end_min: IsoDate | None = bound("Earliest period end.", "2025-12-31")
    period_end_max: IsoDate | None = bound("Latest period end.", "2030-12-31")


class FigureSeed(RecordFormat):
    id: Slug
    subject: SubjectSeed
    metric: str = Field(pattern=r"^[a-z0-9_]+$", max_length=60)
    label: Line = Field(max_length=200)
    value: float
    value_stated: Line = Field(max_length=40)
    unit: Line | None = Field(max_length=20)
    unit_normalized: BaseUnit | None = None
    qualifier: Qualifier
    kind: FigureKind
    period: Line | None = Field(None, max_length=40)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    district_id: Reference | None = None
    programme_id: Reference | None = None
    restates_id: Reference | None = None
    citation: CitationSeed


COLLECTION = Collection(
    path="/figures",
    singular="figure",
    plural="figures",
    description="Every number the sources state, with units, normalized values and qualifiers.",
    label_zh="数字",
    order=12,
    model=Figure,
    schema=FigureOut,
    filters=FigureFilters,
    record=FigureSeed,
    describes_others=True,
    sortable=("metric", "value_normalized", "period_start", "id"),
    default_sort="id",
    numeric=("value_normalized",),
    numeric_unit="unit_normalized",
    restates="restates_id",
    document=Document(
        (Figure.label, Figure.value_stated, Figure.unit, Figure.period), english=None
    ),
    sort_example="-value_normalized",
    id_example="catl-ly9-investment",
)
