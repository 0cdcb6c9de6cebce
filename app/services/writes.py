"""Curated writes: create, merge-patch and delete records, each change kept in the history.

A write takes a collection's seed record format and passes the seed file's rules (citations
for every stated field, references that exist, units the normalizer knows), checked against the
database. Services never commit: the request's session does."""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model
from pypinyin import lazy_pinyin
from slugify import slugify
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.errors import AppError, ProblemError
from app.models import Action, Citation, Figure, RecordHistory, Source, project_organizations
from app.models.base import SLUG_LENGTH, Base, Cited
from app.models.enums import SubjectType
from app.seeding import (
    COLLECTIONS,
    SEED_MODELS,
    UNCITED_FIELDS,
    FigureSeed,
    ProjectSeed,
    assign,
    assign_organizations,
    check_record,
    record_values,
    sync_citations,
    unsourced_citations,
)

Render = Callable[[Any], dict[str, Any]]
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MODELS: dict[str, type[Cited]] = dict(COLLECTIONS)


@dataclass(frozen=True)
class WriteSpec:
    """How one collection is written: its seed key, its ORM model, its record format."""

    key: str

    @property
    def model(self) -> type[Cited]:
        return MODELS[self.key]

    @property
    def seed(self) -> type[BaseModel]:
        return SEED_MODELS[self.key]

    @property
    def subject(self) -> SubjectType:
        return self.model.citation_subject

    @property
    def citations_field(self) -> str:
        return "citation" if self.seed is FigureSeed else "citations"


@cache
def create_model_for(spec: WriteSpec) -> type[BaseModel]:
    """The seed record format with `id` optional: made from the name when not given."""
    return create_model(
        f"{spec.seed.__name__.removesuffix('Seed')}Create",
        __base__=spec.seed,
        id=(str | None, Field(None, pattern=SLUG_PATTERN, max_length=SLUG_LENGTH)),
    )


@cache
def field_adapters(spec: WriteSpec) -> dict[str, TypeAdapter[Any]]:
    """A validator for each field of the record format, to check a merge patch field by field.

    Built once, when the routes are (pydantic builds validators lazily, and not thread-safely)."""
    return {
        name: TypeAdapter(field.annotation)  # type: ignore[arg-type]
        for name, field in spec.seed.model_fields.items()
    }


def invalid(problems: list[tuple[str, str]], *, status: int = 422) -> AppError:
    """A problem naming each field of the body that breaks a rule."""
    errors = [
        ProblemError(loc=["body", *path.replace("[", ".").replace("]", "").split(".")], msg=msg)
        for path, msg in problems
    ]
    detail = "; ".join(f"{path}: {msg}" for path, msg in problems)
    return AppError(status, f"Invalid body: {detail}", errors=errors)


def _validation_problems(error: ValidationError) -> list[tuple[str, str]]:
    return [
        (".".join(str(part) for part in err["loc"]) or "(body)", err["msg"])
        for err in error.errors()
    ]


class DuplicateKeyError(ValueError):
    """A JSON object gives a key twice; `path` names it, dotted from the document's root."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: a key given twice in one object")
        self.path = path


class _Object(dict[str, Any]):
    duplicate: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                found.duplicate = key
                break
            seen.add(key)
    return found


def _duplicate_path(document: Any) -> str | None:
    pending: list[tuple[Any, str]] = [(document, "")]
    while pending:
        node, path = pending.pop()
        children: Any = ()
        if isinstance(node, _Object):
            if node.duplicate is not None:
                return f"{path}.{node.duplicate}" if path else node.duplicate
            children = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        pending.extend((child, f"{path}.{name}" if path else str(name)) for name, child in children)
    return None


def loads_strictly(document: bytes | str) -> Any:
    """Parse JSON as orjson does (no NaN, no lone surrogate, at most 1024 levels deep): a
    ValueError for anything else, a DuplicateKeyError for an object giving a key twice at any
    depth, which orjson would silently resolve to the last."""
    parsed = orjson.loads(document)
    try:
        # Read again to see every key: orjson cannot tell, and the standard library can.
        again = json.loads(document, object_pairs_hook=_object)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    path = _duplicate_path(again)
    if path is not None:
        raise DuplicateKeyError(path)
    return parsed


def json_object(body: bytes, what: str) -> dict[str, Any]:
    """The body as a JSON object: a 422 naming the problem for anything else."""
    try:
        document = loads_strictly(body)
    except DuplicateKeyError as error:
        raise invalid([(error.path, "this key is given twice in one object")]) from None
    except ValueError as error:
        raise invalid([("(body)", f"not valid JSON: {error}")]) from None
    if not isinstance(document, dict):
        raise invalid([("(body)", f"{what} is a JSON object")])
    return document


def parse_create(spec: WriteSpec, body: bytes) -> BaseModel:
    """Validate a create body strictly: no unknown fields, no coerced types, no key twice."""
    json_object(body, "a record")
    try:
        return create_model_for(spec).model_validate_json(body, strict=True)
    except ValidationError as error:
        raise invalid(_validation_problems(error)) from None


def _exists(session: Session) -> Callable[[str, str], bool]:
    def exists(collection: str, record_id: str) -> bool:
        return session.get(MODELS[collection], record_id) is not None

    return exists


def source_paragraphs(session: Session) -> Callable[[str], int | None]:
    """How many paragraphs a source in the database has (None for one it lacks)."""

    def paragraphs(source_id: str) -> int | None:
        source = session.get(Source, source_id)
        return None if source is None else source.paragraph_count

    return paragraphs


def _check(session: Session, spec: WriteSpec, record: BaseModel) -> None:
    problems = list(check_record(record, spec.model, _exists(session), source_paragraphs(session)))
    problems += [(path, "name the cited source") for path in unsourced_citations(record)]
    if problems:
        raise invalid(problems)


def _slug_source(spec: WriteSpec, record: BaseModel) -> str:
    values = record.model_dump()
    if isinstance(record, FigureSeed):
        return f"{record.subject.id} {record.metric}"
    if "organization_id" in values:
        return f"{values['organization_id']} {values.get('level', '')} {values.get('year') or ''}"
    return str(values.get("name_en") or " ".join(lazy_pinyin(values["name"])))


def new_id(session: Session, spec: WriteSpec, record: BaseModel) -> str:
    """A readable slug made from the record's name, unique in its collection."""
    base = slugify(_slug_source(spec, record), max_length=60, word_boundary=True)
    base = base or slugify(spec.key)
    candidate, suffix = base, 1
    while session.get(spec.model, candidate) is not None:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def _store(session: Session, spec: WriteSpec, record: Any, seed: BaseModel) -> None:
    assign(record, record_values(seed))
    if isinstance(seed, ProjectSeed):
        assign_organizations(session, record, seed.organization_ids)
    sync_citations(session, spec.subject, seed, default_source_id="")
    session.flush()
    session.expire(record, ["citations"])


def record_change(
    session: Session,
    spec: WriteSpec,
    record_id: str,
    action: Action,
    actor: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.add(
        RecordHistory(
            subject_type=spec.subject,
            subject_id=record_id,
            action=action,
            actor=actor,
            at=dt.datetime.now(dt.UTC),
            before=before,
            after=after,
        )
    )
    session.flush()


def create_record(
    *, session: Session, spec: WriteSpec, payload: BaseModel, actor: str, render: Render
) -> Any:
    """Insert a record from its create body, with its citations; a 409 if the id is taken."""
    record_id = payload.id or new_id(session, spec, payload)  # type: ignore[attr-defined]
    if session.get(spec.model, record_id) is not None:
        raise AppError(409, f"A {spec.subject.value} with id {record_id!r} exists already.")
    seed = spec.seed.model_validate({**payload.model_dump(), "id": record_id})
    _check(session, spec, seed)
    record = spec.model(**record_values(seed))
    session.add(record)
    _store(session, spec, record, seed)
    record_change(session, spec, record_id, Action.create, actor, None, render(record))
    return record


def lock_record(*, session: Session, spec: WriteSpec, record_id: str) -> Any | None:
    """The record, locked for this transaction (PostgreSQL: FOR UPDATE; SQLite's write
    transaction already holds the database), so that its ETag check and the write see the same
    version."""
    # OF the record's own table: PostgreSQL cannot lock the outer-joined rows loaded with it.
    return session.get(
        spec.model, record_id, with_for_update={"of": spec.model}, populate_existing=True
    )


def _as_seed_values(spec: WriteSpec, record: Any) -> dict[str, Any]:
    """The record in its seed format, as plain values."""
    values: dict[str, Any] = {}
    for name in spec.seed.model_fields:
        if name in ("citations", "citation", "subject", "organization_ids"):
            continue
        values[name] = getattr(record, name)
    rows = [
        {
            "source_id": citation.source_id,
            "paragraph": citation.paragraph,
            "quote": citation.quote,
            "fields": citation.fields.split(",") if citation.fields else [],
        }
        for citation in record.citations
    ]
    if spec.seed is FigureSeed:
        values["subject"] = {"type": record.subject_type, "id": record.subject_id}
        values["citation"] = rows[0]
        values["unit_normalized"] = record.unit_normalized if record.unit is None else None
    else:
        values["citations"] = rows
    if spec.seed is ProjectSeed:
        values["organization_ids"] = [organization.id for organization in record.organizations]
    return values


def _parse_patch(spec: WriteSpec, record: Any, body: bytes) -> dict[str, Any]:
    """The patch's fields, each validated strictly on its own."""
    patch = json_object(body, "a merge patch")
    fields = spec.seed.model_fields
    problems = [(name, "unknown field") for name in patch if name not in fields]
    if "id" in patch and patch["id"] != record.id:
        problems.append(("id", "an id never changes"))
    typed: dict[str, Any] = {}
    adapters = field_adapters(spec)
    for name, value in patch.items():
        if name not in fields:
            continue
        try:
            typed[name] = adapters[name].validate_json(orjson.dumps(value), strict=True)
        except ValidationError as error:
            problems += [
                (f"{name}.{path}" if path != "(body)" else name, msg)
                for path, msg in _validation_problems(error)
            ]
    if problems:
        raise invalid(problems)
    return typed


def update_record(
    *, session: Session, spec: WriteSpec, record: Any, body: bytes, actor: str, render: Render
) -> Any:
    """Apply a JSON merge patch (RFC 7396): given keys replace, null clears. Citations given
    are added (a figure's one citation is replaced), and every field the patch states anew must
    be named by one of them."""
    patch = _parse_patch(spec, record, body)
    before = render(record)
    current = _as_seed_values(spec, record)
    old = spec.seed.model_validate(current)
    merged = {**current, **patch}
    added = patch.pop(spec.citations_field, None)
    if spec.seed is FigureSeed:
        new_citations = [] if added is None else [added]
    else:
        new_citations = list(added or [])
        merged["citations"] = [*current["citations"], *new_citations]
    try:
        seed = spec.seed.model_validate(merged)
    except ValidationError as error:
        raise invalid(_validation_problems(error)) from None
    old_values, new_values = old.model_dump(), seed.model_dump()
    stated_anew = {
        name
        for name in patch
        if new_values[name] not in (None, []) and new_values[name] != old_values[name]
    } - UNCITED_FIELDS
    if spec.seed is FigureSeed:
        cited_anew = set(spec.seed.model_fields) if new_citations else set()
    else:
        cited_anew = {name for citation in new_citations for name in citation.fields}
    uncited = sorted(stated_anew - cited_anew)
    if uncited:
        raise invalid([(name, "a new fact needs a citation naming this field") for name in uncited])
    _check(session, spec, seed)
    _store(session, spec, record, seed)
    record_change(session, spec, record.id, Action.update, actor, before, render(record))
    return record


def delete_record(
    *, session: Session, spec: WriteSpec, record: Any, actor: str, render: Render
) -> None:
    """Delete a record and its citations; its history stays. A 409 while others refer to it."""
    referrers = _referrers(session, spec, record.id)
    if referrers:
        raise AppError(
            409,
            f"{spec.subject.value} {record.id!r} is still referred to by {', '.join(referrers)}.",
        )
    before = render(record)
    session.execute(
        delete(Citation).where(
            Citation.subject_type == spec.subject, Citation.subject_id == record.id
        )
    )
    session.delete(record)
    session.flush()
    record_change(session, spec, record.id, Action.delete, actor, before, None)


def _referrers(session: Session, spec: WriteSpec, record_id: str) -> list[str]:
    """What still points at a record: foreign keys, and figures that describe it."""
    table = spec.model.__table__  # type: ignore[attr-defined]
    found = []
    for other in Base.metadata.sorted_tables:
        for foreign_key in other.foreign_keys:
            # A project's organization links go with the project.
            goes_along = other is project_organizations and foreign_key.parent.name == "project_id"
            if foreign_key.column.table is not table or goes_along:
                continue
            count = session.scalar(
                select(func.count()).select_from(other).where(foreign_key.parent == record_id)
            )
            if count:
                found.append(f"{other.name}.{foreign_key.parent.name} ({count})")
    figures = session.scalar(
        select(func.count()).where(
            Figure.subject_type == spec.subject, Figure.subject_id == record_id
        )
    )
    if figures:
        found.append(f"figures.subject_id ({figures})")
    return found


def list_history(*, session: Session, subject: SubjectType, record_id: str) -> list[RecordHistory]:
    """Every recorded change of a record, oldest first."""
    return list(
        session.scalars(
            select(RecordHistory)
            .where(RecordHistory.subject_type == subject, RecordHistory.subject_id == record_id)
            .order_by(RecordHistory.id)
        )
    )


class Current:
    """The record as it is now: no recorded change came after the moment asked for."""


def state_as_of(
    *, session: Session, subject: SubjectType, record_id: str, moment: dt.datetime
) -> dict[str, Any] | type[Current] | None:
    """The record as it was at `moment`: from the first change after it, the state before
    that change; with no change after it, the record as it is now (`Current`)."""
    first_after = session.scalar(
        select(RecordHistory)
        .where(
            RecordHistory.subject_type == subject,
            RecordHistory.subject_id == record_id,
            RecordHistory.at > moment,
        )
        .order_by(RecordHistory.id)
        .limit(1)
    )
    return Current if first_after is None else first_after.before
