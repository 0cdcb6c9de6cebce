"""The list machinery every collection declares against: filters, `q`, sort, keyset cursor,
sparse fields. A collection states what it allows in a `ListSpec` and a `ListQuery` subclass;
`paginate` does the rest the same way for all of them."""

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.config import get_settings
from app.errors import bad_parameter
from app.text import fold

T = TypeVar("T")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
Q_MAX_LENGTH = 200


class ListQuery(BaseModel):
    """Parameters every list takes; a collection subclasses it with its filters."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=200, description="Records per page, 1 to 200.", examples=[20])
    cursor: str | None = Field(
        None,
        max_length=1000,
        description="Opaque position from a previous page's `next_cursor`; omit for page one.",
        examples=["eyJzIjoibmFtZSxpZCIsInYiOlsi...fQ"],
    )
    sort: str | None = Field(
        None,
        max_length=300,
        description=(
            "Comma-separated sort keys, `-` for descending; nulls sort last; `id` always ends "
            "the order. Default `name`."
        ),
        examples=["name"],
    )
    fields: str | None = Field(
        None,
        max_length=1000,
        description="Comma-separated keys to return for each record (default: all).",
        examples=["id,name"],
    )
    q: str | None = Field(
        None,
        max_length=Q_MAX_LENGTH,
        description=(
            "Text to find in the record's names: simplified and traditional characters match "
            "alike, English case-insensitively."
        ),
        examples=["时代"],
    )

    @field_validator("q", "cursor", "sort", "fields")
    @classmethod
    def _no_control_characters(cls, value: str | None) -> str | None:
        if value is not None and any(unicodedata.category(ch) == "Cc" for ch in value):
            raise ValueError("must not contain control characters")
        return value


def sort_param(example: str, sortable: Sequence[str]) -> Any:
    """A `sort` field that documents the collection's sortable keys."""
    return Field(
        None,
        max_length=300,
        description=(
            "Comma-separated sort keys, `-` for descending; nulls sort last; `id` always ends "
            f"the order. Sortable: {', '.join(f'`{name}`' for name in sortable)}."
        ),
        examples=[example],
    )


def fields_param(example: str) -> Any:
    """A `fields` field with an example of the collection's keys."""
    return Field(
        None,
        max_length=1000,
        description="Comma-separated keys to return for each record (default: all).",
        examples=[example],
    )


def one_of(description: str, example: str) -> Any:
    """A repeatable equality filter: records matching any of the values."""
    return Field(
        default_factory=list,
        description=f"{description} Repeat the parameter to match any of several values.",
        examples=[[example]],
    )


def bound(description: str, example: float | int | str) -> Any:
    """An inclusive range bound on a number or a date."""
    if isinstance(example, int):
        return Field(None, ge=INT64_MIN, le=INT64_MAX, description=description, examples=[example])
    return Field(None, description=description, examples=[example])


Filter = Callable[[Any], ColumnElement[bool]]


def equals(column: InstrumentedAttribute[Any]) -> Filter:
    """Match records whose column equals any of the given values."""
    return lambda values: column.in_(values)


def at_least(column: InstrumentedAttribute[Any]) -> Filter:
    return lambda value: column >= value


def at_most(column: InstrumentedAttribute[Any]) -> Filter:
    return lambda value: column <= value


@dataclass(frozen=True)
class ListSpec:
    """What one collection allows: its filters, its sort keys and its searchable text."""

    sortable: Mapping[str, InstrumentedAttribute[Any]]
    filters: Mapping[str, Filter]
    search: InstrumentedAttribute[str] | None
    default_sort: str = "name"


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
    """Parse `sort` into keys that always end with `id`."""
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
        keys.append(SortKey(name, spec.sortable[name], descending))
    if keys[-1].name != "id" and not any(key.name == "id" for key in keys):
        keys.append(SortKey("id", spec.sortable["id"], False))
    return keys


def _order_by(keys: Sequence[SortKey]) -> list[Any]:
    return [
        (key.column.desc() if key.descending else key.column.asc()).nulls_last() for key in keys
    ]


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
    clauses = []
    for index, key in enumerate(keys):
        equal_prefix = [_same(keys[i], values[i]) for i in range(index)]
        clauses.append(and_(*equal_prefix, _after(key, values[index])))
    return or_(*clauses) if clauses else true()


def _sign(payload: bytes) -> bytes:
    secret = get_settings().cursor_secret.encode()
    return hmac.new(secret, payload, hashlib.sha256).digest()[:12]


def _encode_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _decode_value(key: SortKey, value: Any) -> Any:
    if value is None:
        return None
    python_type = key.column.type.python_type
    if python_type is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if python_type is float and isinstance(value, int):
        return float(value)
    if python_type in (str, float, int) and not isinstance(value, python_type):
        raise ValueError(f"{key.name} is not a {python_type.__name__}")
    return value


def encode_cursor(keys: Sequence[SortKey], row: Any) -> str:
    """An opaque, signed cursor pointing just after `row`."""
    payload = orjson.dumps(
        {
            "s": ",".join(("-" if key.descending else "") + key.name for key in keys),
            "v": [_encode_value(getattr(row, key.column.key)) for key in keys],
        }
    )
    return base64.urlsafe_b64encode(payload + _sign(payload)).decode().rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    """The sort values a cursor points after; a 400 for one this server did not issue."""
    invalid = bad_parameter(
        "cursor", "not a cursor this server issued; use `next_cursor` from a previous page"
    )
    try:
        blob = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise invalid from None
    payload, signature = blob[:-12], blob[-12:]
    if len(blob) <= 12 or not hmac.compare_digest(signature, _sign(payload)):
        raise invalid
    data = orjson.loads(payload)
    sort = ",".join(("-" if key.descending else "") + key.name for key in keys)
    if data.get("s") != sort:
        raise bad_parameter(
            "cursor", f"this cursor was issued for sort={data.get('s')!r}, not sort={sort!r}"
        )
    try:
        return [_decode_value(key, value) for key, value in zip(keys, data["v"], strict=True)]
    except (ValueError, TypeError):
        raise invalid from None


def apply_filters(statement: Select[Any], spec: ListSpec, query: ListQuery) -> Select[Any]:
    """Add the query's filters and `q` to a statement."""
    values = query.model_dump()
    for name, value in values.items():
        if name.endswith("_min") and values.get(name.removesuffix("_min") + "_max") is not None:
            upper = values[name.removesuffix("_min") + "_max"]
            if value is not None and value > upper:
                raise bad_parameter(
                    name, f"{name}={value} is greater than {name.removesuffix('_min')}_max={upper}"
                )
    for name, make_clause in spec.filters.items():
        value = values.get(name)
        if value is not None and value != []:
            statement = statement.where(make_clause(value))
    if query.q is not None and query.q.strip():
        if spec.search is None:
            raise bad_parameter("q", "this collection has no text to search")
        statement = statement.where(spec.search.contains(fold(query.q.strip()), autoescape=True))
    return statement


def paginate(
    *, session: Session, statement: Select[Any], spec: ListSpec, query: ListQuery
) -> Page[Any]:
    """Run a filtered, sorted, keyset-paginated list query and count its total."""
    keys = parse_sort(query.sort, spec)
    statement = apply_filters(statement, spec, query)
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    if query.cursor is not None:
        statement = statement.where(_keyset(keys, decode_cursor(query.cursor, keys)))
    rows = session.scalars(statement.order_by(*_order_by(keys)).limit(query.limit + 1)).all()
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor(keys, rows[-1])
    return Page(rows=rows, total=total or 0, limit=query.limit, next_cursor=next_cursor)


def select_fields(fields: str | None, allowed: Sequence[str]) -> list[str] | None:
    """Validate `fields` against a record's keys; None means every key."""
    if fields is None:
        return None
    names = [name.strip() for name in fields.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        raise bad_parameter(
            "fields",
            f"unknown field(s) {', '.join(map(repr, unknown))}; fields: {', '.join(allowed)}"
            if unknown
            else "name at least one field",
        )
    return names


def render_page(page: Page[Any], schema: type[BaseModel], fields: str | None) -> dict[str, Any]:
    """The JSON body of a page: each row through its read schema, trimmed to `fields`."""
    chosen = select_fields(fields, list(schema.model_fields))
    items = [schema.model_validate(row).model_dump(mode="json") for row in page.rows]
    if chosen is not None:
        items = [{name: item[name] for name in chosen} for item in items]
    return {
        "items": items,
        "total": page.total,
        "limit": page.limit,
        "next_cursor": page.next_cursor,
    }
