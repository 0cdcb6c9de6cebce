"""What refers to a record, across collections: its neighbours."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from app.collections.base import Collection
from app.collections.catalog import BY_KEY, BY_TABLE, CATALOG
from app.models import Figure

SHOWN = 50
"""Referrers listed per group; the group's `list` URL pages through all of them."""


@dataclass(frozen=True)
class Referrers:
    """One way records of a collection refer to the record: by a field, a link or as the
    subject of figures."""

    collection: Collection
    field: str
    test: ColumnElement[bool]
    id_column: Column[str]
    list_url: str | None
    """A list query that pages through all of them, where a filter of that name exists."""


def _list_url(collection: Collection, field: str, record_id: str) -> str | None:
    spec = collection.list_spec
    if field in spec.equality or field in spec.custom:
        return f"/api/v1/{collection.tag}?{field}={record_id}"
    return None


def referrers(*, collection: Collection, record_id: str) -> list[Referrers]:
    """Every way a record of any collection refers to this one."""
    found: list[Referrers] = []
    for other in CATALOG:
        for column in other.table.columns:
            for foreign_key in column.foreign_keys:
                if BY_TABLE[foreign_key.column.table.name] is not collection:
                    continue
                found.append(
                    Referrers(
                        other,
                        column.key,
                        column == record_id,
                        other.table.c.id,
                        _list_url(other, column.key, record_id),
                    )
                )
        links = other.links
        if links is not None and BY_KEY[links.target] is collection:
            singular = links.field.removesuffix("_ids") + "_id"
            found.append(
                Referrers(
                    other,
                    links.field,
                    links.other == record_id,
                    links.own,
                    _list_url(other, singular, record_id),
                )
            )
        if other.describes_others:
            subject = (Figure.subject_type == collection.subject) & (Figure.subject_id == record_id)
            url = f"/api/v1/{other.tag}?subject_type={collection.subject}&subject_id={record_id}"
            found.append(Referrers(other, "subject", subject, other.table.c.id, url))
    return found


def _shown(group: Referrers) -> Select[Any]:
    other = group.collection
    statement = select(group.id_column, other.label).where(group.test)
    if group.id_column.table is not other.table:
        statement = statement.join(other.model, other.model.id == group.id_column)
    if other.named_by is not None and other.named_after is not None:
        statement = statement.join(other.named_by, other.named_after == other.named_by.id)
    return statement.order_by(group.id_column).limit(SHOWN)


def neighbours(*, session: Session, collection: Collection, record_id: str) -> dict[str, Any]:
    """The record's referrers, grouped by collection and field, with a count per group."""
    groups = []
    for group in referrers(collection=collection, record_id=record_id):
        total = session.scalar(
            select(func.count()).select_from(group.id_column.table).where(group.test)
        )
        if not total:
            continue
        other = group.collection
        groups.append(
            {
                "type": other.subject,
                "collection": other.tag,
                "field": group.field,
                "total": total,
                "items": [
                    {"id": item_id, "name": name, "url": f"/api/v1/{other.tag}/{item_id}"}
                    for item_id, name in session.execute(_shown(group))
                ],
                "list_url": group.list_url,
            }
        )
    return {"type": collection.subject, "id": record_id, "groups": groups}
