"""The query models of lists and stats, and the parsing of their comma-separated parameters."""

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from app.errors import bad_parameter
from app.integers import INT32_MAX, INT32_MIN, SAFE_INTEGER_MAX
from app.listing.spec import ListSpec, SortKey
from app.text import control_characters_as_spaces

Q_MAX_LENGTH = 200
NULL = "null"
"""In an equality filter, matches records where the field is null."""
MAX_REPEATED = 100
"""How many values a repeatable filter takes in one request (each is a branch of the query)."""

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
"""A cursor as the server writes it: URL-safe base64 without padding (empty: the first page)."""
CURSOR_MAX_LENGTH = 4096
"""Room for the widest cursor a list can issue: sorted by every key, on a record whose values
are as wide as their columns allow (2,126 characters, `/sources`; tests/test_listing.py)."""


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
    )

    @field_validator("q")
    @classmethod
    def _control_characters_as_spaces(cls, value: str | None) -> str | None:
        # A tab or a newline pasted into a search box separates words, as a space does. (A
        # filter's value with a control character matches nothing: see `filter_clauses`.)
        return None if value is None else control_characters_as_spaces(value)


JSON_FORMAT = Annotated[
    Literal["json", "csv"] | None, WithJsonSchema({"type": "string", "enum": ["json"]})
]
"""Declared as JSON only, the list's one answer; `csv` is taken too, as the alias of the `.csv`
operation that the API's conventions promise."""


class PageQuery(BaseModel):
    """Paging, order, shape and format of a list."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=200, description="Records per page, 1 to 200.", examples=[20])
    cursor: str | None = Field(
        None,
        max_length=CURSOR_MAX_LENGTH,
        pattern=CURSOR_PATTERN,
        description=(
            "Opaque position from a previous page's `next_cursor` (URL-safe base64); omit, or "
            "leave empty, for page one."
        ),
    )
    sort: list[str] = Field(
        default_factory=list,
        max_length=MAX_REPEATED,
        description="Sort keys, `-` for descending; nulls sort last.",
        examples=[["name"]],
    )
    fields: list[str] = Field(
        default_factory=list,
        max_length=MAX_REPEATED,
        description="Keys to return for each record (default: all).",
        examples=[["id", "name"]],
    )
    format: JSON_FORMAT = Field(
        None,
        description=(
            "`json`, the default. CSV is the list's `.csv` operation; `format=csv` (or "
            "`Accept: text/csv`) here is an alias of it, kept for existing links."
        ),
        examples=["json"],
    )

    @field_validator("cursor")
    @classmethod
    def _empty_is_first_page(cls, value: str | None) -> str | None:
        return value or None


PAGE_PARAMETERS = frozenset(PageQuery.model_fields)


class StatsQuery(BaseModel):
    """How to group a collection's records for counts and aggregates."""

    model_config = ConfigDict(extra="forbid")

    group_by: list[str] = Field(
        default_factory=list,
        max_length=MAX_REPEATED,
        description="Fields to group by; omit for one group of everything.",
        examples=[["status"]],
    )


def one_of(description: str, example: str | int, *, nullable: bool = False) -> Any:
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
    )


def bound(description: str, example: float | int | str, *, bits: int = 64) -> Any:
    """An inclusive range bound on a number or a date; an integer fits a column of `bits`, and a
    64-bit one JavaScript's safe integers (which a browser, and /docs, show exactly)."""
    if isinstance(example, bool) or not isinstance(example, int | float):
        return Field(None, description=description, examples=[example])
    if isinstance(example, int):
        low, high = (INT32_MIN, INT32_MAX) if bits == 32 else (-SAFE_INTEGER_MAX, SAFE_INTEGER_MAX)
        return Field(None, ge=low, le=high, description=description, examples=[example])
    return Field(None, allow_inf_nan=False, description=description, examples=[example])


Names = str | Sequence[str] | None
"""What a list parameter of names holds: its values, each of one name or several separated by
commas."""


def listed_names(values: Names, parameter: str) -> list[str]:
    """The names a list parameter gives, repeated (`a&b`) or comma-separated (`a,b`), each
    once, where it first appears; a 400 naming `parameter` for an empty one."""
    names: list[str] = []
    for value in [values] if isinstance(values, str) else values or ():
        for raw in value.split(","):
            name = raw.strip()
            if not name:
                raise bad_parameter(parameter, "an empty name is given")
            names.append(name)
    return list(dict.fromkeys(names))


def parse_sort(sort: Names, spec: ListSpec) -> list[SortKey]:
    """Parse `sort` into keys that include `id`, appended in the direction of the last key; a
    key given twice counts where it first appears."""
    keys: list[SortKey] = []
    for token in listed_names(sort or [spec.default_sort], "sort"):
        descending = token.startswith("-")
        name = token.removeprefix("-")
        if name not in spec.sortable:
            allowed = ", ".join(spec.sortable)
            raise bad_parameter("sort", f"unknown sort key {name!r}; sortable: {allowed}")
        if not any(key.name == name for key in keys):
            keys.append(SortKey(name, spec.columns[name], descending))
    if not any(key.name == "id" for key in keys):
        keys.append(SortKey("id", spec.columns["id"], keys[-1].descending))
    return keys


def sort_tokens(spec: ListSpec) -> list[str]:
    """What `sort` takes: each sortable key, and each with `-` for descending."""
    return [token for name in spec.sortable for token in (name, "-" + name)]


def known_names(values: Names, parameter: str, allowed: Sequence[str], kind: str) -> list[str]:
    """The names a list parameter gives (`listed_names`), each one of `allowed`; a 400 naming
    the parameter, and what it takes, for any other."""
    names = listed_names(values, parameter)
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise bad_parameter(
            parameter,
            f"unknown {kind}(s) {', '.join(map(repr, unknown))}; {kind}s: {', '.join(allowed)}",
        )
    return names


def select_fields(fields: Names, allowed: Sequence[str]) -> list[str]:
    """Validate `fields` against a record's keys; none given means all of them."""
    if not fields:
        return list(allowed)
    return known_names(fields, "fields", allowed, "field")


def groupable(spec: ListSpec) -> list[str]:
    """What `group_by` takes: the equality fields of the record's own columns."""
    return [name for name in spec.equality if name not in spec.custom]


def group_fields(group_by: Names, spec: ListSpec) -> list[str]:
    """Validate `group_by` against the collection's equality fields."""
    if not group_by:
        return []
    names = listed_names(group_by, "group_by")
    allowed = groupable(spec)
    for name in names:
        if name not in allowed:
            raise bad_parameter(
                "group_by", f"cannot group by {name!r}; groupable: {', '.join(allowed)}"
            )
    return names
