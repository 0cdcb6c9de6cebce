"""Seeding and importing: records in the record format, planned against what is stored and
upserted by id, a batch at a time, with their projections brought up to date together."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from app.collections.base import Collection, Links
from app.collections.catalog import SEEDING_ORDER
from app.models import Citation
from app.projections.rendering import stored_renderings
from app.projections.upkeep import projections_deferred
from app.services.rules import citation_rows, record_values
from app.services.seed_file import SeedError, SeedReport, read_seed_file
from app.services.source_texts import passages_for_seeding, registered_lengths


def _parents_first(records: list[Any]) -> list[Any]:
    """The records, each after its parent among them; a SeedError names a parent cycle. A loop,
    not recursion: a chain of parents may be deeper than Python's stack."""
    by_id = {record.id: record for record in records}
    ordered: list[Any] = []
    placed: set[str] = set()
    for record in records:
        chain: list[Any] = []  # the record, its parent, ... up to one already placed
        on_chain: set[str] = set()
        current = record
        while current is not None and current.id not in placed:
            if current.id in on_chain:
                names = [*(link.id for link in chain), current.id]
                raise SeedError([f"parent cycle: {' -> '.join(names)}"])
            chain.append(current)
            on_chain.add(current.id)
            current = by_id.get(getattr(current, "parent_id", None) or "")
        for link in reversed(chain):
            placed.add(link.id)
            ordered.append(link)
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
    links_differ: bool
    citations_differ: bool

    @property
    def changes(self) -> bool:
        return bool(self.differing) or self.links_differ or self.citations_differ


def apply_seed(
    *, session: Session, seed: Any, log: ChangeLog | None = None, dry_run: bool = False
) -> SeedReport:
    """Insert or update every seed record by id, a batch at a time; records not in the seed are
    left alone. A dry run only reads, and counts what would change."""
    report = SeedReport()
    lengths = registered_lengths(session=session, source_ids=[source.id for source in seed.sources])
    moved = [
        f"sources[{source.id}].paragraph_count: {source.paragraph_count} is not the "
        f"{lengths[source.id]} paragraphs of its registered text, which every quote of it is "
        "checked against (register a text of another length with `citykb sources text`)"
        for source in seed.sources
        if source.id in lengths and source.paragraph_count != lengths[source.id]
    ]
    if moved:
        raise SeedError(moved)
    if session.get_bind().dialect.name == "postgresql":
        # Each batch's queries are alike but for their ids, so the driver prepares them, and
        # PostgreSQL would settle on a generic plan costed on the tables as they were before
        # the import (empty, after a seed): one that filters every row by the whole id list.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    for collection in SEEDING_ORDER:
        key = collection.key
        records = _parents_first(getattr(seed, key))
        for start in range(0, len(records), SEED_BATCH):
            planned = _plan(session, collection, records[start : start + SEED_BATCH], seed)
            for item in planned:
                if item.changes:
                    tally = report.updated if item.stored else report.inserted
                    tally[key] = tally.get(key, 0) + 1
            if not dry_run:
                _write(session, collection, [item for item in planned if item.changes], log)
            if log is not None:
                log.advance(len(planned))
    return report


def _plan(
    session: Session, collection: Collection, records: list[Any], seed: Any
) -> list[_Planned]:
    """Compare each record with its stored row, citations and links, read in one query each."""
    ids = [record.id for record in records]
    table, links = collection.table, collection.links
    columns = [column for column in table.c if column.key not in ("rendered", "search_text")]
    stored = {
        row["id"]: row
        for row in session.execute(select(*columns).where(table.c.id.in_(ids))).mappings()
    }
    citations: dict[str, list[tuple[str | None, str, int, str]]] = defaultdict(list)
    linked: dict[str, list[str]] = defaultdict(list)
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
                Citation.subject_type == collection.subject,
                Citation.subject_id.in_(list(stored)),
            )
            .order_by(Citation.id)
        ):
            citations[subject_id].append(tuple(citation))  # type: ignore[arg-type]
    if stored and links is not None:
        pairs = select(links.own, links.other).where(links.own.in_(list(stored)))
        for own_id, other_id in session.execute(pairs):
            linked[own_id].append(other_id)
    planned = []
    for record in records:
        values = record_values(record)
        row = stored.get(record.id)
        wanted = citation_rows(record, seed.default_source_id or "")
        link_ids = sorted(getattr(record, links.field)) if links is not None else []
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
                links_differ=sorted(linked[record.id]) != link_ids,
                citations_differ=citations[record.id] != wanted,
            )
        )
    return planned


def _write(
    session: Session, collection: Collection, planned: list[_Planned], log: ChangeLog | None
) -> None:
    """Insert or update the planned records, their citations and links, many rows a statement;
    the search index and the renderings follow once for them all."""
    if not planned:
        return
    subject, model, links = collection.subject, collection.model, collection.links
    updated = [item.record.id for item in planned if item.stored]
    before = _renderings(session, subject, updated) if log is not None else {}
    with projections_deferred(session) as touched:
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
        if links is not None:
            _relink(session, links, [item for item in planned if item.links_differ])
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
            collection.key,
            [
                Change(item.record.id, before.get(item.record.id), after[item.record.id])
                for item in planned
            ],
        )


def _renderings(session: Session, subject: str, ids: list[str]) -> dict[str, Any]:
    """These records as the API reads them now, by id."""
    if not ids:
        return {}
    rendered = stored_renderings(session, subject, ids)
    return {record_id: orjson.loads(json) for record_id, json in rendered.items()}


def sync_citations(session: Session, subject: str, record: Any, default_source_id: str) -> bool:
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


def _relink(session: Session, links: Links, relinked: list[_Planned]) -> None:
    """Replace the links of these records with those their format gives."""
    stored = [item.record.id for item in relinked if item.stored]
    if stored:
        session.execute(delete(links.table).where(links.own.in_(stored)))
    pairs = [
        {links.own.key: item.record.id, links.other.key: other_id}
        for item in relinked
        for other_id in getattr(item.record, links.field)
    ]
    if pairs:
        session.execute(insert(links.table), pairs)


def seed_database(*, session: Session, path: Path) -> SeedReport:
    """Validate the seed file at `path`, its quotes against the registered text of their
    sources (a source with none passes: the shipped seed starts the API with no setup), and
    upsert it."""
    seed = read_seed_file(path, lambda cited: passages_for_seeding(session=session, cited=cited))
    return apply_seed(session=session, seed=seed)
