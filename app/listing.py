"""The list machinery every collection declares against.

A collection states what it allows in a `ListSpec` (which fields filter, sort, group and
aggregate) and documents its filters in a `FilterQuery` subclass; the functions here apply
them the same way everywhere: filters and `q`, sort with nulls last and an `id` tie-break,
signed keyset cursors, sparse fields, CSV rows, group counts and facets."""

import base64
import binascii
import csv
import datetime as dt
import hashlib
import hmac
import io
import operator
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, Generic, Literal, TypeVar

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.errors import bad_parameter
from app.integers import INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN
from app.models.base import Cited
from app.models.enums import SubjectType
from app.reader import Reader, connection_of
from app.rendered import stored_or_fresh
from app.search import matches
from app.services.installation import cursor_key
from app.services.revision import current_revision

T = TypeVar("T")
Q_MAX_LENGTH = 200
NULL = "null"
"""In an equality filter, matches records where the field is null."""
CSV_BATCH = 500
MAX_REPEATED = 100
"""How many values a repeatable filter takes in one request (each is a branch of the query)."""

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]
"""A date as OpenAPI's `format: date` means it, YYYY-MM-DD: not a timestamp or other number."""
NullToken = Literal["null"]


CONTROL_CHARACTERS = "\\x00-\\x1f\\x7f-\\x9f"
"""Unicode's control characters (category Cc), as a regular expression's character range."""
NO_CONTROL_CHARACTERS: dict[str, Any] = {"pattern": f"^[^{CONTROL_CHARACTERS}]*$"}
"""What `refuse_control_characters` enforces, as the documented parameter's JSON schema says it."""


def refuse_control_characters(value: str | None) -> str | None:
    if value is not None and any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters")
    return value


class FilterQuery(BaseModel):
    """`q` and the filters of one collection; subclassed per collection."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(
        None,
        max_length=Q_MAX_LENGTH,
        description=(
            "Text to find in the record's names, text fields and cited quotes: simplified and "
            "traditional characters match alike, English case-insensitively, two-character "
            "Chinese words included."
        ),
        examples=["光伏"],
        json_schema_extra=NO_CONTROL_CHARACTERS,
    )

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # In `q` and every filter's values: PostgreSQL takes no NUL in text, and no record
        # holds a control character to match.
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                refuse_control_characters(item)
        return value


class PageQuery(BaseModel):
    """Paging, order, shape and format of a list."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=200, description="Records per page, 1 to 200.", examples=[20])
    cursor: str | None = Field(
        None,
        max_length=1000,
        description="Opaque position from a previous page's `next_cursor`; omit for page one.",
        json_schema_extra=NO_CONTROL_CHARACTERS,
    )
    sort: str | None = Field(
        None,
        max_length=300,
        description="Comma-separated sort keys, `-` for descending; nulls sort last.",
        examples=["name"],
    )
    fields: str | None = Field(
        None,
        max_length=1000,
        description="Comma-separated keys to return for each record (default: all).",
        examples=["id,name"],
        json_schema_extra=NO_CONTROL_CHARACTERS,
    )
    format: Literal["json", "csv"] | None = Field(
        None,
        description=(
            "`csv` for CSV (UTF-8 with BOM), like `Accept: text/csv`. A CSV without `limit` "
            "streams every matching row."
        ),
        examples=["csv"],
    )

    @field_validator("cursor", "sort", "fields")
    @classmethod
    def _no_control_characters(cls, value: str | None) -> str | None:
        return refuse_control_characters(value)


class StatsQuery(BaseModel):
    """How to group a collection's records for counts and aggregates."""

    model_config = ConfigDict(extra="forbid")

    group_by: str | None = Field(
        None,
        max_length=300,
        description="Comma-separated fields to group by; omit for one group of everything.",
        examples=["status"],
        json_schema_extra=NO_CONTROL_CHARACTERS,
    )


def one_of(description: str, example: str, *, nullable: bool = False) -> Any:
    """A repeatable equality filter: records matching any of the given values."""
    null_note = " `null` matches records where it is not stated." if nullable else ""
    return Field(
        default_factory=list,
        max_length=MAX_REPEATED,
        description=(
            f"{description} Repeat to match any of several values (at most {MAX_REPEATED})."
            f"{null_note}"
        ),
        examples=[[example]],
        json_schema_extra=_items_without_control_characters,
    )


def _items_without_control_characters(schema: dict[str, Any]) -> None:
    schema["items"] = {**schema.get("items", {}), **NO_CONTROL_CHARACTERS}


def bound(description: str, example: float | int | str, *, bits: int = 64) -> Any:
    """An inclusive range bound on a number or a date; an integer fits a column of `bits`."""
    if isinstance(example, bool) or not isinstance(example, int | float):
        return Field(None, description=description, examples=[example])
    if isinstance(example, int):
        low, high = (INT32_MIN, INT32_MAX) if bits == 32 else (INT64_MIN, INT64_MAX)
        return Field(None, ge=low, le=high, description=description, examples=[example])
    return Field(None, allow_inf_nan=False, description=description, examples=[example])


Filter = Callable[[Any], ColumnElement[bool]]


@dataclass(frozen=True)
class ListSpec:
    """What one collection allows, by public field name."""

    model: type[Cited]
    columns: Mapping[str, InstrumentedAttribute[Any]]
    """Every field that can sort, filter or group, with its column."""
    sortable: Sequence[str]
    equality: Sequence[str]
    """Repeatable equality filters; also what `group_by` and facets accept."""
    ranges: Sequence[str] = ()
    """Fields with inclusive `{field}_min` / `{field}_max` filters."""
    numeric: Sequence[str] = ()
    """Fields summed, averaged and bounded per group in stats."""
    custom: Mapping[str, Filter] = field(default_factory=dict)
    """Filters that are not a plain column test, by parameter name."""
    default_sort: str = "name"

    @property
    def subject(self) -> SubjectType:
        return self.model.citation_subject

    @cached_property
    def table_columns(self) -> dict[str, Column[Any]]:
        """`columns` as the table's own columns: statements built from these skip the ORM's
        attribute machinery, which costs more than the query on a hot path."""
        table = self.model.__table__  # type: ignore[attr-defined]
        return {name: table.c[attribute.key] for name, attribute in self.columns.items()} | {
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


@dataclass
class Page(Generic[T]):
    rows: Sequence[T]
    total: int
    limit: int
    next_cursor: str | None


class PageOut(BaseModel, Generic[T]):
    """One page of a collection."""

    items: list[T] = Field(description="The records of this page, in the requested order.")
    total: int = Field(
        description="How many records match the filters, over all pages.", examples=[6]
    )
    limit: int = Field(description="The page size asked for.", examples=[20])
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page.", examples=[None]
    )


def parse_sort(sort: str | None, spec: ListSpec) -> list[SortKey]:
    """Parse `sort` into keys that include `id`, appended in the direction of the last key."""
    keys: list[SortKey] = []
    for raw in (sort or spec.default_sort).split(","):
        token = raw.strip()
        descending = token.startswith("-")
        name = token.removeprefix("-")
        if name not in spec.sortable:
            allowed = ", ".join(spec.sortable)
            raise bad_parameter("sort", f"unknown sort key {name!r}; sortable: {allowed}")
        if any(key.name == name for key in keys):
            raise bad_parameter("sort", f"sort key {name!r} is given twice")
        keys.append(SortKey(name, spec.table_columns[name], descending))
    if not any(key.name == "id" for key in keys):
        keys.append(SortKey("id", spec.table_columns["id"], keys[-1].descending))
    return keys


def _order_by(keys: Sequence[SortKey]) -> list[Any]:
    """ORDER BY terms with nulls last in either direction, spelled as the sort indexes are
    (`column IS NULL` first for a nullable column; see `add_sort_indexes`)."""
    terms: list[Any] = []
    for key in keys:
        if key.column.nullable:
            terms.append(key.column.is_(None))
        terms.append(key.column.desc() if key.descending else key.column.asc())
    return terms


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


def _sign(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:12]


def _sort_signature(keys: Sequence[SortKey]) -> str:
    return ",".join(("-" if key.descending else "") + key.name for key in keys)


def seal(payload: dict[str, Any], *, key: bytes, scope: str) -> str:
    """An opaque token carrying `payload`, signed with `key` and good only for `scope` (the
    collection or operation that issued it)."""
    data = orjson.dumps({**payload, "c": scope})
    return base64.urlsafe_b64encode(data + _sign(key, data)).decode().rstrip("=")


def unseal(token: str, parameter: str, *, key: bytes, scope: str) -> dict[str, Any]:
    """The payload of a token this server sealed for `scope`; a 400 naming `parameter` for any
    other."""
    invalid = bad_parameter(
        parameter, f"not a {parameter} this server issued; use `next_cursor` from a previous page"
    )
    try:
        blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise invalid from None
    data, signature = blob[:-12], blob[-12:]
    if len(blob) <= 12 or not hmac.compare_digest(signature, _sign(key, data)):
        raise invalid
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise invalid from None
    if not isinstance(payload, dict):
        raise invalid
    if payload.pop("c", None) != scope:
        raise bad_parameter(parameter, f"this {parameter} was issued by another list")
    return payload


def encode_cursor(keys: Sequence[SortKey], row: Any, *, session: Reader, spec: ListSpec) -> str:
    """A cursor pointing just after `row` in the order of `keys`, good for `spec`'s list only."""
    values = [getattr(row, sort_key.column.key) for sort_key in keys]
    return seal(
        {
            "s": _sort_signature(keys),
            "v": [v.isoformat() if isinstance(v, dt.date) else v for v in values],
        },
        key=cursor_key(session=session),
        scope=spec.subject.value,
    )


def _decode_value(key: SortKey, value: Any) -> Any:
    """A cursor's value for one sort key, as its column holds it; ValueError for anything a row
    of that column could not hold."""
    if value is None:
        return None
    python_type = key.column.type.python_type
    if python_type is dt.date:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise ValueError(key.name)
        return dt.date.fromisoformat(value)
    if isinstance(value, bool):
        raise ValueError(key.name)
    if python_type is int:
        low, high = (
            (INT64_MIN, INT64_MAX)
            if isinstance(key.column.type, BigInteger)
            else (INT32_MIN, INT32_MAX)
        )
        if not isinstance(value, int) or not low <= value <= high:
            raise ValueError(key.name)
        return value
    if python_type is float and isinstance(value, int | float):
        return float(value)
    if python_type is str and isinstance(value, str):
        refuse_control_characters(value)
        return value
    raise ValueError(key.name)


def decode_cursor(
    cursor: str, keys: Sequence[SortKey], *, scope: SubjectType, key: bytes
) -> list[Any]:
    """The sort values a cursor points after; a 400 for one this server did not issue for
    this collection."""
    data = unseal(cursor, "cursor", key=key, scope=scope.value)
    if data.get("s") != _sort_signature(keys):
        raise bad_parameter(
            "cursor",
            f"this cursor was issued for sort={data.get('s')!r}, "
            f"not sort={_sort_signature(keys)!r}",
        )
    values = data.get("v")
    if not isinstance(values, list) or len(values) != len(keys):
        raise bad_parameter("cursor", "not a cursor this server issued")
    try:
        pairs = zip(keys, values, strict=True)
        return [_decode_value(sort_key, value) for sort_key, value in pairs]
    except ValueError:
        raise bad_parameter("cursor", "not a cursor this server issued") from None


@dataclass(frozen=True)
class Filters:
    """A query's conditions, with their values as bound parameters (also in `params`)."""

    clauses: list[ColumnElement[bool]]
    params: dict[str, Any]
    shape: tuple[Any, ...] | None
    implied: list[ColumnElement[bool]] = field(default_factory=list)
    """What the clauses imply (a bounded column is not null), said for counts and aggregates:
    it lets them seek in an index that leads with `column IS NULL`. A page leaves them out,
    since SQLite would sort what the index already orders."""
    """What the clauses look like apart from their values: statements of one shape differ
    only in `params`, so they are built once. None where the clauses depend on the data
    (`q` picks its grams by their counts)."""


def _equals(column: ColumnElement[Any], name: str, values: Sequence[Any]) -> ColumnElement[bool]:
    stated = [value for value in values if value != NULL]
    clause: ColumnElement[bool] = false()
    if stated:
        clause = column.in_(bindparam(name, stated, expanding=True, type_=column.type))
    return or_(clause, column.is_(None)) if NULL in values else clause


def filter_clauses(
    session: Reader, spec: ListSpec, query: BaseModel, *, build: bool = True
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
        column = spec.table_columns[name]
        for end, bound, compare in (("min", low, operator.ge), ("max", high, operator.le)):
            if bound is not None:
                key = f"{name}_{end}"
                params[key] = bound
                shape.append(key)
                if build:
                    clauses.append(compare(column, bindparam(key, bound, type_=column.type)))
        if build and column.nullable and (low is not None or high is not None):
            implied.append(column.is_(None) == false())
    for name in spec.equality:
        chosen = values.get(name)
        if chosen:
            stated = [value for value in chosen if value != NULL]
            if stated:
                params[name] = stated
            shape.append((name, bool(stated), NULL in chosen))
            if build:
                clauses.append(_equals(spec.table_columns[name], name, chosen))
    for name, make_clause in spec.custom.items():
        if values.get(name):
            params[name] = values[name]
            shape.append(name)
            if build:
                clauses.append(make_clause(bindparam(name, values[name], expanding=True)))
    q = values.get("q")
    if q is not None and q.strip():
        columns = spec.table_columns
        if not build:
            return filter_clauses(session, spec, query)
        clauses.append(matches(session, spec.subject, columns["id"], columns["search_text"], q))
        return Filters(clauses, params, None, implied)
    return Filters(clauses, params, tuple(shape), implied)


def apply_filters(
    session: Session | Connection, statement: Select[Any], spec: ListSpec, query: BaseModel
) -> Select[Any]:
    """Add a query's filters and `q` to a statement."""
    return statement.where(*filter_clauses(session, spec, query).clauses)


def _ordered(statement: Select[Any], keys: Sequence[SortKey]) -> Select[Any]:
    return statement.order_by(*_order_by(keys))


def _seeks(
    statement: Select[Any], keys: Sequence[SortKey], values: Sequence[Any], *, dialect: str
) -> list[Any]:
    """The page after `values` as statements to run in turn, each a seek in a sort index.

    A one-key sort (`name`, `-investment_cny`, ... then `id`) compares `(key, id)` as a row
    value, which the database answers by seeking straight to the cursor in the index; a nullable
    key's nulls come after, from a second statement. Longer sorts keep the general keyset
    condition."""
    if len(keys) != 2 or keys[1].name != "id":
        return [_ordered(statement.where(_keyset(keys, values)), keys)]
    key, id_key = keys
    value, last_id = values
    by_key = key.column.desc() if key.descending else key.column.asc()
    by_id = id_key.column.desc() if id_key.descending else id_key.column.asc()

    def ordered(part: Select[Any]) -> Select[Any]:
        # Within each part `key IS NULL` is constant. SQLite sorts rows whose order names a
        # term the WHERE holds constant; PostgreSQL needs the term to see the index's order.
        return part.order_by(by_key, by_id) if dialect == "sqlite" else _ordered(part, keys)

    row, cursor = tuple_(key.column, id_key.column), tuple_(value, last_id)
    after = row < cursor if key.descending else row > cursor
    if not key.column.nullable:
        return [ordered(statement.where(after))]
    nulls = statement.where(key.column.is_(None) == true())
    if value is None:
        id_after = id_key.column < last_id if id_key.descending else id_key.column > last_id
        return [ordered(nulls.where(id_after))]
    stated = statement.where(key.column.is_(None) == false(), after)
    return [ordered(stated), ordered(nulls)]


@dataclass(frozen=True)
class PageStatements:
    seeks: list[Select[Any]]
    """Run in turn, each with `LIMIT :page_limit`, until the page is full."""
    counted: Select[Any]
    """The first seek with the count of all matches in each row (`matching`), for a page
    whose count is not kept: one statement instead of two."""
    counting: Select[Any]
    params: dict[str, Any]
    """The values of this request, for statements that may have been built for another."""

    def bound(self, statement: Select[Any]) -> Select[Any]:
        """`statement` (one of these) carrying this request's values, to run or explain."""
        return statement.params(self.params)


_SHAPES: dict[tuple[Any, ...], tuple[list[Select[Any]], Select[Any], Select[Any]]] = {}
SHAPES_KEPT = 1000


def page_statements(session: Reader, spec: ListSpec, query: PageQuery) -> PageStatements:
    """The statements one page of a list runs: its seeks, then its count.

    Building a statement costs more than running it, so statements are kept by shape (the
    collection, the sort, which filters and which kind of cursor) and run with this
    request's values."""
    keys = parse_sort(query.sort, spec)
    filters = filter_clauses(session, spec, query, build=False)
    after = (
        None
        if query.cursor is None
        else decode_cursor(query.cursor, keys, scope=spec.subject, key=cursor_key(session=session))
    )
    params = {**filters.params, "page_limit": query.limit + 1}
    if after is not None:
        params.update({f"after_{i}": value for i, value in enumerate(after) if value is not None})
    dialect = connection_of(session).dialect.name
    shape = None
    if filters.shape is not None:
        cursor_shape = None if after is None else tuple(value is None for value in after)
        shape = (dialect, spec.subject, _sort_signature(keys), filters.shape, cursor_shape)
        kept = _SHAPES.get(shape)
        if kept is not None:
            return PageStatements(*kept, params)
        filters = filter_clauses(session, spec, query)
    filtered = _listed(spec, keys).where(*filters.clauses)
    if after is None:
        seeks = [_ordered(filtered, keys)]
    else:
        bound = [
            None if value is None else bindparam(f"after_{i}", value, type_=keys[i].column.type)
            for i, value in enumerate(after)
        ]
        seeks = _seeks(filtered, keys, bound, dialect=dialect)
    limit: Any = bindparam("page_limit", query.limit + 1)
    seeks = [seek.limit(limit) for seek in seeks]
    table = spec.model.__table__  # type: ignore[attr-defined]
    counting = select(func.count()).select_from(table).where(*filters.clauses, *filters.implied)
    counted = seeks[0].add_columns(counting.scalar_subquery().label("matching"))
    if shape is not None:
        if len(_SHAPES) >= SHAPES_KEPT:
            _SHAPES.clear()
        _SHAPES[shape] = (seeks, counted, counting)
    return PageStatements(seeks, counted, counting, params)


class _Counts:
    """Totals of lists, kept for the newest revision of the knowledge base seen. A write makes
    every kept total stale, so those of older revisions are dropped at once rather than held
    until a limit (the soak test saw them grow by tens of MB)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.revision = -1
        self.totals: dict[tuple[str, str], int] = {}

    def get(self, revision: int, key: tuple[str, str]) -> int | None:
        return self.totals.get(key) if revision == self.revision else None

    def put(self, revision: int, key: tuple[str, str], total: int) -> None:
        if revision > self.revision or len(self.totals) >= self.limit:
            self.totals = {}
            self.revision = max(self.revision, revision)
        if revision == self.revision:
            self.totals[key] = total


_COUNTS = _Counts(limit=10_000)
PAGE_PARAMETERS = frozenset(PageQuery.model_fields)


def _listed(spec: ListSpec, keys: Sequence[SortKey]) -> Select[Any]:
    """Each record's id and stored rendering, with its sort values for the cursor."""
    sort_columns = [key.column for key in keys if key.name != "id"]
    columns = spec.table_columns
    return select(columns["id"], columns["rendered"], *sort_columns)


def paginate(*, session: Reader, spec: ListSpec, query: PageQuery) -> Page[bytes]:
    """One page of a filtered, sorted list: each record's rendering (JSON), and the total.

    Counts are kept per revision of the knowledge base, read in the same transaction, so the
    pages of one list (and its sorts and page sizes) count once, and any write starts afresh;
    a count not kept comes with the page's first statement."""
    keys = parse_sort(query.sort, spec)
    statements = page_statements(session, spec, query)
    connection = connection_of(session)
    filters = query.model_dump(mode="json", exclude=set(PAGE_PARAMETERS))
    revision = current_revision(session=connection)
    # Decoded: orjson's bytes keep a buffer of 4 KB or so, whatever their length.
    count_key = (spec.subject.value, orjson.dumps(filters, option=orjson.OPT_SORT_KEYS).decode())
    total = _COUNTS.get(revision, count_key)
    wanted = query.limit + 1
    rows: list[Any] = []
    for number, seek in enumerate(statements.seeks):
        if number == 0 and total is None:
            seek = statements.counted
        params = {**statements.params, "page_limit": wanted - len(rows)}
        found = connection.execute(seek, params).all()
        if number == 0 and total is None:
            total = found[0].matching if found else None
        rows += found
        if len(rows) >= wanted:
            break
    if total is None:  # the first statement found no rows; past the end, or no matches
        total = (
            0
            if query.cursor is None
            else connection.scalar(statements.counting, statements.params) or 0
        )
    _COUNTS.put(revision, count_key, total)
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor(keys, rows[-1], session=connection, spec=spec)
    return Page(
        rows=stored_or_fresh(connection, spec.subject, rows),
        total=total,
        limit=query.limit,
        next_cursor=next_cursor,
    )


@dataclass(frozen=True)
class StreamPlan:
    """What a streamed list reads, checked before its response starts."""

    spec: ListSpec
    keys: list[SortKey]
    filtered: Select[Any]
    after: list[Any] | None
    limit: int | None


def stream_plan(*, session: Reader, spec: ListSpec, query: PageQuery) -> StreamPlan:
    """Check a streamed list's parameters and build its filtered statement; `limit` applies
    only when given."""
    keys = parse_sort(query.sort, spec)
    after = (
        None
        if query.cursor is None
        else decode_cursor(query.cursor, keys, scope=spec.subject, key=cursor_key(session=session))
    )
    filtered = _listed(spec, keys).where(*filter_clauses(session, spec, query).clauses)
    limit = query.limit if "limit" in query.model_fields_set else None
    return StreamPlan(spec, keys, filtered, after, limit)


def stream(*, session: Session, plan: StreamPlan) -> Iterator[dict[str, Any]]:
    """The records a plan selects, as the API reads them, in keyset batches.

    Each batch is a statement of its own, read whole before its rows are passed on, so the
    statement timeout counts the database's work and never the time a slow client takes to
    read; all batches share the session's transaction, and so one snapshot."""
    dialect = session.get_bind().dialect.name
    after, remaining = plan.after, plan.limit
    while remaining is None or remaining > 0:
        wanted = CSV_BATCH if remaining is None else min(CSV_BATCH, remaining)
        seeks = (
            [_ordered(plan.filtered, plan.keys)]
            if after is None
            else _seeks(plan.filtered, plan.keys, after, dialect=dialect)
        )
        rows: list[Any] = []
        for seek in seeks:
            rows += session.execute(seek.limit(wanted - len(rows))).all()
            if len(rows) >= wanted:
                break
        for rendered in stored_or_fresh(session.connection(), plan.spec.subject, rows):
            yield orjson.loads(rendered)
        if len(rows) < wanted:
            return
        after = [getattr(rows[-1], key.column.key) for key in plan.keys]
        remaining = None if remaining is None else remaining - len(rows)


def select_fields(fields: str | None, allowed: Sequence[str]) -> list[str]:
    """Validate `fields` against a record's keys."""
    if fields is None:
        return list(allowed)
    names = [name.strip() for name in fields.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise bad_parameter(
            "fields",
            f"unknown field(s) {', '.join(map(repr, unknown))}; fields: {', '.join(allowed)}",
        )
    if not names:
        raise bad_parameter("fields", "name at least one field")
    return names


def render_page(page: Page[bytes], fields: list[str] | None) -> bytes:
    """The JSON body of a page: the records' stored renderings joined as they are, or trimmed
    to `fields`."""
    meta = orjson.dumps({"total": page.total, "limit": page.limit, "next_cursor": page.next_cursor})
    if fields is None:
        items = b"[" + b",".join(page.rows) + b"]"
    else:
        items = orjson.dumps(
            [{name: record[name] for name in fields} for record in map(orjson.loads, page.rows)]
        )
    return b'{"items":' + items + b"," + meta[1:]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, CSV injection)."""


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        value = "|".join(value)
    elif isinstance(value, list | dict):
        value = orjson.dumps(value).decode()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # OWASP's advice: a leading apostrophe makes the cell text. Numbers are written as
        # numbers, so a negative one is never touched.
        return "'" + value
    return value


def render_csv(records: Iterator[dict[str, Any]], fields: list[str]) -> Iterator[str]:
    """CSV text, a batch of rows at a time: a BOM, a header, then one line per record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(fields)
    for count, record in enumerate(records, start=1):
        writer.writerow([_csv_cell(record[name]) for name in fields])
        if count % CSV_BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def group_fields(group_by: str | None, spec: ListSpec) -> list[str]:
    """Validate `group_by` against the collection's equality fields."""
    if group_by is None:
        return []
    names = [name.strip() for name in group_by.split(",") if name.strip()]
    for name in names:
        if name not in spec.equality or name in spec.custom:
            allowed = ", ".join(spec.equality)
            raise bad_parameter("group_by", f"cannot group by {name!r}; groupable: {allowed}")
    if len(set(names)) != len(names):
        raise bad_parameter("group_by", "a field is given twice")
    return names


def _number(value: Any) -> Any:
    """Database aggregates as JSON numbers (PostgreSQL returns Decimal for sums and means)."""
    if value is None or isinstance(value, int | float):
        return value
    return float(value)


_AGGREGATES: dict[tuple[Any, ...], Select[Any]] = {}


def _aggregate_statement(
    session: Reader, spec: ListSpec, query: BaseModel, group_by: list[str], filters: Filters
) -> Select[Any]:
    shape = None if filters.shape is None else (spec.subject, tuple(group_by), filters.shape)
    kept = None if shape is None else _AGGREGATES.get(shape)
    if kept is not None:
        return kept
    if shape is not None:
        filters = filter_clauses(session, spec, query)
    columns = spec.table_columns
    group_columns = [columns[name].label(name) for name in group_by]
    measures = []
    for name in spec.numeric:
        column = columns[name]
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
        if len(_AGGREGATES) >= SHAPES_KEPT:
            _AGGREGATES.clear()
        _AGGREGATES[shape] = statement
    return statement


def aggregate(
    *, session: Reader, spec: ListSpec, query: BaseModel, group_by: list[str]
) -> dict[str, Any]:
    """Count and aggregate the filtered records per group (statements kept by shape, as for
    pages)."""
    filters = filter_clauses(session, spec, query, build=False)
    statement = _aggregate_statement(session, spec, query, group_by, filters)
    groups = []
    for row in connection_of(session).execute(statement, filters.params).mappings():
        groups.append(
            {key: (value if key in group_by else _number(value)) for key, value in row.items()}
        )
    total = sum(group["count"] for group in groups)
    return {"group_by": group_by, "groups": groups, "total": total}


def facets(*, session: Session, spec: ListSpec, query: BaseModel) -> dict[str, Any]:
    """For each equality field, how many filtered records have each value."""
    result: dict[str, list[dict[str, Any]]] = {}
    total = 0
    for name in spec.equality:
        column = spec.columns[name]
        statement = apply_filters(
            session,
            select(column.label("value"), func.count().label("count")).select_from(spec.model),
            spec,
            query,
        ).group_by(column)
        counts = [dict(row) for row in session.execute(statement).mappings()]
        counts.sort(key=lambda row: (-row["count"], row["value"] is None, str(row["value"])))
        result[name] = counts
        total = sum(row["count"] for row in counts)
    return {"facets": result, "total": total}
