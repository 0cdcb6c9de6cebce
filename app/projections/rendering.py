"""Each record as the API reads it, kept in its row (`rendered`) so that reads need no ORM
objects and no rendering: a page is one query and a byte join.

Every flush that touches a record rewrites its rendering (`app.projections.upkeep`), from the
rows as the transaction sees them, through its collection's read schema; `fill_missing`
renders what a migration or a bulk load left empty."""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Table, bindparam, select, update

from app.collections.base import NAME_FIELDS, Collection
from app.collections.catalog import BY_SUBJECT, CATALOG
from app.models import Citation
from app.reader import Reader, connection_of

BATCH = 500


def _rows(
    connection: Connection, collection: Collection, ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The records' columns and what their read schema adds, as the transaction sees them."""
    table = collection.table
    columns = [column for column in table.c if column.key not in ("rendered", "search_text")]
    rows = {
        row["id"]: {**row, "citations": []}
        for row in connection.execute(select(*columns).where(table.c.id.in_(ids))).mappings()
    }
    citations = (
        select(
            Citation.subject_id,
            Citation.source_id,
            Citation.paragraph,
            Citation.quote,
            Citation.fields,
        )
        .where(Citation.subject_type == collection.subject, Citation.subject_id.in_(rows))
        .order_by(Citation.id)
    )
    for subject_id, *citation in connection.execute(citations):
        rows[subject_id]["citations"].append(
            dict(zip(("source_id", "paragraph", "quote", "fields"), citation, strict=True))
        )
    links = collection.links
    if links is not None:
        for row in rows.values():
            row[links.field] = []
        pairs = select(links.own, links.other).where(links.own.in_(rows)).order_by(links.other)
        for own_id, other_id in connection.execute(pairs):
            rows[own_id][links.field].append(other_id)
    reference, named_by = collection.named_after, collection.named_by
    if reference is not None and named_by is not None:
        names = select(
            collection.model.id, *(getattr(named_by, name) for name in NAME_FIELDS)
        ).join(named_by, reference == named_by.id)
        for record_id, *name in connection.execute(names.where(collection.model.id.in_(rows))):
            rows[record_id].update(zip(NAME_FIELDS, name, strict=True))
    if collection.describes_others:
        _name_subjects(connection, list(rows.values()))
    return list(rows.values())


def _name_subjects(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Give each row describing a record (a figure) that record's name, `subject_name`."""
    wanted: defaultdict[str, set[str]] = defaultdict(set)
    for row in rows:
        wanted[row["subject_type"]].add(row["subject_id"])
    names: dict[tuple[str, str], str] = {}
    for subject, ids in wanted.items():
        collection = BY_SUBJECT[subject]
        statement = collection.labels_select().where(collection.model.id.in_(ids))
        names.update(
            ((subject, record_id), name) for record_id, name in connection.execute(statement)
        )
    for row in rows:
        row["subject_name"] = names.get((row["subject_type"], row["subject_id"]))


def record_rows(
    connection: Connection, collection: Collection, ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The records' columns and what their read schema adds (citations, links, names), as the
    transaction sees them; gone ones are left out."""
    rows = []
    for start in range(0, len(ids), BATCH):
        rows += _rows(connection, collection, ids[start : start + BATCH])
    return rows


def render_row(collection: Collection, row: dict[str, Any]) -> bytes:
    """The JSON of one record (a row of `record_rows`) as the API reads it."""
    return orjson.dumps(collection.schema.model_validate(row).model_dump(mode="json"))


def render_rows(collection: Collection, rows: Sequence[dict[str, Any]]) -> dict[str, bytes]:
    """The JSON of these records (`record_rows`) as the API reads them, by id."""
    return {row["id"]: render_row(collection, row) for row in rows}


def render(connection: Connection, subject: str, ids: Sequence[str]) -> dict[str, bytes]:
    """The JSON of these records as the API reads them, by id (gone ones are left out)."""
    collection = BY_SUBJECT[subject]
    return render_rows(collection, record_rows(connection, collection, ids))


def rerender(connection: Connection, subject: str, ids: Sequence[str]) -> None:
    """Rewrite the stored rendering of these records."""
    table = BY_SUBJECT[subject].table
    rendered = render(connection, subject, ids)
    if rendered:
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("record_id"))
            .values(rendered=bindparam("json")),
            [{"record_id": key, "json": value.decode()} for key, value in rendered.items()],
        )


def _missing(connection: Connection, table: Table) -> Iterator[list[str]]:
    last = ""
    while True:
        ids = list(
            connection.scalars(
                select(table.c.id)
                .where(table.c.rendered.is_(None), table.c.id > last)
                .order_by(table.c.id)
                .limit(BATCH)
            )
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def fill_missing(connection: Connection) -> int:
    """Render every record that has no stored rendering; how many were rendered."""
    count = 0
    for collection in CATALOG:
        for ids in _missing(connection, collection.table):
            rerender(connection, collection.subject, ids)
            count += len(ids)
    return count


def stored_or_fresh(connection: Connection, subject: str, rows: Sequence[Any]) -> list[bytes]:
    """Each row's stored rendering (`row.rendered`), rendering now those not stored yet."""
    fresh = render(connection, subject, [row.id for row in rows if row.rendered is None])
    return [row.rendered if row.rendered is not None else fresh[row.id] for row in rows]


def stored_renderings(reader: Reader, subject: str, ids: Sequence[str]) -> dict[str, bytes]:
    """These records' renderings (JSON), by id; those that do not exist are left out."""
    table = BY_SUBJECT[subject].table
    rows = reader.execute(select(table.c.id, table.c.rendered).where(table.c.id.in_(ids))).all()
    rendered = stored_or_fresh(connection_of(reader), subject, rows)
    return {row.id: json for row, json in zip(rows, rendered, strict=True)}


RENDERING_BY_ID = {
    collection.subject: select(collection.table.c.id, collection.table.c.rendered).where(
        collection.table.c.id == bindparam("record_id")
    )
    for collection in CATALOG
}
"""The statement that reads one record's rendering, built once per collection: building it
again on every read cost more than running it."""


def stored_rendering(*, session: Reader, subject: str, record_id: str) -> bytes | None:
    """One record's rendering (JSON), or None when there is no such record."""
    row = session.execute(RENDERING_BY_ID[subject], {"record_id": record_id}).first()
    return None if row is None else stored_or_fresh(connection_of(session), subject, [row])[0]
