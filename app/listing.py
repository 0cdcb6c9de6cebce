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
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, Connection, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.config import get_settings
from app.errors import bad_parameter
from app.models.base import Cited
from app.models.enums import SubjectType
from app.search import matches

T = TypeVar("T")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
Q_MAX_LENGTH = 200
NULL = "null"
"""In an equality filter, matches records where the field is null."""
CSV_BATCH = 500

NullToken = Literal["null"]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
"""An integer that fits a 64-bit column; larger ones are refused, naming the parameter."""


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
    )

    @field_validator("q")
    @classmethod
    def _no_control_characters(cls, value: str | None) -> str | None:
        return refuse_control_characters(value)


class PageQuery(BaseModel):
    """Paging, order, shape and format of a list."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=200, description="Records per page, 1 to 200.", examples=[20])
    cursor: str | None = Field(
        None,
        max_length=1000,
        description="Opaque position from a previous page's `next_cursor`; omit for page one.",
        examples=["eyJzIjoibmFtZSxpZCIsInYiOltdfQ"],
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
    )


def one_of(description: str, example: str, *, nullable: bool = False) -> Any:
    """A repeatable equality filter: records matching any of the given values."""
    null_note = " `null` matches records where it is not stated." if nullable else ""
    return Field(
        default_factory=list,
        description=f"{description} Repeat to match any of several values.{null_note}",
        examples=[[example]],
    )


def bound(description: str, example: float | int | str) -> Any:
    """An inclusive range bound on a number or a date."""
    if isinstance(example, bool) or not isinstance(example, int | float):
        return Field(None, description=description, examples=[example])
    if isinstance(example, int):
        return Field(None, ge=INT64_MIN, le=INT64_MAX, description=description, examples=[example])
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

    @property
    def filter_names(self) -> set[str]:
        bounds = {f"{name}_{end}" for name in self.ranges for end in ("min", "max")}
        return {*self.equality, *bounds, *self.custom}


@dataclass(frozen=True)
class SortKey:
    name: str
    column: InstrumentedAttribute[Any]
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
    total: int = Field(description="How many records match the filters, over all pages.")
    limit: int = Field(description="The page size asked for.", examples=[20])
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
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
        keys.append(SortKey(name, spec.columns[name], descending))
    if not any(key.name == "id" for key in keys):
        keys.append(SortKey("id", spec.columns["id"], keys[-1].descending))
    return keys


def _order_by(keys: Sequence[SortKey]) -> list[Any]:
    """ORDER BY terms with nulls last in either direction, spelled as the sort indexes are
    (`column IS NULL` first for a nullable column; see `add_sort_indexes`)."""
    terms: list[Any] = []
    for key in keys:
        if key.column.expression.nullable:
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


def _sign(payload: bytes) -> bytes:
    secret = get_settings().cursor_secret.encode()
    return hmac.new(secret, payload, hashlib.sha256).digest()[:12]


def _sort_signature(keys: Sequence[SortKey]) -> str:
    return ",".join(("-" if key.descending else "") + key.name for key in keys)


def seal(payload: dict[str, Any]) -> str:
    """An opaque, signed token carrying `payload`."""
    data = orjson.dumps(payload)
    return base64.urlsafe_b64encode(data + _sign(data)).decode().rstrip("=")


def unseal(token: str, parameter: str) -> dict[str, Any]:
    """The payload of a token this server sealed; a 400 naming `parameter` for any other."""
    invalid = bad_parameter(
        parameter, f"not a {parameter} this server issued; use `next_cursor` from a previous page"
    )
    try:
        blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise invalid from None
    data, signature = blob[:-12], blob[-12:]
    if len(blob) <= 12 or not hmac.compare_digest(signature, _sign(data)):
        raise invalid
    payload = orjson.loads(data)
    if not isinstance(payload, dict):
        raise invalid
    return payload


def encode_cursor(keys: Sequence[SortKey], row: Any) -> str:
    """A cursor pointing just after `row` in the order of `keys`."""
    values = [getattr(row, key.column.key) for key in keys]
    return seal(
        {
            "s": _sort_signature(keys),
            "v": [v.isoformat() if isinstance(v, dt.date) else v for v in values],
        }
    )


def _decode_value(key: SortKey, value: Any) -> Any:
    if value is None:
        return None
    python_type = key.column.type.python_type
    if python_type is dt.date:
        return dt.date.fromisoformat(value)
    if python_type is float and isinstance(value, int):
        return float(value)
    if python_type in (str, float, int) and not isinstance(value, python_type):
        raise TypeError(f"{key.name} is not a {python_type.__name__}")
    return value


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    """The sort values a cursor points after; a 400 for one this server did not issue."""
    data = unseal(cursor, "cursor")
    if data.get("s") != _sort_signature(keys):
        raise bad_parameter(
            "cursor",
            f"this cursor was issued for sort={data.get('s')!r}, "
            f"not sort={_sort_signature(keys)!r}",
        )
    try:
        return [_decode_value(key, value) for key, value in zip(keys, data["v"], strict=True)]
    except (KeyError, ValueError, TypeError):
        raise bad_parameter("cursor", "not a cursor this server issued") from None


def _equals(column: InstrumentedAttribute[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    stated = [value for value in values if value != NULL]
    clause: ColumnElement[bool] = column.in_(stated) if stated else false()
    return or_(clause, column.is_(None)) if NULL in values else clause


def apply_filters(
    session: Session | Connection, statement: Select[Any], spec: ListSpec, query: BaseModel
) -> Select[Any]:
    """Add a query's filters and `q` to a statement."""
    values = query.model_dump()
    for name in spec.ranges:
        low, high = values.get(f"{name}_min"), values.get(f"{name}_max")
        if low is not None and high is not None and low > high:
            raise bad_parameter(
                f"{name}_min", f"{name}_min={low} is greater than {name}_max={high}"
            )
        if low is not None:
            statement = statement.where(spec.columns[name] >= low)
        if high is not None:
            statement = statement.where(spec.columns[name] <= high)
    for name in spec.equality:
        if values.get(name):
            statement = statement.where(_equals(spec.columns[name], values[name]))
    for name, make_clause in spec.custom.items():
        if values.get(name):
            statement = statement.where(make_clause(values[name]))
    q = values.get("q")
    if q is not None and q.strip():
        statement = statement.where(
            matches(session, spec.subject, spec.model.id, spec.model.search_text, q)
        )
    return statement


def order_and_seek(statement: Select[Any], spec: ListSpec, query: PageQuery) -> Select[Any]:
    """Order a statement by the query's sort and start it after the query's cursor."""
    keys = parse_sort(query.sort, spec)
    if query.cursor is not None:
        statement = statement.where(_keyset(keys, decode_cursor(query.cursor, keys)))
    return statement.order_by(*_order_by(keys))


def paginate(
    *, session: Session, statement: Select[Any], spec: ListSpec, query: PageQuery
) -> Page[Any]:
    """Run a filtered, sorted, keyset-paginated list query and count its total."""
    keys = parse_sort(query.sort, spec)
    filtered = apply_filters(session, statement, spec, query)
    total = session.scalar(select(func.count()).select_from(filtered.order_by(None).subquery()))
    rows = session.scalars(order_and_seek(filtered, spec, query).limit(query.limit + 1)).all()
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor(keys, rows[-1])
    return Page(rows=rows, total=total or 0, limit=query.limit, next_cursor=next_cursor)


def stream(
    *, session: Session, statement: Select[Any], spec: ListSpec, query: PageQuery
) -> Iterator[Any]:
    """Every matching row in order, fetched in batches; `limit` applies only when given.

    Parameters are checked here, before the caller starts a response."""
    ordered = order_and_seek(apply_filters(session, statement, spec, query), spec, query)
    if "limit" in query.model_fields_set:
        ordered = ordered.limit(query.limit)
    return iter(session.scalars(ordered.execution_options(yield_per=CSV_BATCH)))


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


def render_page(page: Page[Any], schema: type[BaseModel], fields: str | None) -> dict[str, Any]:
    """The JSON body of a page: each row through its read schema, trimmed to `fields`."""
    chosen = select_fields(fields, list(schema.model_fields))
    items = [schema.model_validate(row).model_dump(mode="json") for row in page.rows]
    if fields is not None:
        items = [{name: item[name] for name in chosen} for item in items]
    return {
        "items": items,
        "total": page.total,
        "limit": page.limit,
        "next_cursor": page.next_cursor,
    }


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "|".join(value)
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return value


def render_csv(rows: Iterator[Any], schema: type[BaseModel], fields: list[str]) -> Iterator[str]:
    """CSV text, a batch of rows at a time: a BOM, a header, then one line per record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(fields)
    for count, row in enumerate(rows, start=1):
        item = schema.model_validate(row).model_dump(mode="json")
        writer.writerow([_csv_cell(item[name]) for name in fields])
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


def aggregate(
    *, session: Session, spec: ListSpec, query: BaseModel, group_by: list[str]
) -> dict[str, Any]:
    """Count and aggregate the filtered records per group."""
    group_columns = [spec.columns[name].label(name) for name in group_by]
    measures = []
    for name in spec.numeric:
        column = spec.columns[name]
        measures += [
            func.sum(column).label(f"{name}_sum"),
            func.min(column).label(f"{name}_min"),
            func.max(column).label(f"{name}_max"),
            func.avg(column).label(f"{name}_avg"),
        ]
    statement: Select[Any] = select(
        *group_columns, func.count().label("count"), *measures
    ).select_from(spec.model)
    statement = apply_filters(session, statement, spec, query)
    if group_columns:
        statement = statement.group_by(*group_columns).order_by(
            func.count().desc(), *(column.asc().nulls_last() for column in group_columns)
        )
    groups = []
    for row in session.execute(statement).mappings():
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
