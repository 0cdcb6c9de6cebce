"""What one collection allows in its lists, by public field name."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Column, ColumnElement, Table

from app.models.base import Cited

Filter = Callable[[Any], ColumnElement[bool]]
"""A filter that is not a plain column test: the clause for a bound list of values."""


@dataclass(frozen=True)
class Rollup:
    """A table that counts a collection's records, and sums and bounds each numeric field, per
    combination of some equality fields, kept current by the database itself (triggers on the
    records' table): stats that filter and group by those fields alone read its few rows rather
    than every matching record. Its columns are named for what they hold: `{field}_key` (`''`
    for none), `records`, and per numeric field `{field}_count` (the records with a value),
    `{field}_sum`, `{field}_min` and `{field}_max`."""

    model: type[Any]
    """Its ORM model (`app.models`)."""
    keys: tuple[str, ...]

    @property
    def table(self) -> Table:
        table = self.model.__table__
        assert isinstance(table, Table)
        return table


@dataclass(frozen=True)
class ListSpec:
    """Which fields filter, sort, group and aggregate, and the columns behind them."""

    model: type[Cited]
    sortable: Sequence[str]
    equality: Sequence[str]
    """Repeatable equality filters; also what `group_by` and facets accept."""
    ranges: Sequence[str] = ()
    """Fields with inclusive `{field}_min` / `{field}_max` filters."""
    numeric: Sequence[str] = ()
    """Fields summed, averaged and bounded per group in stats."""
    numeric_unit: str | None = None
    """The field holding the unit of the numeric fields, where records hold several: stats
    always group by it, so that no aggregate adds numbers of different units."""
    restates: str | None = None
    """The field naming the record whose fact a record states again: stats count such a record
    but leave it out of their aggregates, so that each fact counts once."""
    custom: Mapping[str, Filter] = field(default_factory=dict)
    """Filters that are not a plain column test, by parameter name."""
    default_sort: str = "name"
    rollup: Rollup | None = None
    """Where stats by some equality fields are kept, if anywhere (not with `restates` or
    `numeric_unit`, which it does not follow)."""

    @property
    def subject(self) -> str:
        return self.model.citation_subject

    @cached_property
    def columns(self) -> dict[str, Column[Any]]:
        """Each field that sorts, filters, groups or aggregates, as the table's own column
        (statements built from these skip the ORM's attribute machinery, which costs more than
        the query on a hot path), with `id`, `rendered` and `search_text`."""
        table = self.model.__table__  # type: ignore[attr-defined]
        names = {"id", *self.sortable, *self.equality, *self.ranges, *self.numeric}
        names = (names - set(self.custom)) | {"id"}
        return {name: table.c[name] for name in sorted(names)} | {
            "rendered": table.c.rendered,
            "search_text": table.c.search_text,
        }

    @property
    def filter_names(self) -> set[str]:
        bounds = {f"{name}_{end}" for name in self.ranges for end in ("min", "max")}
        return {*self.equality, *bounds, *self.custom}


@dataclass(frozen=True)
class SortKey:
    name: str
    column: Column[Any]
    descending: bool


def sort_signature(keys: Sequence[SortKey]) -> str:
    """The sort as `sort=` spells it, `id` included."""
    return ",".join(("-" if key.descending else "") + key.name for key in keys)
