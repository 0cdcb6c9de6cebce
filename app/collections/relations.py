"""The relations `expand=` follows, derived from the catalog's references: each field that
names a record, each link list, and, the other way, every record that names this one.

Forward relations take the field's name without `_id` (`district_id` → `district`) or, for a
link list, without `_ids` and in the plural (`organization_ids` → `organizations`). Reverse
relations take the referring collection's key (`figures`, `projects`); where one collection
refers by several fields, `{key}_by_{field}` (`zero_carbon_factories_by_issuer`). A dotted
name goes one hop further, to a record that an expanded record's field names
(`organizations.district`): two hops at most."""

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from sqlalchemy import Column

from app.collections.base import Collection
from app.collections.catalog import BY_KEY, BY_TABLE, CATALOG

MAX_DEPTH = 2
REVERSE_SHOWN = 50
"""Referring records embedded per record and relation; `total` says how many there are."""


@dataclass(frozen=True)
class Relation:
    """One way from a record of `owner` to records of `target`."""

    name: str
    owner: Collection
    target: Collection
    kind: Literal["one", "many", "reverse"]
    """`one`: a field names a record (or null); `many`: a link list names several; `reverse`:
    records of `target` that name this one."""
    field: str | None = None
    """For `one` and `many`: the owner's field that holds the id(s)."""
    parent: Column[Any] | None = None
    """For `reverse`: the column of the referring rows that holds the owner's id."""
    target_id: Column[Any] | None = None
    """For `reverse`: the column that holds the referring record's id."""
    subject_only: bool = False
    """For `reverse` of figures by their subject: only figures whose `subject_type` is the
    owner's kind."""

    def describe(self) -> str:
        if self.kind == "one":
            return f"`{self.name}`: the {self.target.singular} `{self.field}` names"
        if self.kind == "many":
            return f"`{self.name}`: the {self.target.plural} `{self.field}` names"
        how = "describe it" if self.subject_only else f"name it in `{self.parent_field}`"
        return f"`{self.name}`: the {self.target.plural} that {how}"

    @property
    def parent_field(self) -> str:
        assert self.parent is not None
        return self.parent.key


def _forward(owner: Collection) -> list[Relation]:
    relations = []
    for column in owner.table.columns:
        for foreign_key in column.foreign_keys:
            target = BY_TABLE.get(foreign_key.column.table.name)
            if target is not None and column.key.endswith("_id"):
                name = column.key.removesuffix("_id")
                relations.append(Relation(name, owner, target, "one", field=column.key))
    links = owner.links
    if links is not None:
        name = links.field.removesuffix("_ids") + "s"
        relations.append(Relation(name, owner, BY_KEY[links.target], "many", field=links.field))
    return relations


def _reverse(owner: Collection) -> list[Relation]:
    found: list[tuple[Collection, str, Relation]] = []
    for other in CATALOG:
        for column in other.table.columns:
            for foreign_key in column.foreign_keys:
                if BY_TABLE.get(foreign_key.column.table.name) is owner:
                    relation = Relation(
                        "", other, other, "reverse", parent=column, target_id=other.table.c.id
                    )
                    found.append((other, column.key.removesuffix("_id"), relation))
        links = other.links
        if links is not None and BY_KEY[links.target] is owner:
            relation = Relation(
                "", other, other, "reverse", parent=links.other, target_id=links.own
            )
            found.append((other, links.field.removesuffix("_ids"), relation))
        if other.describes_others and other is not owner:
            subject_id = other.table.c.subject_id
            relation = Relation(
                "",
                other,
                other,
                "reverse",
                parent=subject_id,
                target_id=other.table.c.id,
                subject_only=True,
            )
            found.append((other, "", relation))
    relations = []
    for other, stem, relation in found:
        shared = sum(1 for item, _, _ in found if item is other) > 1
        name = other.key if not (shared and stem) else f"{other.key}_by_{stem}"
        relations.append(
            Relation(
                name,
                owner,
                other,
                "reverse",
                parent=relation.parent,
                target_id=relation.target_id,
                subject_only=relation.subject_only,
            )
        )
    return relations


@cache
def relations_of(key: str) -> dict[str, Relation]:
    """Every relation one hop from a record of the collection `key`, by name."""
    owner = BY_KEY[key]
    relations: dict[str, Relation] = {}
    for relation in (*_forward(owner), *_reverse(owner)):
        if relation.name in relations:
            raise ValueError(f"{key}: two relations named {relation.name!r}")
        relations[relation.name] = relation
    return relations


@cache
def expand_names(key: str) -> tuple[str, ...]:
    """What `expand=` takes on the collection `key`: each relation, and each relation followed
    by a field of the records it reaches (`organizations.district`)."""
    names = []
    for name, relation in relations_of(key).items():
        names.append(name)
        for further, hop in relations_of(relation.target.key).items():
            if hop.kind != "reverse":
                names.append(f"{name}.{further}")
    return tuple(names)
