"""Curated writes: create, merge-patch and delete records, each change kept in the history.

A write takes its collection's record format and passes the rules seed files pass, checked
against the database: each new citation's quote against its source's registered text (a
source with none cannot be cited yet), and each typed field against its figures. Rows are
written as they are and the record's projections follow at once
(`app.projections.upkeep.project`): the new rendering is what the answer, the history and the
next GET all read. Services never commit: the request's session does."""

import re
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from pypinyin import lazy_pinyin
from slugify import slugify
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.collections.base import Collection
from app.collections.catalog import BY_KEY, REFERENCES, SOURCES
from app.collections.figures import FigureSeed
from app.errors import AppError
from app.models import Action, Citation, Figure
from app.models.base import Base
from app.projections.rendering import stored_or_fresh
from app.projections.search_index import drop_grams
from app.projections.upkeep import Touched, project
from app.services.backing import Unbacked, unbacked_fields
from app.services.history import record_change
from app.services.rules import (
    Exists,
    check_record,
    citation_rows,
    citations_of,
    cited_paragraphs,
    named_records,
    record_values,
    uncited_fields,
    unsourced_citations,
)
from app.services.source_texts import cited_text
from app.services.write_bodies import invalid, parse_patch, validation_problems


def _exists(session: Session, known: set[tuple[str, str]]) -> Exists:
    """Whether a record exists: those in `known` (the record's references before a patch)
    do, for the database keeps every reference pointing at a record."""

    def exists(key: str, record_id: str) -> bool:
        if (key, record_id) not in known:
            table = BY_KEY[key].table
            found = session.scalar(select(table.c.id).where(table.c.id == record_id))
            if found is None:
                return False
            known.add((key, record_id))
        return True

    return exists


def _references(collection: Collection, record: Any) -> set[tuple[str, str]]:
    """The records a record names, its citations' sources included: (collection key, id)."""
    found = {
        (target, record_id) for _, target, record_id in named_records(record, collection.model)
    }
    sources = {citation.source_id for citation in citations_of(record)}
    return found | {(SOURCES, source_id) for source_id in sources if source_id is not None}


def _check(
    session: Session, collection: Collection, record: Any, old: Any | None, *, kept: int = 0
) -> None:
    """Check a record against the rules; what `old` (the record before a patch) states was
    checked when it was written, and the `kept` citations that come first are its. The sources
    its new citations cite, their lengths and the text of the paragraphs cited are read in one
    query."""
    known = set() if old is None else _references(collection, old)
    known_citations = set() if old is None else {c.identity for c in citations_of(old)}
    cited = cited_paragraphs([record], known=known_citations)
    counts, passages = cited_text(session=session, cited=cited) if cited else ({}, None)
    known |= {(SOURCES, source_id) for source_id in counts}
    problems = list(
        check_record(
            record,
            collection.model,
            _exists(session, known),
            counts.get,
            known_citations=known_citations,
            passages=passages,
        )
    )
    problems += [(path, "name the cited source") for path in unsourced_citations(record)]
    parent_id = getattr(record, "parent_id", None)
    if parent_id is not None and (old is None or old.parent_id != parent_id):
        cycle = _parent_cycle(session, collection, record.id, parent_id)
        if cycle:
            problems.append(("parent_id", f"a parent cycle: {' -> '.join(cycle)}"))
    if problems:
        raise invalid(_in_the_patch(problems, kept))


def _in_the_patch(problems: list[tuple[str, str]], kept: int) -> list[tuple[str, str]]:
    """`problems` of a patched record, a citation the patch adds located where the patch has it
    (after the `kept` citations the record had, it is `citations[0]` in the patch)."""
    located = []
    for path, message in problems:
        match = _CITATION.match(path)
        if match and kept and int(match.group(1)) >= kept:
            path = f"citations[{int(match.group(1)) - kept}]{match.group(2)}"
        located.append((path, message))
    return located


_CITATION = re.compile(r"citations[.\[](\d+)\]?(.*)")


def _parent_cycle(
    session: Session, collection: Collection, record_id: str, parent_id: str
) -> list[str] | None:
    """The chain from a record up its collection's `parent_id`s back to itself, were its parent
    `parent_id` (itself, or one of its descendants); None if the chain ends."""
    if ("parent_id", collection.key) not in REFERENCES[collection.key]:
        return None
    parent = collection.table.c.parent_id
    chain: list[str] = [record_id]
    current: str | None = parent_id
    while current is not None and current not in chain[1:]:
        chain.append(current)
        if current == record_id:
            return chain
        current = session.scalar(select(parent).where(collection.table.c.id == current))
    return None


def _typed_fields_changed(collection: Collection, record: Any, old: Any | None) -> bool:
    """Whether a write states a typed field anew, or changes what a figure states."""
    watched: tuple[str, ...]
    if collection.record is FigureSeed:
        watched = ("subject", "metric", "value", "unit", "unit_normalized", "qualifier")
    else:
        backed = collection.figure_backed
        watched = (*backed, *filter(None, backed.values()))
    return any(old is None or getattr(record, name) != getattr(old, name) for name in watched)


def _unbacked_problem(collection: Collection, found: list[Unbacked]) -> AppError:
    """A 422 naming each typed field of the record written that no figure states."""
    subject = collection.subject
    return invalid(
        [
            (
                item.field,
                f"no figure of this {subject} with metric {item.field!r} states {item.value!r}"
                f"{' (with that qualifier)' if collection.figure_backed[item.field] else ''}. "
                f"A typed field needs its figure: create the {subject} without it, POST the "
                f"figure (`/api/v1/figures`, subject {{type: {subject}, id}}, metric "
                f"{item.field!r}), then PATCH this field",
            )
            for item in found
        ]
    )


def _left_unbacked(found: list[Unbacked]) -> AppError:
    """A 409 naming each typed field that a figure's change or deletion would leave unstated."""
    fields = ", ".join(
        f"{item.key}[{item.record_id}].{item.field} ({item.value!r})" for item in found
    )
    return AppError(
        409,
        f"No figure would state {fields} any more: change or clear that field first, or "
        "give it another figure.",
    )


def _slug_words(record: BaseModel) -> str:
    values = record.model_dump()
    if isinstance(record, FigureSeed):
        return f"{record.subject.id} {record.metric}"
    if "organization_id" in values:
        return f"{values['organization_id']} {values.get('level', '')} {values.get('year') or ''}"
    return str(values.get("name_en") or " ".join(lazy_pinyin(values["name"])))


def new_id(session: Session, collection: Collection, record: BaseModel) -> str:
    """A readable slug made from the record's name, unique in its collection."""
    base = slugify(_slug_words(record), max_length=60, word_boundary=True)
    base = base or slugify(collection.key)
    candidate, suffix = base, 1
    while session.get(collection.model, candidate) is not None:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def _write(session: Session, collection: Collection, record: Any, old: Any | None) -> bytes:
    """Insert (`old` is None) or update the record's row, citations and links, as they differ
    from `old`; then its projections. Its new rendering."""
    table, links, subject = collection.table, collection.links, collection.subject
    values = record_values(record)
    touched: Touched = Touched(set)
    touched[subject].add(record.id)
    renamed: Touched = Touched(set)
    if old is None:
        session.execute(insert(table).values(values))
    else:
        before = record_values(old)
        changed = {name: value for name, value in values.items() if before[name] != value}
        if changed:
            session.execute(update(table).where(table.c.id == record.id).values(changed))
        naming = collection.named_after or collection.label
        if naming.key in changed:
            renamed[subject].add(record.id)
    rows = citation_rows(record, "")
    if old is None or citation_rows(old, "") != rows:
        if old is not None:
            session.execute(
                delete(Citation).where(
                    Citation.subject_type == subject, Citation.subject_id == record.id
                )
            )
        session.execute(
            insert(Citation),
            [
                {
                    "subject_type": subject,
                    "subject_id": record.id,
                    "fields": fields,
                    "source_id": source_id,
                    "paragraph": paragraph,
                    "quote": quote,
                }
                for fields, source_id, paragraph, quote in rows
            ],
        )
    if links is not None:
        wanted = sorted(getattr(record, links.field))
        if old is None or sorted(getattr(old, links.field)) != wanted:
            if old is not None:
                session.execute(delete(links.table).where(links.own == record.id))
            if wanted:
                session.execute(
                    insert(links.table),
                    [{links.own.key: record.id, links.other.key: other} for other in wanted],
                )
    return project(session.connection(), touched, renamed)[subject][record.id]


def _keep_in_history(
    session: Session,
    subject: str,
    record_id: str,
    actor: str,
    before: bytes | None,
    after: bytes | None,
) -> None:
    """Keep a change in the record's history: a create has nothing before, a delete nothing
    after."""
    action = Action.create if before is None else Action.delete if after is None else Action.update
    record_change(
        session=session,
        subject=subject,
        record_id=record_id,
        action=action,
        actor=actor,
        before=before,
        after=after,
    )


def create_record(
    *, session: Session, collection: Collection, payload: BaseModel, actor: str
) -> tuple[str, bytes]:
    """Insert a record from its create body, with its citations; a 409 if the id is taken.
    Its id and rendering."""
    record_id = payload.id or new_id(session, collection, payload)  # type: ignore[attr-defined]
    if session.get(collection.model, record_id) is not None:
        raise AppError(409, f"A {collection.subject} with id {record_id!r} exists already.")
    record = collection.record.model_validate({**payload.model_dump(), "id": record_id})
    _check(session, collection, record, None)
    if collection.figure_backed and _typed_fields_changed(collection, record, None):
        found = unbacked_fields(session=session, records={collection.key: [record]})
        if found:
            raise _unbacked_problem(collection, found)
    after = _write(session, collection, record, None)
    _keep_in_history(session, collection.subject, record_id, actor, None, after)
    return record_id, after


def locked_rendering(*, session: Session, collection: Collection, record_id: str) -> bytes | None:
    """The record's rendering, its row locked for this transaction (PostgreSQL: FOR UPDATE;
    SQLite's write transaction holds the database already), so that the ETag it is checked
    against is the version the write changes. None if there is no such record."""
    table = collection.table
    row = session.execute(
        select(table.c.id, table.c.rendered).where(table.c.id == record_id).with_for_update()
    ).first()
    return (
        None if row is None else stored_or_fresh(session.connection(), collection.subject, [row])[0]
    )


def _format_values(collection: Collection, rendered: dict[str, Any]) -> dict[str, Any]:
    """A rendered record in its record format, as plain values."""
    fields = collection.record.model_fields
    values = {name: rendered[name] for name in fields if name in rendered and name != "citations"}
    citations = [
        {key: citation[key] for key in ("source_id", "paragraph", "quote", "fields")}
        for citation in rendered["citations"]
    ]
    if collection.record is FigureSeed:
        values["subject"] = {"type": rendered["subject_type"], "id": rendered["subject_id"]}
        values["citation"] = citations[0]
        values["unit_normalized"] = (
            rendered["unit_normalized"] if rendered["unit"] is None else None
        )
    else:
        values["citations"] = citations
    return values


def update_record(
    *,
    session: Session,
    collection: Collection,
    record_id: str,
    before: bytes,
    body: bytes,
    actor: str,
) -> bytes:
    """Apply a JSON merge patch (RFC 7396) to the record rendered as `before`: given keys
    replace, null clears. Citations given are added (a figure's one citation is replaced), and
    every field the patch states anew must be named by one of them. Its new rendering."""
    patch = parse_patch(collection, record_id, body)
    current = _format_values(collection, orjson.loads(before))
    old = collection.record.model_validate(current)
    merged = {**current, **patch}
    renamed = "name" in patch and patch["name"] != current.get("name")
    if renamed and "name_zh_hant" in current and "name_zh_hant" not in patch:
        merged["name_zh_hant"] = None  # derived from the new name, as a new record's is
    figure = collection.record is FigureSeed
    added = patch.pop("citation" if figure else "citations", None)
    if figure:
        new_citations = [] if added is None else [added]
    else:
        new_citations = list(added or [])
        merged["citations"] = [*current["citations"], *new_citations]
    kept = 0 if figure else len(current["citations"])
    try:
        record = collection.record.model_validate(merged)
    except ValidationError as error:
        raise invalid(_in_the_patch(validation_problems(error), kept)) from None
    if record == old:  # nothing changes: no write, no history, no new revision
        return before
    old_values, new_values = old.model_dump(), record.model_dump()
    stated_anew = {
        name
        for name in patch
        if new_values[name] not in (None, []) and new_values[name] != old_values[name]
    } - uncited_fields(new_values)
    if figure:
        cited_anew = set(collection.record.model_fields) if new_citations else set()
    else:
        cited_anew = {name for citation in new_citations for name in citation.fields}
    uncited = sorted(stated_anew - cited_anew)
    if uncited:
        raise invalid([(name, "a new fact needs a citation naming this field") for name in uncited])
    _check(session, collection, record, old, kept=kept)
    if (figure or collection.figure_backed) and _typed_fields_changed(collection, record, old):
        found = unbacked_fields(session=session, records={collection.key: [record]})
        if found:
            raise _left_unbacked(found) if figure else _unbacked_problem(collection, found)
    after = _write(session, collection, record, old)
    _keep_in_history(session, collection.subject, record_id, actor, before, after)
    return after


def delete_record(
    *, session: Session, collection: Collection, record_id: str, before: bytes, actor: str
) -> None:
    """Delete a record, its citations and links; its history stays. A 409 while others refer
    to it, or while a typed field needs the figure."""
    referrers = _referrers(session, collection, record_id)
    if referrers:
        raise AppError(
            409,
            f"{collection.subject} {record_id!r} is still referred to by {', '.join(referrers)}.",
        )
    if collection.record is FigureSeed:
        found = unbacked_fields(session=session, records={}, removed_figures=[record_id])
        if found:
            raise _left_unbacked(found)
    subject = collection.subject
    session.execute(
        delete(Citation).where(Citation.subject_type == subject, Citation.subject_id == record_id)
    )
    if collection.links is not None:
        session.execute(delete(collection.links.table).where(collection.links.own == record_id))
    drop_grams(session.connection(), subject, [record_id])
    session.execute(delete(collection.table).where(collection.table.c.id == record_id))
    touched: Touched = Touched(set)
    touched[subject].add(record_id)
    project(session.connection(), touched, Touched(set))
    _keep_in_history(session, subject, record_id, actor, before, None)


def _referrers(session: Session, collection: Collection, record_id: str) -> list[str]:
    """What still points at a record: foreign keys, and figures that describe it."""
    table, links = collection.table, collection.links
    found = []
    for other in Base.metadata.sorted_tables:
        for foreign_key in other.foreign_keys:
            goes_along = links is not None and foreign_key.parent is links.own
            if foreign_key.column.table is not table or goes_along:
                continue
            count = session.scalar(
                select(func.count()).select_from(other).where(foreign_key.parent == record_id)
            )
            if count:
                found.append(f"{other.name}.{foreign_key.parent.name} ({count})")
    figures = session.scalar(
        select(func.count()).where(
            Figure.subject_type == collection.subject, Figure.subject_id == record_id
        )
    )
    if figures:
        found.append(f"figures.subject_id ({figures})")
    return found
