"""Load the reviewed seed file into the database: validated first, then upserted by id."""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Protocol, Self, cast

import orjson
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from sqlalchemy import String, delete, insert, select, text, update
from sqlalchemy.orm import Session

from app.changes import changes_in_one_go
from app.integers import INT32_MAX, Int32, Int64
from app.listing import CONTROL_CHARACTERS, refuse_control_characters
from app.models import (
    Citation,
    District,
    Figure,
    Organization,
    Park,
    Project,
    RenewalCase,
    Source,
    ZeroCarbonFactory,
    project_organizations,
)
from app.models.base import SLUG_LENGTH, Cited
from app.models.citation import QUOTE_MAX_LENGTH
from app.models.enums import (
    BaseUnit,
    DistrictKind,
    FigureKind,
    OrganizationKind,
    ParkKind,
    ProjectStatus,
    Qualifier,
    RecognitionStage,
    SubjectType,
    ZeroCarbonLevel,
)
from app.rendered import read_schemas, stored_or_fresh
from app.search import documents
from app.text import fold, search_text, to_traditional
from app.units import normalize

Exists = Callable[[str, str], bool]
"""Whether the collection (a seed file key such as "districts") holds a record with this id."""
Paragraphs = Callable[[str], int | None]
"""How many paragraphs a source has; None for a source not known."""


class SeedError(Exception):
    """The seed file breaks a rule; each message names the record and the field."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


ONE_LINE: dict[str, Any] = {"pattern": f"^[^{CONTROL_CHARACTERS}]*$"}
MULTI_LINE: dict[str, Any] = {"pattern": "^[^\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f]*$"}
MULTI_LINE_FIELDS = {"description"}
"""Free text of our own, which may run over several lines."""

# Every text a record takes is bounded, by its column's length or, for free text, a sensible
# one; the record's JSON schema states that, and that it holds no control character.
Line = Annotated[str, Field(json_schema_extra=ONE_LINE)]
Lines = Annotated[str, Field(max_length=2000, json_schema_extra=MULTI_LINE)]
Reference = Annotated[str, Field(max_length=SLUG_LENGTH, json_schema_extra=ONE_LINE)]
"""The id of a record."""
Name = Annotated[str, Field(max_length=200, json_schema_extra=ONE_LINE)]
SEARCH_TEXT_LENGTH = cast(String, Project.__table__.c.search_text.type).length or 0


class _SeedModel(BaseModel):
    # A NaN or an infinity is no figure a source states, and SQLite would store NULL for NaN.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        # No filter could match a control character, and PostgreSQL stores no NUL: refused on
        # every database alike, once the field's length bound has passed.
        newlines = info.field_name in MULTI_LINE_FIELDS
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                refuse_control_characters(item.replace("\n", "") if newlines else item)
        return value


class CitationSeed(_SeedModel):
    source_id: Reference | None = None
    paragraph: int = Field(ge=1, le=INT32_MAX)
    quote: Line = Field(min_length=1, max_length=QUOTE_MAX_LENGTH)
    fields: list[Annotated[str, Field(max_length=60, json_schema_extra=ONE_LINE)]] = Field(
        default_factory=list, max_length=30
    )

    @field_validator("fields")
    @classmethod
    def _each_field_once(cls, fields: list[str]) -> list[str]:
        return list(dict.fromkeys(fields))

    @property
    def identity(self) -> tuple[str | None, int, str, frozenset[str]]:
        """What makes two citations the same: the passage and the fields it supports."""
        return self.source_id, self.paragraph, self.quote, frozenset(self.fields)


class _RecordSeed(_SeedModel):
    searched_as: ClassVar[SubjectType]
    """Whose search document (app/search.py) the record's texts make up."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=SLUG_LENGTH)
    citations: list[CitationSeed] = Field(min_length=1, max_length=50)

    @field_validator("citations")
    @classmethod
    def _each_citation_once(cls, citations: list[CitationSeed]) -> list[CitationSeed]:
        # A citation given twice, or a patch repeating one the record has, is kept once.
        unique: dict[tuple[str | None, int, str, frozenset[str]], CitationSeed] = {}
        for citation in citations:
            unique.setdefault(citation.identity, citation)
        return list(unique.values())

    @model_validator(mode="after")
    def _fits_its_search_text(self) -> Self:
        # A record is found by its texts and quotes, case-folded (which can lengthen them: "ß"
        # folds to "ss") and kept in a column of bounded length.
        values = dict(self)
        names = [column.key for column in documents()[self.searched_as].columns]
        quotes = [citation.quote for citation in self.citations]
        texts = [*(values.get(name) or "" for name in names), values.get("name") or "", *quotes]
        # Case folding makes at most three characters of one: most records need no folding.
        if 3 * sum(map(len, texts)) + len(texts) <= SEARCH_TEXT_LENGTH:
            return self
        if values.get("name") and values.get("name_zh_hant") is None:
            values["name_zh_hant"] = to_traditional(values["name"])
        length = len(search_text(*(values.get(name) for name in names), *quotes))
        if length <= SEARCH_TEXT_LENGTH:
            return self
        longest = max(
            (name for name in names if values.get(name)),
            key=lambda name: len(fold(values[name])),
            default="citations",
        )
        problem = PydanticCustomError(
            "search_text_too_long",
            "the record's texts and quotes, folded for search, come to {length} characters; "
            "at most {limit} fit",
            {"length": length, "limit": SEARCH_TEXT_LENGTH},
        )
        raise ValidationError.from_exception_data(
            type(self).__name__,
            [InitErrorDetails(type=problem, loc=(longest,), input=values.get(longest))],
        )


class _NamedSeed(_RecordSeed):
    name: Name = Field(min_length=1)
    name_zh_hant: Name | None = None
    name_en: Name | None = None


class SourceSeed(_RecordSeed):
    searched_as = SubjectType.source

    title: Line = Field(min_length=1, max_length=300)
    title_en: Line | None = Field(None, max_length=300)
    publisher: Line | None = Field(None, max_length=200)
    author: Line | None = Field(None, max_length=200)
    url: Line | None = Field(None, max_length=1000)
    date: dt.date | None = None
    language: Line = Field(max_length=20)
    paragraph_count: int = Field(ge=1, le=INT32_MAX)
    description: Lines | None = None


class DistrictSeed(_NamedSeed):
    searched_as = SubjectType.district

    kind: DistrictKind | None = None
    parent_id: Reference | None = None


class OrganizationSeed(_NamedSeed):
    searched_as = SubjectType.organization

    kind: OrganizationKind | None = None
    parent_id: Reference | None = None
    district_id: Reference | None = None
    park_id: Reference | None = None
    settled_year: Int32 | None = None


class ProjectSeed(_NamedSeed):
    searched_as = SubjectType.project

    organization_ids: list[Reference] = Field(default_factory=list, max_length=100)
    sector: Line | None = Field(None, max_length=100)
    district_id: Reference | None = None
    status: ProjectStatus | None = None
    status_date: dt.date | None = None
    status_year: Int32 | None = None
    investment_cny: Int64 | None = None
    investment_qualifier: Qualifier | None = None
    description: Lines | None = None


class ParkSeed(_NamedSeed):
    searched_as = SubjectType.park

    kind: ParkKind | None = None
    district_id: Reference | None = None
    parent_id: Reference | None = None
    location: Line | None = Field(None, max_length=200)
    pv_installed_capacity_kw: float | None = None
    pv_corridor_length_m: float | None = None
    description: Lines | None = None


class RenewalCaseSeed(_NamedSeed):
    searched_as = SubjectType.renewal_case

    park_id: Reference | None = None
    district_id: Reference | None = None
    former_occupant_id: Reference | None = None
    former_site: Line | None = Field(None, max_length=200)
    new_use: Line | None = Field(None, max_length=200)
    approach: Line | None = Field(None, max_length=200)
    plot_ratio_before: float | None = None
    plot_ratio_after: float | None = None
    floor_area_m2: float | None = None
    floor_area_qualifier: Qualifier | None = None
    description: Lines | None = None


class ZeroCarbonFactorySeed(_RecordSeed):
    searched_as = SubjectType.zero_carbon_factory

    organization_id: Reference
    level: ZeroCarbonLevel
    stage: RecognitionStage | None = None
    list_name: Line | None = Field(None, max_length=200)
    issuer_id: Reference | None = None
    year: Int32 | None = None
    district_id: Reference | None = None


class SubjectSeed(_SeedModel):
    type: SubjectType = Field(description="Kind of record.", examples=["project"])
    id: Reference = Field(description="The record's id.", examples=["catl-ly9"])


class FigureSeed(_SeedModel):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=SLUG_LENGTH)
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
    citation: CitationSeed


class SeedFile(_SeedModel):
    default_source_id: Reference | None = None
    """The source of every citation that names none."""
    sources: list[SourceSeed] = Field(default_factory=list)
    districts: list[DistrictSeed] = Field(default_factory=list)
    organizations: list[OrganizationSeed] = Field(default_factory=list)
    parks: list[ParkSeed] = Field(default_factory=list)
    projects: list[ProjectSeed] = Field(default_factory=list)
    renewal_cases: list[RenewalCaseSeed] = Field(default_factory=list)
    zero_carbon_factories: list[ZeroCarbonFactorySeed] = Field(default_factory=list)
    figures: list[FigureSeed] = Field(default_factory=list)


# Insert order: a record's references are in earlier collections (or earlier in its own).
COLLECTIONS: tuple[tuple[str, type[Cited]], ...] = (
    ("sources", Source),
    ("districts", District),
    ("parks", Park),
    ("organizations", Organization),
    ("projects", Project),
    ("renewal_cases", RenewalCase),
    ("zero_carbon_factories", ZeroCarbonFactory),
    ("figures", Figure),
)
SEED_MODELS: dict[str, type[BaseModel]] = {
    "sources": SourceSeed,
    "districts": DistrictSeed,
    "parks": ParkSeed,
    "organizations": OrganizationSeed,
    "projects": ProjectSeed,
    "renewal_cases": RenewalCaseSeed,
    "zero_carbon_factories": ZeroCarbonFactorySeed,
    "figures": FigureSeed,
}
"""The record format of each collection in a seed file; writes through the API take it too."""
COLLECTION_OF_TABLE = {model.__tablename__: key for key, model in COLLECTIONS}  # type: ignore[attr-defined]
COLLECTION_OF_SUBJECT = {model.citation_subject: key for key, model in COLLECTIONS}

# Fields that state no fact of the source and so need no citation.
# A source's language and length describe the document itself rather than a stated fact.
UNCITED_FIELDS = {
    "id",
    "citations",
    "name_zh_hant",
    "name_en",
    "description",
    "title_en",
    "language",
    "paragraph_count",
}

# Typed fields that must agree with a figure of the same metric on the same record.
FIGURE_BACKED_FIELDS: dict[str, dict[str, str | None]] = {
    "projects": {"investment_cny": "investment_qualifier"},
    "parks": {"pv_installed_capacity_kw": None, "pv_corridor_length_m": None},
    "renewal_cases": {
        "plot_ratio_before": None,
        "plot_ratio_after": None,
        "floor_area_m2": "floor_area_qualifier",
    },
}


@dataclass
class SeedReport:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values())

    def summary(self) -> str:
        if not self.changes:
            return "seed: nothing to change"
        parts = [
            f"{key}: {self.inserted.get(key, 0)} inserted, {self.updated.get(key, 0)} updated"
            for key in sorted(set(self.inserted) | set(self.updated))
        ]
        return "seed: " + "; ".join(parts)


class YamlAliasError(yaml.MarkedYAMLError):
    """A YAML document has an anchor or an alias."""


class PlainYamlLoader(yaml.SafeLoader):
    """The safe loader, refusing anchors and aliases as it meets them: a seed needs neither,
    and nested aliases expand a few hundred bytes into gigabytes ("billion laughs")."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlAliasError(
                problem="YAML anchors (&) and aliases (*) are not accepted; write each value out",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)


def read_seed_file(path: Path) -> SeedFile:
    """Parse and validate a seed file, naming every record and field that breaks a rule."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=PlainYamlLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise SeedError([f"{path}: cannot read the seed file: {exc}"]) from exc
    return validate_seed(raw)


def validate_seed(
    raw: Any, outside: Exists | None = None, outside_paragraphs: Paragraphs | None = None
) -> SeedFile:
    """Validate seed records; a reference may point into the file or, through `outside`,
    to a record the database already holds."""
    if not isinstance(raw, dict):
        raise SeedError(["(file): the seed file must be a mapping of collections"])
    try:
        seed = SeedFile.model_validate(raw)
    except ValidationError as exc:
        raise SeedError([_describe_error(raw, err) for err in exc.errors()]) from exc
    problems = list(_check_rules(seed, outside, outside_paragraphs))
    if problems:
        raise SeedError(problems)
    return seed


def _describe_error(raw: dict[str, Any], error: Any) -> str:
    loc = list(error["loc"])
    where = str(loc[0]) if loc else "(file)"
    if len(loc) >= 2 and isinstance(loc[1], int):
        records = raw.get(where) or []
        record = records[loc[1]] if loc[1] < len(records) else {}
        record_id = record.get("id") if isinstance(record, dict) else None
        where = f"{where}[{record_id or '#' + str(loc[1])}]"
        loc = loc[2:]
    else:
        loc = loc[1:]
    path = ".".join(str(part) for part in loc)
    return f"{where}{'.' + path if path else ''}: {error['msg']}"


def fact_fields(record: BaseModel) -> set[str]:
    return {
        name
        for name, value in record
        if name not in UNCITED_FIELDS and value is not None and value != []
    }


def _check_rules(
    seed: SeedFile, outside: Exists | None = None, outside_paragraphs: Paragraphs | None = None
) -> Iterable[str]:
    ids: dict[str, set[str]] = {
        key: {record.id for record in getattr(seed, key)} for key, _ in COLLECTIONS
    }

    def exists(collection: str, record_id: str) -> bool:
        return record_id in ids[collection] or (
            outside is not None and outside(collection, record_id)
        )

    default_source = seed.default_source_id
    lengths = {source.id: source.paragraph_count for source in seed.sources}

    def paragraphs(source_id: str) -> int | None:
        if source_id in lengths:
            return lengths[source_id]
        return outside_paragraphs(source_id) if outside_paragraphs is not None else None

    if default_source is not None and not exists("sources", default_source):
        yield f"default_source_id: unknown sources id {default_source!r}"

    for key, model in COLLECTIONS:
        seen: set[str] = set()
        for record in getattr(seed, key):
            where = f"{key}[{record.id}]"
            if record.id in seen:
                yield f"{where}.id: duplicate id"
            seen.add(record.id)
            for path, problem in check_record(record, model, exists, paragraphs, default_source):
                yield f"{where}.{path}: {problem}"
            if default_source is None:
                for path in unsourced_citations(record):
                    yield f"{where}.{path}: name the cited source, or give a default_source_id"
    yield from _check_figure_backed_fields(seed)


def unsourced_citations(record: BaseModel) -> Iterable[str]:
    """Where a record's citations name no source."""
    if isinstance(record, FigureSeed):
        if record.citation.source_id is None:
            yield "citation.source_id"
        return
    for index, citation in enumerate(getattr(record, "citations", [])):
        if citation.source_id is None:
            yield f"citations[{index}].source_id"


def check_record(
    record: BaseModel,
    model: type[Cited],
    exists: Exists,
    paragraphs: Paragraphs,
    default_source: str | None = None,
) -> Iterable[tuple[str, str]]:
    """Each (field, problem) of one record against the rules; references through `exists`,
    cited paragraphs against their source's length."""
    yield from _check_references(record, model, exists)
    cite = _Citing(exists, paragraphs, default_source)
    if isinstance(record, FigureSeed):
        yield from _check_figure(record, exists)
        yield from cite.check([record.citation], set(), "citation")
        return
    citations = record.citations  # type: ignore[attr-defined]
    yield from cite.check(citations, set(type(record).model_fields), "citations")
    cited = {name for citation in citations for name in citation.fields}
    for name in sorted(fact_fields(record) - cited):
        yield name, "no citation names this field"


def _check_references(
    record: BaseModel, model: type[Cited], exists: Exists
) -> Iterable[tuple[str, str]]:
    table = model.__table__  # type: ignore[attr-defined]
    for column in table.columns:
        value = getattr(record, column.key, None)
        for foreign_key in column.foreign_keys:
            target = COLLECTION_OF_TABLE[foreign_key.column.table.name]
            if value is not None and not exists(target, value):
                yield column.key, f"unknown {target} id {value!r}"
    for organization_id in getattr(record, "organization_ids", []):
        if not exists("organizations", organization_id):
            yield "organization_ids", f"unknown organizations id {organization_id!r}"


@dataclass(frozen=True)
class _Citing:
    exists: Exists
    paragraphs: Paragraphs
    default_source: str | None

    def check(
        self, citations: list[CitationSeed], field_names: set[str], path: str
    ) -> Iterable[tuple[str, str]]:
        for index, citation in enumerate(citations):
            where = path if path == "citation" else f"{path}[{index}]"
            source = citation.source_id or self.default_source
            if citation.source_id is not None and not self.exists("sources", citation.source_id):
                yield f"{where}.source_id", f"unknown sources id {citation.source_id!r}"
            elif source is not None:
                count = self.paragraphs(source)
                if count is not None and citation.paragraph > count:
                    yield (
                        f"{where}.paragraph",
                        f"source {source!r} has {count} paragraphs, not {citation.paragraph}",
                    )
            for name in citation.fields:
                if name not in field_names or name in UNCITED_FIELDS:
                    yield f"{where}.fields", f"{name!r} is not a citable field"


def _check_figure(figure: FigureSeed, exists: Exists) -> Iterable[tuple[str, str]]:
    target = COLLECTION_OF_SUBJECT.get(figure.subject.type)
    if target is None or not exists(target, figure.subject.id):
        yield "subject", f"unknown {figure.subject.type} id {figure.subject.id!r}"
    try:
        normalized_value(figure)
    except ValueError as exc:
        yield "unit", str(exc)
    if (figure.period_start is None) != (figure.period_end is None):
        yield "period_start", "give both period_start and period_end, or neither"
    elif figure.period_start and figure.period_end and figure.period_start > figure.period_end:
        yield "period_start", "after period_end"


def normalized_value(figure: FigureSeed) -> tuple[float, BaseUnit]:
    """The figure's value in base units; a figure with no stated unit names its base unit."""
    if figure.unit is None:
        if figure.unit_normalized is None:
            raise ValueError("a figure with no unit must name unit_normalized")
        return figure.value, figure.unit_normalized
    value, base = normalize(figure.value, figure.unit)
    if figure.unit_normalized is not None and figure.unit_normalized != base:
        raise ValueError(f"unit {figure.unit!r} normalizes to {base}, not {figure.unit_normalized}")
    return value, base


def _check_figure_backed_fields(seed: SeedFile) -> Iterable[str]:
    subject_of = {key: subject for subject, key in COLLECTION_OF_SUBJECT.items()}
    figures: dict[tuple[SubjectType, str, str], list[tuple[float, Qualifier]]] = {}
    for figure in seed.figures:
        try:
            value = normalized_value(figure)[0]
        except ValueError:
            continue  # reported with the figure itself
        described = (figure.subject.type, figure.subject.id, figure.metric)
        figures.setdefault(described, []).append((value, figure.qualifier))
    for key, typed_fields in FIGURE_BACKED_FIELDS.items():
        for record in getattr(seed, key):
            for name, qualifier_field in typed_fields.items():
                value = getattr(record, name)
                backing = figures.get((subject_of[key], record.id, name), [])
                where = f"{key}[{record.id}].{name}"
                if value is None:
                    if backing:
                        yield f"{where}: null, but a figure with metric {name!r} states it"
                    continue
                qualifier = getattr(record, qualifier_field) if qualifier_field else None
                if not any(
                    math.isclose(figure_value, value, rel_tol=1e-9)
                    and qualifier in (None, figure_qualifier)
                    for figure_value, figure_qualifier in backing
                ):
                    yield f"{where}: no figure with metric {name!r} agrees with {value!r}"


def record_values(record: BaseModel) -> dict[str, Any]:
    if isinstance(record, FigureSeed):
        value_normalized, unit_normalized = normalized_value(record)
        values = record.model_dump(exclude={"subject", "citation", "unit_normalized"})
        values.update(
            subject_type=record.subject.type,
            subject_id=record.subject.id,
            value_normalized=value_normalized,
            unit_normalized=unit_normalized,
        )
        return values
    values = record.model_dump(exclude={"citations", "organization_ids"})
    if "name" in values and values.get("name_zh_hant") is None:
        values["name_zh_hant"] = to_traditional(values["name"])
    return values


def citation_rows(record: Any, default_source_id: str) -> list[tuple[str | None, str, int, str]]:
    citations = [record.citation] if isinstance(record, FigureSeed) else record.citations
    return [
        (
            ",".join(citation.fields) or None,
            citation.source_id or default_source_id,
            citation.paragraph,
            citation.quote,
        )
        for citation in citations
    ]


def _parents_first(records: list[Any]) -> list[Any]:
    by_id = {record.id: record for record in records}
    ordered: list[Any] = []
    placed: set[str] = set()

    def place(record: Any, chain: tuple[str, ...] = ()) -> None:
        if record.id in placed:
            return
        if record.id in chain:
            raise SeedError([f"parent cycle: {' -> '.join((*chain, record.id))}"])
        parent = by_id.get(getattr(record, "parent_id", None) or "")
        if parent is not None:
            place(parent, (*chain, record.id))
        placed.add(record.id)
        ordered.append(record)

    for record in records:
        place(record)
    return ordered


SEED_BATCH = 500
"""Seed records planned and written together: read in a few queries, written a few statements
at a time, their search index and renderings brought up to date together."""


@dataclass(frozen=True)
class Change:
    """One record inserted (`before` is None) or updated, as the API reads it."""

    record_id: str
    before: dict[str, Any] | None
    after: dict[str, Any]


class ChangeLog(Protocol):
    """What an import records of the records it writes (see app/services/importing.py)."""

    def changed(self, key: str, changes: Sequence[Change]) -> None:
        """These records have been inserted or updated, and their renderings rewritten."""

    def advance(self, records: int) -> None:
        """This many more seed records are done, changed or not."""


@dataclass
class _Planned:
    """One seed record against what is stored: what writing it would change."""

    record: Any
    values: dict[str, Any]
    stored: bool
    citations: list[tuple[str | None, str, int, str]]
    differing: dict[str, Any]
    """The fields whose value differs from the stored one (all, for a new record)."""
    organizations_differ: bool
    citations_differ: bool

    @property
    def changes(self) -> bool:
        return bool(self.differing) or self.organizations_differ or self.citations_differ


def apply_seed(
    *, session: Session, seed: SeedFile, log: ChangeLog | None = None, dry_run: bool = False
) -> SeedReport:
    """Insert or update every seed record by id, a batch at a time; records not in the seed are
    left alone. A dry run only reads, and counts what would change."""
    report = SeedReport()
    if session.get_bind().dialect.name == "postgresql":
        # Each batch's queries are alike but for their ids, so the driver prepares them, and
        # PostgreSQL would settle on a generic plan costed on the tables as they were before
        # the import (empty, after a seed): one that filters every row by the whole id list.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    for key, model in COLLECTIONS:
        records = _parents_first(getattr(seed, key))
        for start in range(0, len(records), SEED_BATCH):
            planned = _plan(session, model, records[start : start + SEED_BATCH], seed)
            for item in planned:
                if item.changes:
                    tally = report.updated if item.stored else report.inserted
                    tally[key] = tally.get(key, 0) + 1
            if not dry_run:
                _write(session, key, model, [item for item in planned if item.changes], log)
            if log is not None:
                log.advance(len(planned))
    return report


def _plan(
    session: Session, model: type[Cited], records: list[Any], seed: SeedFile
) -> list[_Planned]:
    """Compare each record with its stored row, citations and links, read in one query each."""
    ids = [record.id for record in records]
    table = model.__table__  # type: ignore[attr-defined]
    columns = [column for column in table.c if column.key not in ("rendered", "search_text")]
    stored = {
        row["id"]: row
        for row in session.execute(select(*columns).where(table.c.id.in_(ids))).mappings()
    }
    citations: dict[str, list[tuple[str | None, str, int, str]]] = defaultdict(list)
    organizations: dict[str, list[str]] = defaultdict(list)
    if stored:  # a new record has neither
        for subject_id, *citation in session.execute(
            select(
                Citation.subject_id,
                Citation.fields,
                Citation.source_id,
                Citation.paragraph,
                Citation.quote,
            )
            .where(
                Citation.subject_type == model.citation_subject,
                Citation.subject_id.in_(list(stored)),
            )
            .order_by(Citation.id)
        ):
            citations[subject_id].append(tuple(citation))  # type: ignore[arg-type]
    if stored and model is Project:
        for project_id, organization_id in session.execute(
            select(project_organizations).where(
                project_organizations.c.project_id.in_(list(stored))
            )
        ):
            organizations[project_id].append(organization_id)
    planned = []
    for record in records:
        values = record_values(record)
        row = stored.get(record.id)
        wanted = citation_rows(record, seed.default_source_id or "")
        organization_ids = sorted(getattr(record, "organization_ids", []))
        planned.append(
            _Planned(
                record,
                values,
                stored=row is not None,
                citations=wanted,
                differing={
                    name: value
                    for name, value in values.items()
                    if row is None or row[name] != value
                },
                organizations_differ=sorted(organizations[record.id]) != organization_ids,
                citations_differ=citations[record.id] != wanted,
            )
        )
    return planned


def _write(
    session: Session, key: str, model: type[Cited], planned: list[_Planned], log: ChangeLog | None
) -> None:
    """Insert or update the planned records, their citations and links, many rows a statement;
    the search index and the renderings follow once for them all."""
    if not planned:
        return
    subject = model.citation_subject
    updated = [item.record.id for item in planned if item.stored]
    before = _renderings(session, subject, updated) if log is not None else {}
    with changes_in_one_go(session) as touched:
        # New rows first, in one statement (parents before children): an updated record may
        # now name one as its parent.
        inserted = [item.values for item in planned if not item.stored]
        if inserted:
            session.execute(insert(model), inserted)
        # Only the fields that differ: each index on a column set is rewritten, same or not.
        changed = [
            {"id": item.record.id, **item.differing}
            for item in planned
            if item.stored and item.differing
        ]
        if changed:
            session.execute(update(model), changed)
        # Links and citations are replaced whole; a new record has none to delete.
        relinked = [item for item in planned if item.organizations_differ]
        if any(item.stored for item in relinked):
            session.execute(
                delete(project_organizations).where(
                    project_organizations.c.project_id.in_(
                        [item.record.id for item in relinked if item.stored]
                    )
                )
            )
        links = [
            {"project_id": item.record.id, "organization_id": organization_id}
            for item in relinked
            for organization_id in item.record.organization_ids
        ]
        if links:
            session.execute(insert(project_organizations), links)
        recited = [item for item in planned if item.citations_differ]
        if any(item.stored for item in recited):
            session.execute(
                delete(Citation).where(
                    Citation.subject_type == subject,
                    Citation.subject_id.in_([item.record.id for item in recited if item.stored]),
                )
            )
        citations = [
            {
                "subject_type": subject,
                "subject_id": item.record.id,
                "fields": fields,
                "source_id": source_id,
                "paragraph": paragraph,
                "quote": quote,
            }
            for item in recited
            for fields, source_id, paragraph, quote in item.citations
        ]
        if citations:
            session.execute(insert(Citation), citations)
        touched[subject].update(item.record.id for item in planned)
    for record_id in updated:
        # Written without the ORM: what it holds of the record is out of date.
        held = session.identity_map.get(session.identity_key(model, record_id))
        if held is not None:
            session.expire(held)
    if log is not None:
        after = _renderings(session, subject, [item.record.id for item in planned])
        log.changed(
            key,
            [
                Change(item.record.id, before.get(item.record.id), after[item.record.id])
                for item in planned
            ],
        )


def _renderings(session: Session, subject: SubjectType, ids: list[str]) -> dict[str, Any]:
    """These records as the API reads them now, by id."""
    if not ids:
        return {}
    table = read_schemas()[subject][0].__table__  # type: ignore[attr-defined]
    rows = session.execute(select(table.c.id, table.c.rendered).where(table.c.id.in_(ids))).all()
    rendered = stored_or_fresh(session.connection(), subject, rows)
    return {row.id: orjson.loads(json) for row, json in zip(rows, rendered, strict=True)}


def assign(target: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


def assign_organizations(session: Session, project: Any, organization_ids: list[str]) -> bool:
    if sorted(org.id for org in project.organizations) == sorted(organization_ids):
        return False
    project.organizations = list(
        session.scalars(select(Organization).where(Organization.id.in_(organization_ids)))
    )
    return True


def sync_citations(
    session: Session, subject: SubjectType, record: Any, default_source_id: str
) -> bool:
    wanted = citation_rows(record, default_source_id)
    current = session.scalars(
        select(Citation)
        .where(Citation.subject_type == subject, Citation.subject_id == record.id)
        .order_by(Citation.id)
    ).all()
    if [(c.fields, c.source_id, c.paragraph, c.quote) for c in current] == wanted:
        return False
    session.execute(
        delete(Citation).where(Citation.subject_type == subject, Citation.subject_id == record.id)
    )
    session.add_all(
        Citation(
            subject_type=subject,
            subject_id=record.id,
            fields=fields,
            source_id=source_id,
            paragraph=paragraph,
            quote=quote,
        )
        for fields, source_id, paragraph, quote in wanted
    )
    return True


def seed_database(*, session: Session, path: Path) -> SeedReport:
    """Validate the seed file at `path` and upsert it."""
    return apply_seed(session=session, seed=read_seed_file(path))
