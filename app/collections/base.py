"""What a collection declares, and what follows from it."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, get_origin

from pydantic import BaseModel, Field, create_model
from sqlalchemy import Column, Select, Table, select
from sqlalchemy.orm import InstrumentedAttribute

from app.listing.params import (
    MAX_REPEATED,
    FilterQuery,
    PageQuery,
    StatsQuery,
    groupable,
    one_of,
    sort_tokens,
)
from app.listing.spec import Filter, ListSpec, Rollup
from app.models.base import Cited
from app.records.formats import CitedFormat, RecordFormat

NAME_FIELDS = ("name", "name_zh_hant", "name_en")


@dataclass(frozen=True)
class Links:
    """A list of references to another collection, kept in a table of pairs."""

    field: str
    """The field that lists them, in the read schema and the record format."""
    table: Table
    own: Column[str]
    """The pair's column naming this collection's record."""
    other: Column[str]
    target: str
    """The key of the collection they refer to."""


@dataclass(frozen=True)
class Document:
    """Which columns make up a record's searchable text, besides its quotes: names first."""

    columns: tuple[InstrumentedAttribute[Any], ...]
    english: int | None = 2
    """Which of `columns` is the English name, if any; the first is always the name."""


@dataclass(frozen=True, kw_only=True, eq=False)
class Collection:
    """One collection of the knowledge base."""

    path: str
    singular: str
    plural: str
    description: str
    label_zh: str
    """What the landing page calls it."""
    order: int
    """Where the documentation and the landing page list it."""
    model: type[Cited]
    schema: type[BaseModel]
    """The read schema: a record as GET answers it."""
    filters: type[FilterQuery]
    """Every filter, once: a list field is an equality filter (repeatable), a `{field}_min` /
    `{field}_max` pair a range; the query model and the statements both derive from it."""
    custom_filters: Mapping[str, Filter] = field(default_factory=dict)
    """Filters that are not a test of the record's own column, by parameter name."""
    sortable: tuple[str, ...]
    default_sort: str = "name"
    numeric: tuple[str, ...] = ()
    """Fields summed, averaged and bounded per group in stats."""
    numeric_unit: str | None = None
    """The field holding the unit of `numeric`, where records hold several (figures)."""
    restates: str | None = None
    """The field naming the record whose fact a record states again (figures)."""
    rollup: Rollup | None = None
    """Stats kept per combination of some equality fields (`Rollup`)."""
    record: type[RecordFormat]
    """The record format seed files, imports and API writes take."""
    writable: bool = True
    document: Document
    links: Links | None = None
    named_after: InstrumentedAttribute[Any] | None = None
    """A reference whose record's names are this record's (a recognition is named for the
    organization it recognizes): read, rendered and searched from that record."""
    describes_others: bool = False
    """Its records describe records of any collection (a figure): they come after them all."""
    figure_backed: Mapping[str, str | None] = field(default_factory=dict)
    """Typed fields that must agree with a figure of the same metric, with their qualifier
    field."""
    id_example: str
    sort_example: str

    def __post_init__(self) -> None:
        # Every list, stats and facets query takes `id=`: several records in one request.
        with_ids = create_model(
            self.filters.__name__,
            __base__=self.filters,
            __module__=self.filters.__module__,
            id=(
                list[str],
                one_of(
                    f"{self.singular.capitalize()} id, to fetch several at once.",
                    self.id_example,
                ),
            ),
        )
        object.__setattr__(self, "filters", with_ids)
        if issubclass(self.record, CitedFormat):
            self.record.searched_fields = tuple(column.key for column in self.document.columns)

    @property
    def key(self) -> str:
        """Its key in a seed file and an import: `renewal_cases`."""
        return self.path.strip("/").replace("-", "_")

    @property
    def tag(self) -> str:
        """Its name in URLs and the OpenAPI document: `renewal-cases`."""
        return self.path.strip("/")

    @property
    def subject(self) -> str:
        """Its kind of record, as citations, figures and the history name it."""
        return self.model.citation_subject

    @property
    def table(self) -> Table:
        table = self.model.__table__  # type: ignore[attr-defined]
        assert isinstance(table, Table)
        return table

    @property
    def a_singular(self) -> str:
        return ("an " if self.singular[0] in "aeiou" else "a ") + self.singular

    def operation(self, verb: str, noun: str, suffix: str = "") -> str:
        words = re.split(r"[^a-z0-9]+", noun)
        return verb + "".join(word.capitalize() for word in words) + suffix

    @cached_property
    def named_by(self) -> type[Cited] | None:
        """The model of the records this one is named after, if any."""
        if self.named_after is None:
            return None
        (foreign_key,) = self.table.c[self.named_after.key].foreign_keys
        (mapper,) = [
            mapper
            for mapper in self.model.registry.mappers  # type: ignore[attr-defined]
            if mapper.local_table is foreign_key.column.table
        ]
        named_by: type[Cited] = mapper.class_
        return named_by

    @cached_property
    def label(self) -> Any:
        """The column that names a record: its name, a source's title, or the name of the record
        it is named after (join `named_by` to read it)."""
        if self.named_by is not None:
            return self.named_by.name  # type: ignore[attr-defined]
        for name in ("name", "title", "label"):
            if hasattr(self.model, name):
                return getattr(self.model, name)
        return self.model.id

    def labels_select(self) -> Select[Any]:
        """Each record's id and what names it."""
        statement = select(self.model.id, self.label)
        if self.named_after is not None and self.named_by is not None:
            statement = statement.join(self.named_by, self.named_after == self.named_by.id)
        return statement

    def document_select(self) -> Select[Any]:
        """Each record's id and the columns of its search document."""
        statement = select(self.model.id, *self.document.columns)
        if self.named_after is not None and self.named_by is not None:
            statement = statement.join(self.named_by, self.named_after == self.named_by.id)
        return statement

    @cached_property
    def list_spec(self) -> ListSpec:
        fields = self.filters.model_fields
        return ListSpec(
            model=self.model,
            sortable=self.sortable,
            equality=tuple(
                name
                for name, info in fields.items()
                if get_origin(info.annotation) is list
                and name != "id"
                and name not in self.custom_filters
            ),
            ranges=tuple(name.removesuffix("_min") for name in fields if name.endswith("_min")),
            numeric=self.numeric,
            numeric_unit=self.numeric_unit,
            restates=self.restates,
            rollup=self.rollup,
            custom={"id": self.table.c.id.in_, **self.custom_filters},
            default_sort=self.default_sort,
        )

    @cached_property
    def list_query(self) -> type[PageQuery]:
        """The query model of the list: filters, paging, sort, fields, format."""
        spec = self.list_spec
        sortable = ", ".join(f"`{name}`" for name in spec.sortable)
        keys = list(self.schema.model_fields)
        return create_model(
            self.operation("", self.singular, "ListQuery"),
            __base__=(self.filters, PageQuery),  # type: ignore[arg-type]
            sort=(
                list[str],
                Field(
                    default_factory=list,
                    max_length=MAX_REPEATED,
                    description=(
                        "Sort keys, first to last, `-` for descending (`sort=-a&sort=b`, or "
                        "`sort=-a,b`); nulls sort last; ties are broken by `id`, in the "
                        f"direction of the last key. Sortable: {sortable}. "
                        f"Default `{spec.default_sort}`."
                    ),
                    examples=[self.sort_example.split(",")],
                    json_schema_extra=items_of(sort_tokens(spec)),
                ),
            ),
            fields=(
                list[str],
                Field(
                    default_factory=list,
                    max_length=MAX_REPEATED,
                    description=(
                        "Keys to return (`fields=id&fields=name`, or `fields=id,name`; default: "
                        f"all): {', '.join(keys)}."
                    ),
                    examples=[keys[:3]],
                    json_schema_extra=items_of(keys),
                ),
            ),
        )

    @cached_property
    def stats_query(self) -> type[StatsQuery]:
        """The query model of `/stats`: filters and `group_by`."""
        names = groupable(self.list_spec)
        return create_model(
            self.operation("", self.singular, "StatsQuery"),
            __base__=(self.filters, StatsQuery),  # type: ignore[arg-type]
            group_by=(
                list[str],
                Field(
                    default_factory=list,
                    max_length=MAX_REPEATED,
                    description=(
                        "Fields to group by (`group_by=a&group_by=b`, or `group_by=a,b`): "
                        f"{', '.join(f'`{name}`' for name in names)}. Omit for one group of all "
                        "matching records."
                    ),
                    examples=[names[:1]],
                    json_schema_extra=items_of(names),
                ),
            ),
        )


def items_of(names: list[str]) -> dict[str, Any]:
    """The JSON schema of a list parameter's items: one of `names`. (The server also takes them
    comma-separated, and a name given twice once.)"""
    return {"items": {"type": "string", "enum": names}}
