"""The list machinery's pure functions, without a database: sort parsing, field and group
selection, sealed cursors and their bounds, and filter bounds."""

import datetime as dt
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import BigInteger

from app.collections.catalog import DOCUMENTED
from app.collections.figures import COLLECTION as FIGURES
from app.collections.projects import COLLECTION as PROJECTS
from app.collections.zero_carbon_factories import COLLECTION as FACTORIES
from app.errors import AppError
from app.integers import INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, SAFE_INTEGER_MAX
from app.listing.cursor import decode_cursor, encode_cursor, seal, unseal
from app.listing.params import (
    CURSOR_MAX_LENGTH,
    PageQuery,
    bound,
    group_fields,
    parse_sort,
    select_fields,
)
from app.listing.spec import SortKey
from app.listing.statements import filter_clauses

KEY = b"k" * 32
SPEC = PROJECTS.list_spec


def refused(call: Any, parameter: str, status: int = 400) -> str:
    with pytest.raises(AppError) as caught:
        call()
    assert caught.value.status == status
    assert [error.loc[-1] for error in caught.value.errors or []] == [parameter]
    return caught.value.detail


def signature(keys: list[SortKey]) -> list[tuple[str, bool]]:
    return [(key.name, key.descending) for key in keys]


def test_sort_defaults_and_ends_with_id_in_the_direction_of_the_last_key() -> None:
    assert signature(parse_sort(None, SPEC)) == [("name", False), ("id", False)]
    assert signature(parse_sort("-investment_cny", SPEC)) == [
        ("investment_cny", True),
        ("id", True),
    ]
    assert signature(parse_sort("-investment_cny,name", SPEC)) == [
        ("investment_cny", True),
        ("name", False),
        ("id", False),
    ]
    assert signature(parse_sort("-id", SPEC)) == [("id", True)]
    assert signature(parse_sort(None, FIGURES.list_spec)) == [("id", False)]


@pytest.mark.parametrize("sort", ["status", "-", "name,,id", ""])
def test_a_sort_key_not_sortable_or_empty_is_refused(sort: str) -> None:
    refused(lambda: parse_sort([sort], SPEC), "sort")


def test_a_sort_key_given_twice_counts_where_it_first_appears() -> None:
    assert signature(parse_sort(["-name", "investment_cny,name"], SPEC)) == [
        ("name", True),
        ("investment_cny", False),
        ("id", False),
    ]


def test_fields_and_groups_are_checked_against_what_the_collection_has() -> None:
    keys = list(PROJECTS.schema.model_fields)
    assert select_fields(" id , name ", keys) == ["id", "name"]
    assert select_fields(None, keys) == keys
    assert "secret" in refused(lambda: select_fields("id,secret", keys), "fields")
    refused(lambda: select_fields(",", keys), "fields")
    assert group_fields("status, district_id", SPEC) == ["status", "district_id"]
    assert group_fields(None, SPEC) == []
    refused(lambda: group_fields("organization_id", SPEC), "group_by")
    assert group_fields(["status,district_id", "status"], SPEC) == ["status", "district_id"]


def test_a_sealed_token_opens_only_with_its_key_and_for_its_scope() -> None:
    token = seal({"o": 20}, key=KEY, scope="search")
    assert unseal(token, "cursor", key=KEY, scope="search") == {"o": 20}
    assert "another list" in refused(
        lambda: unseal(token, "cursor", key=KEY, scope="project"), "cursor"
    )
    refused(lambda: unseal(token, "cursor", key=b"x" * 32, scope="search"), "cursor")
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    refused(lambda: unseal(tampered, "cursor", key=KEY, scope="search"), "cursor")
    for junk in ("", "=", "not a cursor", "A" * 12):
        refused(lambda junk=junk: unseal(junk, "cursor", key=KEY, scope="search"), "cursor")


class Row:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def test_a_cursor_gives_back_the_values_it_was_made_from() -> None:
    keys = parse_sort("-investment_cny", SPEC)
    cursor = encode_cursor(keys, Row(investment_cny=INT64_MAX, id="a"), key=KEY, scope="project")
    assert decode_cursor(cursor, keys, scope="project", key=KEY) == [INT64_MAX, "a"]
    dated = parse_sort("status_date", SPEC)
    cursor = encode_cursor(
        dated, Row(status_date=dt.date(2025, 11, 26), id="b"), key=KEY, scope="project"
    )
    assert decode_cursor(cursor, dated, scope="project", key=KEY) == [dt.date(2025, 11, 26), "b"]
    other_sort = parse_sort("name", SPEC)
    assert "sort=" in refused(
        lambda: decode_cursor(cursor, other_sort, scope="project", key=KEY), "cursor"
    )


@pytest.mark.parametrize(
    ("sort", "values"),
    [
        ("-investment_cny", [INT64_MAX + 1, "a"]),  # beyond a BIGINT
        ("-investment_cny", [True, "a"]),  # a boolean is no number here
        ("status_date", ["2025-11-26T00:00:00", "a"]),  # a timestamp is no date
        ("status_date", [20251126, "a"]),
        ("name", ["a\x00b", "a"]),  # a control character no row holds
        ("name", ["x"]),  # too few values
    ],
)
def test_a_cursor_holding_what_no_row_could_hold_is_refused(sort: str, values: list[Any]) -> None:
    keys = parse_sort(sort, SPEC)
    payload = {
        "s": ",".join(("-" if key.descending else "") + key.name for key in keys),
        "v": values,
    }
    cursor = seal(payload, key=KEY, scope="project")
    refused(lambda: decode_cursor(cursor, keys, scope="project", key=KEY), "cursor")


def widest(column: Any) -> Any:
    """The value of `column` that takes the most room in a cursor."""
    python_type = column.type.python_type
    if python_type is str:
        return "\U00020000" * column.type.length  # four bytes in UTF-8 each
    if python_type is dt.date:
        return dt.date(9999, 12, 31)
    if python_type is float:
        return -1.7976931348623157e308
    return INT64_MIN if isinstance(column.type, BigInteger) else INT32_MIN


@pytest.mark.parametrize("collection", DOCUMENTED, ids=lambda collection: collection.tag)
def test_every_cursor_a_list_can_issue_is_one_it_takes(collection: Any) -> None:
    """Sorted by every key at once, on a record whose sort values are as wide as their columns
    allow: the cursor fits the length `cursor` is declared with, and reads back."""
    spec = collection.list_spec
    keys = parse_sort(",".join("-" + name for name in spec.sortable), spec)
    row = Row(**{key.column.key: widest(key.column) for key in keys})
    cursor = encode_cursor(keys, row, key=KEY, scope=collection.subject)
    assert len(cursor) <= CURSOR_MAX_LENGTH
    assert decode_cursor(cursor, keys, scope=collection.subject, key=KEY)
    PageQuery.model_validate({"cursor": cursor})


def test_a_year_cursor_is_bounded_by_its_32_bit_column() -> None:
    keys = parse_sort("year", FACTORIES.list_spec)
    payload = {"s": "year,id", "v": [INT32_MAX + 1, "a"]}
    cursor = seal(payload, key=KEY, scope=FACTORIES.subject)
    refused(lambda: decode_cursor(cursor, keys, scope=FACTORIES.subject, key=KEY), "cursor")


def test_bounds_fit_their_column() -> None:
    class Bounds(BaseModel):
        year: int | None = bound("A year.", 2025, bits=32)
        money: int | None = bound("Yuan.", 10)
        ratio: float | None = bound("A ratio.", 1.5)
        day: dt.date | None = bound("A day.", "2025-01-01")

    assert Bounds(year=INT32_MAX, money=SAFE_INTEGER_MAX).money == SAFE_INTEGER_MAX
    for wrong in (
        {"year": INT32_MAX + 1},
        {"money": SAFE_INTEGER_MAX + 1},
        {"money": -SAFE_INTEGER_MAX - 1},
        {"ratio": float("nan")},
    ):
        with pytest.raises(ValidationError):
            Bounds.model_validate(wrong)


def test_a_range_whose_least_is_above_its_most_names_its_least() -> None:
    query = PROJECTS.filters.model_validate({"investment_cny_min": 10, "investment_cny_max": 1})
    detail = refused(lambda: filter_clauses(None, SPEC, query, build=False), "investment_cny_min")  # type: ignore[arg-type]
    assert "greater than" in detail


def test_the_filters_are_declared_once_and_the_statements_follow_them() -> None:
    assert SPEC.equality == (
        "status",
        "district_id",
        "sector",
        "status_year",
        "investment_qualifier",
    )
    assert SPEC.ranges == ("investment_cny", "status_date", "status_year")
    assert set(SPEC.custom) == {"id", "organization_id"}
    assert SPEC.filter_names == set(PROJECTS.filters.model_fields) - {"q"}
