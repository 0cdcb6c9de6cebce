"""`expand=`: the records related to a page's records (or one record's), embedded under each
record's `expanded`, one statement per relation and hop whatever the number of records."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson
from sqlalchemy import func, select

from app.collections.base import Collection
from app.collections.relations import REVERSE_SHOWN, Relation, relations_of
from app.listing.output import Page
from app.projections.rendering import stored_or_fresh, stored_renderings
from app.reader import Reader, connection_of

Record = dict[str, Any]


def _plan(collection: Collection, names: Sequence[str]) -> dict[Relation, list[str]]:
    """The first hop of each name, with what follows it."""
    relations = relations_of(collection.key)
    plan: dict[Relation, list[str]] = {}
    for name in names:
        first, _, rest = name.partition(".")
        further = plan.setdefault(relations[first], [])
        if rest and rest not in further:
            further.append(rest)
    return plan


def _forward(reader: Reader, relation: Relation, records: list[Record]) -> list[Record]:
    """Embed what a field (or link list) of each record names; the records embedded."""
    assert relation.field is not None
    wanted: set[str] = set()
    for record in records:
        value = record[relation.field]
        wanted.update(value if isinstance(value, list) else [value] if value else [])
    found = {
        record_id: orjson.loads(rendered)
        for record_id, rendered in stored_renderings(
            reader, relation.target.subject, sorted(wanted)
        ).items()
    }
    for record in records:
        value = record[relation.field]
        embedded = (
            [found[item] for item in value if item in found]
            if isinstance(value, list)
            else found.get(value)
            if value
            else None
        )
        record.setdefault("expanded", {})[relation.name] = embedded
    return list(found.values())


def _reverse(reader: Reader, relation: Relation, records: list[Record]) -> list[Record]:
    """Embed the first records that refer to each record, by id, with how many there are."""
    assert relation.parent is not None
    assert relation.target_id is not None
    table = relation.target.table
    parent_ids = [record["id"] for record in records]
    numbered = select(
        relation.parent.label("parent"),
        table.c.id,
        table.c.rendered,
        func.row_number()
        .over(partition_by=relation.parent, order_by=relation.target_id)
        .label("position"),
        func.count().over(partition_by=relation.parent).label("total"),
    ).where(relation.parent.in_(parent_ids))
    if relation.target_id.table is not table:
        numbered = numbered.join(table, table.c.id == relation.target_id)
    if relation.subject_only:
        numbered = numbered.where(table.c.subject_type == relation.owner.subject)
    inner = numbered.subquery()
    rows = (
        connection_of(reader)
        .execute(select(inner).where(inner.c.position <= REVERSE_SHOWN).order_by(inner.c.id))
        .all()
    )
    renderings = stored_or_fresh(connection_of(reader), relation.target.subject, rows)
    grouped: dict[str, list[Record]] = defaultdict(list)
    totals: dict[str, int] = {}
    embedded = []
    for row, rendered in zip(rows, renderings, strict=True):
        item = orjson.loads(rendered)
        grouped[row.parent].append(item)
        totals[row.parent] = row.total
        embedded.append(item)
    for record in records:
        items = grouped.get(record["id"], [])
        record.setdefault("expanded", {})[relation.name] = {
            "items": items,
            "total": totals.get(record["id"], 0),
        }
    return embedded


def expand(
    *, session: Reader, collection: Collection, records: list[Record], names: Sequence[str]
) -> None:
    """Embed under each record's `expanded` the related records `names` name."""
    if not records or not names:
        return
    for relation, further in _plan(collection, names).items():
        embed = _reverse if relation.kind == "reverse" else _forward
        reached = embed(session, relation, records)
        if further:
            expand(session=session, collection=relation.target, records=reached, names=further)


def expanded_page(
    *, session: Reader, collection: Collection, page: Page[bytes], names: Sequence[str]
) -> Page[bytes]:
    """The page with what `names` embeds in each of its records."""
    records = [orjson.loads(row) for row in page.rows]
    expand(session=session, collection=collection, records=records, names=names)
    return replace(page, rows=[orjson.dumps(record) for record in records])
