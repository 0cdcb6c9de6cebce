"""The one statement builder: the filtered, ordered selections behind pages, streamed CSV,
aggregates and facets.

Building a statement costs more than running a small one, so statements are kept by shape
(the collection, the sort, which filters and which kind of cursor) and run with each
request's values as bound parameters."""

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
    type_coerce,
)

from app.errors import bad_parameter
from app.listing.matching import matches
from app.listing.params import NULL
from app.listing.spec import ListSpec, Rollup, SortKey, sort_signature
from app.models.revision import CURRENT_REVISION
from app.reader import Reader, compile_once, connection_of
from app.text import has_control_characters

SHAPES_KEPT = 1000


@dataclass(frozen=True)
class Filters:
    """A query's conditions, with their values as bound parameters (also in `params`)."""

    clauses: list[ColumnElement[bool]]
    params: dict[str, Any]
    shape: tuple[Any, ...] | None
    """What the clauses look like apart from their values: statements of one shape differ
    only in `params`, so they are built once. None where the clauses depend on the data
    (`q` picks its grams by their counts)."""
    implied: list[ColumnElement[bool]] = field(default_factory=list)
    """What the clauses imply (a bounded column is not null), said for counts and aggregates:
    it lets them seek in an index that leads with `column IS NULL`. A page leaves them out,
    since SQLite would sort what the index already orders."""


def _equals(
    column: ColumnElement[Any],
    name: str,
    stated: Any,
    *,
    or_null: bool,
    null: ColumnElement[bool] | None = None,
) -> ColumnElement[bool]:
    """`column` equal to `stated` (one value, a list of several, or None for none), or null
    (`column IS NULL`, unless `null` says how it is held)."""
    clause: ColumnElement[bool] = false()
    if isinstance(stated, list):
        clause = column.in_(bindparam(name, stated, expanding=True, type_=column.type))
    elif stated is not None:
        # `=`, not `IN` of one: SQLAlchemy expands an IN's parameter on every run of a kept
        # statement (about 15 µs of a list page's 140, bench/README.md).
        clause = column == bindparam(name, stated, type_=column.type)
    if not or_null:
        return clause
    return or_(clause, column.is_(None) if null is None else null)


def _matchable(values: Sequence[Any]) -> list[Any]:
    """A filter's values without those holding a control character: no record holds one (every
    write refuses them), so such a value matches nothing; and PostgreSQL takes no NUL in text."""
    return [
        value for value in values if not (isinstance(value, str) and has_control_characters(value))
    ]


def filter_clauses(
    reader: Reader, spec: ListSpec, query: BaseModel, *, build: bool = True
) -> Filters:
    """The conditions a query's filters and `q` put on a collection's records.

    With `build=False` only `params` and `shape` are worked out (building the clauses costs
    more than running a kept statement); `clauses` is then empty unless `q` is given."""
    values = dict(query)
    clauses: list[ColumnElement[bool]] = []
    implied: list[ColumnElement[bool]] = []
    params: dict[str, Any] = {}
    shape: list[Any] = []
    for name in spec.ranges:
        low, high = values.get(f"{name}_min"), values.get(f"{name}_max")
        if low is not None and high is not None and low > high:
            raise bad_parameter(
                f"{name}_min", f"{name}_min={low} is greater than {name}_max={high}"
            )
        column = spec.columns[name]
        for end, limit, compare in (("min", low, operator.ge), ("max", high, operator.le)):
            if limit is not None:
                key = f"{name}_{end}"
                params[key] = limit
                shape.append(key)
                if build:
                    clauses.append(compare(column, bindparam(key, limit, type_=column.type)))
        if build and column.nullable and (low is not None or high is not None):
            implied.append(column.is_(None) == false())
    for name in spec.equality:
        chosen = values.get(name)
        if chosen:
            chosen = _matchable(chosen)
            stated = [value for value in chosen if value != NULL]
            shape.append((name, min(len(stated), 2), NULL in chosen))  # none, one or several
            bound = stated if len(stated) > 1 else next(iter(stated), None)
            if bound is not None:
                params[name] = bound
            if build:
                clauses.append(_equals(spec.columns[name], name, bound, or_null=NULL in chosen))
    for name, make_clause in spec.custom.items():
        if values.get(name):
            matchable = _matchable(values[name])
            if not matchable:
                shape.append((name, None))
                if build:
                    clauses.append(false())
                continue
            params[name] = matchable
            shape.append(name)
            if build:
                clauses.append(make_clause(bindparam(name, matchable, expanding=True)))
    q = values.get("q")
    if q is not None and q.strip():
        if not build:
            return filter_clauses(reader, spec, query)
        columns = spec.columns
        clauses.append(matches(reader, spec.subject, columns["id"], columns["search_text"], q))
        return Filters(clauses, params, None, implied)
    return Filters(clauses, params, tuple(shape), implied)


def _order_by(keys: Sequence[SortKey]) -> list[Any]:
    """ORDER BY terms with nulls last in either direction, spelled as the sort indexes are
    (`column IS NULL` first for a nullable column; see `add_sort_indexes`)."""
    terms: list[Any] = []
    for key in keys:
        if key.column.nullable:
            terms.append(key.column.is_(None))
        terms.append(key.column.desc() if key.descending else key.column.asc())
    return terms


def ordered(statement: Select[Any], keys: Sequence[SortKey]) -> Select[Any]:
    return statement.order_by(*_order_by(keys))


def _after(key: SortKey, value: Any) -> ColumnElement[bool]:
    """Rows strictly after `value` in this key's order, nulls last."""
    if value is None:
        return false()
    beyond = key.column < value if key.descending else key.column > value
    return or_(beyond, key.column.is_(None))


def _same(key: SortKey, value: Any) -> ColumnElement[bool]:
    return key.column.is_(None) if value is None else key.column == value


def _keyset(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows after the one whose sort values are `values`, in the order of `keys`."""
    clauses = [
        and_(*(_same(keys[i], values[i]) for i in range(index)), _after(key, values[index]))
        for index, key in enumerate(keys)
    ]
    return or_(*clauses) if clauses else true()


def seeks(
    statement: Select[Any], keys: Sequence[SortKey], values: Sequence[Any], *, dialect: str
) -> list[Select[Any]]:
    """The rows after `values` as statements to run in turn, each a seek in a sort index.

    A one-key sort whose `id` goes the same way (`name,id`, `-investment_cny,-id`) compares
    `(key, id)` as a row value, which the database answers by seeking straight to the cursor in
    the index; a nullable key's nulls come after, from a second statement. Other sorts keep the
    general keyset condition: a row value orders both columns one way."""
    if len(keys) != 2 or keys[1].name != "id" or keys[0].descending != keys[1].descending:
        return [ordered(statement.where(_keyset(keys, values)), keys)]
    key, id_key = keys
    value, last_id = values
    by_key = key.column.desc() if key.descending else key.column.asc()
    by_id = id_key.column.desc() if id_key.descending else id_key.column.asc()

    def in_order(part: Select[Any]) -> Select[Any]:
        # Within each part `key IS NULL` is constant. SQLite sorts rows whose order names a
        # term the WHERE holds constant; PostgreSQL needs the term to see the index's order.
        return part.order_by(by_key, by_id) if dialect == "sqlite" else ordered(part, keys)

    row, cursor = tuple_(key.column, id_key.column), tuple_(value, last_id)
    after = row < cursor if key.descending else row > cursor
    if not key.column.nullable:
        return [in_order(statement.where(after))]
    nulls = statement.where(key.column.is_(None) == true())
    if value is None:
        id_after = id_key.column < last_id if id_key.descending else id_key.column > last_id
        return [in_order(nulls.where(id_after))]
    stated = statement.where(key.column.is_(None) == false(), after)
    return [in_order(stated), in_order(nulls)]


def listed(spec: ListSpec, keys: Sequence[SortKey]) -> Select[Any]:
    """Each record's id and stored rendering, with its sort values for the cursor."""
    sort_columns = [key.column for key in keys if key.name != "id"]
    return select(spec.columns["id"], spec.columns["rendered"], *sort_columns)


def _kept(cache: dict[Any, Any], shape: Any, built: Any) -> Any:
    if len(cache) >= SHAPES_KEPT:
        cache.clear()
    cache[shape] = built
    return built


@dataclass(frozen=True)
class PageStatements:
    seeks: list[Select[Any]]
    """Run in turn, each with `LIMIT :page_limit`, until the page is full."""
    counted: Select[Any]
    """The first seek with the count of all matches in each row (`matching`), for a page
    whose count is not kept: one statement instead of two."""
    revised: Select[Any]
    """The first seek, for a page whose count may be kept."""
    counting: Select[Any]
    """The count of all matches, and the revision it counted."""
    params: dict[str, Any]
    """The values of this request, for statements that may have been built for another."""

    def bound(self, statement: Select[Any]) -> Select[Any]:
        """`statement` (one of these) carrying this request's values, to run or explain."""
        return statement.params(self.params)


_PAGES: dict[tuple[Any, ...], tuple[list[Select[Any]], Select[Any], Select[Any], Select[Any]]] = {}


def page_statements(
    reader: Reader,
    spec: ListSpec,
    query: BaseModel,
    keys: list[SortKey],
    after: list[Any] | None,
    limit: int,
) -> PageStatements:
    """The statements one page of a list runs: its seeks from `after` (a cursor's values, or
    None for page one), then its count."""
    filters = filter_clauses(reader, spec, query, build=False)
    params = {**filters.params, "page_limit": limit + 1}
    if after is not None:
        params.update({f"after_{i}": value for i, value in enumerate(after) if value is not None})
    dialect = connection_of(reader).dialect.name
    shape = None
    if filters.shape is not None:
        cursor_shape = None if after is None else tuple(value is None for value in after)
        shape = (dialect, spec.subject, sort_signature(keys), filters.shape, cursor_shape)
        kept = _PAGES.get(shape)
        if kept is not None:
            return PageStatements(*kept, params)
        filters = filter_clauses(reader, spec, query)
    filtered = listed(spec, keys).where(*filters.clauses)
    if after is None:
        found = [ordered(filtered, keys)]
    else:
        values = [
            None if value is None else bindparam(f"after_{i}", value, type_=keys[i].column.type)
            for i, value in enumerate(after)
        ]
        found = seeks(filtered, keys, values, dialect=dialect)
    page_limit: Any = bindparam("page_limit", limit + 1)
    found = [seek.limit(page_limit) for seek in found]
    table = spec.model.__table__  # type: ignore[attr-defined]
    matching = select(func.count()).select_from(table).where(*filters.clauses, *filters.implied)
    # Each with the knowledge base's revision, read in the same snapshot as what it counts or
    # finds: a count is kept for the revision it counted, and used only with a page of that
    # revision.
    revision = CURRENT_REVISION.scalar_subquery().label("revision")
    counted = found[0].add_columns(matching.scalar_subquery().label("matching"), revision)
    revised = found[0].add_columns(revision)
    counting = matching.add_columns(revision)
    if shape is not None:
        _kept(_PAGES, shape, (found, counted, revised, counting))
        compile_once(*found, counted, revised, counting)
    return PageStatements(found, counted, revised, counting, params)


_AGGREGATES: dict[tuple[Any, ...], Select[Any]] = {}


def aggregate_groups(spec: ListSpec, group_by: list[str]) -> list[str]:
    """What stats group by: `group_by`, and the unit of the numeric fields where the records
    carry one (figures hold yuan, kWh, tonnes and ratios in one field)."""
    if spec.numeric and spec.numeric_unit is not None and spec.numeric_unit not in group_by:
        return [*group_by, spec.numeric_unit]
    return group_by


def aggregate_statement(
    reader: Reader, spec: ListSpec, query: BaseModel, group_by: list[str]
) -> tuple[Select[Any], dict[str, Any]]:
    """Counts, and the sum, min, max and mean of each numeric field, per group of the filtered
    records, largest group first; with the request's values. A record that restates another's
    fact (`spec.restates`) is counted, but left out of the numeric aggregates."""
    filters = filter_clauses(reader, spec, query, build=False)
    rolled_up = _rollup_answers(spec, group_by, filters)
    shape = (
        None if filters.shape is None else (spec.subject, tuple(group_by), filters.shape, rolled_up)
    )
    kept = None if shape is None else _AGGREGATES.get(shape)
    if kept is not None:
        return kept, filters.params
    if rolled_up and spec.rollup is not None and filters.shape is not None:
        rolled = _rollup_statement(spec, spec.rollup, group_by, filters)
        _kept(_AGGREGATES, shape, rolled)
        compile_once(rolled)
        return rolled, filters.params
    if shape is not None:
        filters = filter_clauses(reader, spec, query)
    columns = spec.columns
    group_columns = [columns[name].label(name) for name in group_by]
    measures = []
    table = spec.model.__table__  # type: ignore[attr-defined]
    restates = None if spec.restates is None else table.c[spec.restates]
    for name in spec.numeric:
        column: ColumnElement[Any] = columns[name]
        if restates is not None:
            column = case((restates.is_(None), column))
        measures += [
            func.sum(column).label(f"{name}_sum"),
            func.min(column).label(f"{name}_min"),
            func.max(column).label(f"{name}_max"),
            func.avg(column).label(f"{name}_avg"),
        ]
    statement: Select[Any] = (
        select(*group_columns, func.count().label("count"), *measures)
        .select_from(spec.model.__table__)  # type: ignore[attr-defined]
        .where(*filters.clauses, *filters.implied)
    )
    if group_columns:
        statement = statement.group_by(*group_columns).order_by(
            func.count().desc(), *(column.asc().nulls_last() for column in group_columns)
        )
    if shape is not None:
        _kept(_AGGREGATES, shape, statement)
        compile_once(statement)
    return statement, filters.params


def _rollup_answers(spec: ListSpec, group_by: list[str], filters: Filters) -> bool:
    """Whether the collection's rollup holds these stats: they group by its keys alone, and
    filter by nothing but equality on them."""
    rollup = spec.rollup
    if rollup is None or filters.shape is None or not set(group_by) <= set(rollup.keys):
        return False
    for item in filters.shape:
        if not (isinstance(item, tuple) and len(item) == 3 and item[0] in rollup.keys):
            return False
    # `''` is the rollup's key for none: asked for, it matches no record, but would match that.
    for name in rollup.keys:
        stated = filters.params.get(name)
        if stated == "" or (isinstance(stated, list) and "" in stated):
            return False
    return True


def _rollup_statement(
    spec: ListSpec, rollup: Rollup, group_by: list[str], filters: Filters
) -> Select[Any]:
    """`aggregate_statement`'s answer read from the rollup: its rows of the chosen keys, added
    up per group. The keys read back as the records' fields, of their type, so that groups come
    out, and in the same order, as the records would give them."""
    table = rollup.table

    def key(name: str) -> ColumnElement[Any]:
        return table.c[f"{name}_key"]

    def as_field(name: str) -> ColumnElement[Any]:
        return cast(func.nullif(key(name), ""), spec.columns[name].type)

    clauses = [
        _equals(
            type_coerce(key(name), spec.columns[name].type),  # binds values as the field does
            name,
            filters.params.get(name),
            or_null=or_null,
            null=key(name) == "",
        )
        for name, _, or_null in filters.shape or ()
    ]
    count = cast(func.coalesce(func.sum(table.c.records), 0), BigInteger).label("count")
    measures = []
    for name in spec.numeric:
        total = func.sum(table.c[f"{name}_sum"])
        measured = func.nullif(func.sum(table.c[f"{name}_count"]), 0)
        measures += [
            total.label(f"{name}_sum"),
            func.min(table.c[f"{name}_min"]).label(f"{name}_min"),
            func.max(table.c[f"{name}_max"]).label(f"{name}_max"),
            (total / measured).label(f"{name}_avg"),
        ]
    statement = select(*(as_field(name).label(name) for name in group_by), count, *measures).where(
        *clauses
    )
    if group_by:
        statement = statement.group_by(*(key(name) for name in group_by)).order_by(
            count.desc(), *(as_field(name).asc().nulls_last() for name in group_by)
        )
    return statement


def facet_statements(reader: Reader, spec: ListSpec, query: BaseModel) -> dict[str, Select[Any]]:
    """For each equality field, the count of filtered records per value."""
    filters = filter_clauses(reader, spec, query)
    table = spec.model.__table__  # type: ignore[attr-defined]
    return {
        name: select(spec.columns[name].label("value"), func.count().label("count"))
        .select_from(table)
        .where(*filters.clauses)
        .group_by(spec.columns[name])
        for name in spec.equality
    }
