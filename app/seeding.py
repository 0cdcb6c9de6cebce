"""Load the reviewed seed file into the database: validated first, then upserted by id."""

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.integers import Int32, Int64
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
)
from app.models.base import Cited
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
from app.text import to_traditional
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


class _SeedModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL stores no NUL character in text; refused here, on every database alike.
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and "\x00" in item:
                raise ValueError("must not contain the NUL character")
        return value


class CitationSeed(_SeedModel):
    source_id: str | None = None
    paragraph: int = Field(ge=1)
    quote: str = Field(min_length=1, max_length=QUOTE_MAX_LENGTH)
    fields: list[str] = Field(default_factory=list)


class _RecordSeed(_SeedModel):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)
    citations: list[CitationSeed] = Field(min_length=1)


class _NamedSeed(_RecordSeed):
    name: str = Field(min_length=1)
    name_zh_hant: str | None = None
    name_en: str | None = None


class SourceSeed(_RecordSeed):
    title: str
    title_en: str | None = None
    publisher: str | None = None
    author: str | None = None
    url: str | None = None
    date: dt.date | None = None
    language: str
    paragraph_count: int = Field(ge=1)
    description: str | None = None


class DistrictSeed(_NamedSeed):
    kind: DistrictKind | None = None
    parent_id: str | None = None


class OrganizationSeed(_NamedSeed):
    kind: OrganizationKind | None = None
    parent_id: str | None = None
    district_id: str | None = None
    park_id: str | None = None
    settled_year: Int32 | None = None


class ProjectSeed(_NamedSeed):
    organization_ids: list[str] = Field(default_factory=list)
    sector: str | None = None
    district_id: str | None = None
    status: ProjectStatus | None = None
    status_date: dt.date | None = None
    status_year: Int32 | None = None
    investment_cny: Int64 | None = None
    investment_qualifier: Qualifier | None = None
    description: str | None = None


class ParkSeed(_NamedSeed):
    kind: ParkKind | None = None
    district_id: str | None = None
    parent_id: str | None = None
    location: str | None = None
    pv_installed_capacity_kw: float | None = None
    pv_corridor_length_m: float | None = None
    description: str | None = None


class RenewalCaseSeed(_NamedSeed):
    park_id: str | None = None
    district_id: str | None = None
    former_occupant_id: str | None = None
    former_site: str | None = None
    new_use: str | None = None
    approach: str | None = None
    plot_ratio_before: float | None = None
    plot_ratio_after: float | None = None
    floor_area_m2: float | None = None
    floor_area_qualifier: Qualifier | None = None
    description: str | None = None


class ZeroCarbonFactorySeed(_RecordSeed):
    organization_id: str
    level: ZeroCarbonLevel
    stage: RecognitionStage | None = None
    list_name: str | None = None
    issuer_id: str | None = None
    year: Int32 | None = None
    district_id: str | None = None


class SubjectSeed(_SeedModel):
    type: SubjectType = Field(description="Kind of record.", examples=["project"])
    id: str = Field(description="The record's id.", examples=["catl-ly9"])


class FigureSeed(_SeedModel):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)
    subject: SubjectSeed
    metric: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    value: float
    value_stated: str
    unit: str | None
    unit_normalized: BaseUnit | None = None
    qualifier: Qualifier
    kind: FigureKind
    period: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    citation: CitationSeed


class SeedFile(_SeedModel):
    default_source_id: str | None = None
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


def read_seed_file(path: Path) -> SeedFile:
    """Parse and validate a seed file, naming every record and field that breaks a rule."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
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


class ChangeLog(Protocol):
    """What an import records of each record it writes (see app/services/importing.py)."""

    def snapshot(self, key: str, record: Any) -> Any:
        """The record as it reads now, before the change."""

    def changed(self, key: str, record: Any, before: Any) -> None:
        """The record has been inserted (`before` is None) or updated and flushed."""

    def advance(self) -> None:
        """One more seed record is done, changed or not."""


def apply_seed(*, session: Session, seed: SeedFile, log: ChangeLog | None = None) -> SeedReport:
    """Insert or update every seed record by id; records not in the seed are left alone."""
    report = SeedReport()
    for key, model in COLLECTIONS:
        for record in _parents_first(getattr(seed, key)):
            values = record_values(record)
            existing = session.get(model, record.id)
            inserted = existing is None
            before = None if existing is None or log is None else log.snapshot(key, existing)
            if existing is None:
                existing = model(**values)
                session.add(existing)
                changed = True
            else:
                changed = assign(existing, values)
            if isinstance(record, ProjectSeed):
                changed |= assign_organizations(session, existing, record.organization_ids)
            changed |= sync_citations(
                session, model.citation_subject, record, seed.default_source_id or ""
            )
            tally = report.inserted if inserted else report.updated
            if changed:
                tally[key] = tally.get(key, 0) + 1
            session.flush()
            if log is not None:
                if changed:
                    session.expire(existing, ["citations"])
                    log.changed(key, existing, before)
                log.advance()
    return report


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
