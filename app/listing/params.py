"""The query models of lists and stats, and the parsing of their comma-separated parameters."""

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from app.errors import bad_parameter
from app.integers import INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN
from app.listing.spec import ListSpec, SortKey
from app.text import NO_CONTROL_CHARACTERS, refuse_control_characters

Q_MAX_LENGTH = 200
NULL = "null"
"""In an equality filter, matches records where the field is null."""
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


PAGE_PARAMETERS = frozenset(PageQuery.model_fields)


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
