"""Every collection, and the lists and lookups that derive from them."""

from enum import StrEnum
from typing import TYPE_CHECKING

from app.collections import (
    districts,
    events,
    figures,
    organizations,
    parks,
    people,
    programmes,
    projects,
    recognitions,
    renewal_cases,
    scenarios,
    sources,
    zero_carbon_factories,
)
from app.collections.base import Collection
from app.models import Citation
from app.records.formats import SubjectSeed

CATALOG: tuple[Collection, ...] = (
    projects.COLLECTION,
    parks.COLLECTION,
    renewal_cases.COLLECTION,
    zero_carbon_factories.COLLECTION,
    organizations.COLLECTION,
    districts.COLLECTION,
    sources.COLLECTION,
    figures.COLLECTION,
    people.COLLECTION,
    recognitions.COLLECTION,
    events.COLLECTION,
    programmes.COLLECTION,
    scenarios.COLLECTION,
)
"""In the order their kinds of record were added: `SubjectType`'s order."""

if TYPE_CHECKING:
    SubjectType = str
else:
    SubjectType = StrEnum("SubjectType", [(item.subject, item.subject) for item in CATALOG])
    SubjectType.__doc__ = "The kinds of record a figure or a citation can describe."
    for _schema in (
        SubjectSeed,
        figures.FigureOut,
        figures.FigureFilters,
        figures.COLLECTION.filters,
        figures.FigureSeed,
    ):
        _schema.model_rebuild(_types_namespace={"SubjectType": SubjectType})

DOCUMENTED: tuple[Collection, ...] = tuple(sorted(CATALOG, key=lambda item: item.order))
"""In the order the documentation, the routes and the landing page list them."""
BY_SUBJECT: dict[str, Collection] = {item.subject: item for item in CATALOG}
BY_KEY: dict[str, Collection] = {item.key: item for item in CATALOG}
BY_TABLE: dict[str, Collection] = {item.table.name: item for item in CATALOG}


def _references(collection: Collection) -> tuple[tuple[str, str], ...]:
    named = [
        (column.key, BY_TABLE[foreign_key.column.table.name].key)
        for column in collection.table.columns
        for foreign_key in column.foreign_keys
    ]
    links = collection.links
    return (*named, *([(links.field, links.target)] if links is not None else []))


REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    item.key: _references(item) for item in CATALOG
}
"""Each collection's fields that name other records: (field, the key of their collection). A
link field names a list of them."""
SOURCES = BY_TABLE[next(iter(Citation.source_id.foreign_keys)).column.table.name].key
"""The collection citations cite."""


def _named_collections(collection: Collection) -> set[str]:
    """The collections whose records a record of this one may name, its citations included."""
    if collection.describes_others:
        return set(BY_KEY) - {collection.key}
    named = {target for _, target in REFERENCES[collection.key]}
    return ({SOURCES} | named) - {collection.key}


def _seeding_order() -> tuple[Collection, ...]:
    ordered: list[Collection] = []
    while len(ordered) < len(CATALOG):
        done = {item.key for item in ordered}
        ordered.append(
            next(
                item
                for item in CATALOG
                if item.key not in done and _named_collections(item) <= done
            )
        )
    return tuple(ordered)


SEEDING_ORDER = _seeding_order()
"""Each collection after those its records may name: the order to seed and import in."""
