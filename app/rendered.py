"""Each record as the API reads it, kept in its row (`rendered`) so that reads need no ORM
objects and no rendering: a page is one query and a byte join.

Every flush that touches a record rewrites its rendering (app/changes.py), from the rows as
the transaction sees them, through the collection's read schema; `fill_missing` renders what
a migration or a bulk load left empty."""

from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import Connection, Table, bindparam, select, update

from app.models import Citation, Organization, Project, ZeroCarbonFactory, project_organizations
from app.models.base import Cited
from app.models.enums import SubjectType
from app.reader import Reader, connection_of

BATCH = 500


@cache
def read_schemas() -> dict[SubjectType, tuple[type[Cited], type[BaseModel]]]:
    """Each kind of record's model and read schema."""
    # Imported here: the API's schemas import the models, whose flush hook imports this module.
    from app.api.registry import COLLECTIONS

    return {
        collection.spec.subject: (collection.spec.model, collection.schema)
        for collection in COLLECTIONS
    }


def _table(model: type[Cited]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _rows(connection: Connection, subject: SubjectType, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The records' columns and what their read schema adds, as the transaction sees them."""
    model, _ = read_schemas()[subject]
    table = _table(model)
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
        .where(Citation.subject_type == subject, Citation.subject_id.in_(rows))
        .order_by(Citation.id)
    )
    for subject_id, *citation in connection.execute(citations):
        rows[subject_id]["citations"].append(
            dict(zip(("source_id", "paragraph", "quote", "fields"), citation, strict=True))
        )
    if model is Project:
        for row in rows.values():
            row["organization_ids"] = []
        links = (
            select(project_organizations.c.project_id, project_organizations.c.organization_id)
            .where(project_organizations.c.project_id.in_(rows))
            .order_by(project_organizations.c.organization_id)
        )
        for project_id, organization_id in connection.execute(links):
            rows[project_id]["organization_ids"].append(organization_id)
    if model is ZeroCarbonFactory:
        names = select(
            ZeroCarbonFactory.id, Organization.name, Organization.name_zh_hant, Organization.name_en
        ).join(Organization, ZeroCarbonFactory.organization_id == Organization.id)
        for record_id, name, name_zh_hant, name_en in connection.execute(
            names.where(ZeroCarbonFactory.id.in_(rows))
        ):
            rows[record_id].update(name=name, name_zh_hant=name_zh_hant, name_en=name_en)
    return list(rows.values())


def render(connection: Connection, subject: SubjectType, ids: Sequence[str]) -> dict[str, bytes]:
    """The JSON of these records as the API reads them, by id (gone ones are left out)."""
    _, schema = read_schemas()[subject]
    rendered = {}
    for start in range(0, len(ids), BATCH):
        for row in _rows(connection, subject, ids[start : start + BATCH]):
            rendered[row["id"]] = orjson.dumps(schema.model_validate(row).model_dump(mode="json"))
    return rendered


def rerender(connection: Connection, subject: SubjectType, ids: Sequence[str]) -> None:
    """Rewrite the stored rendering of these records."""
    model, _ = read_schemas()[subject]
    table = _table(model)
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
    for subject, (model, _) in read_schemas().items():
        for ids in _missing(connection, _table(model)):
            rerender(connection, subject, ids)
            count += len(ids)
    return count


def stored_or_fresh(
    connection: Connection, subject: SubjectType, rows: Sequence[Any]
) -> list[bytes]:
    """Each row's stored rendering (`row.rendered`), rendering now those not stored yet."""
    fresh = render(connection, subject, [row.id for row in rows if row.rendered is None])
    return [row.rendered.encode() if row.rendered is not None else fresh[row.id] for row in rows]


def stored_rendering(*, session: Reader, subject: SubjectType, record_id: str) -> bytes | None:
    """One record's rendering (JSON), or None when there is no such record."""
    table = _table(read_schemas()[subject][0])
    row = session.execute(
        select(table.c.id, table.c.rendered).where(table.c.id == record_id)
    ).first()
    return None if row is None else stored_or_fresh(connection_of(session), subject, [row])[0]
