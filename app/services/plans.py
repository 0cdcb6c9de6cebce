"""The database's plan for every documented list query: each filter alone and no filter, under
each sort key in both directions, a later page of each sort (its cursor's seek), and `q`;
each page's statements and its count. A plan that reads a whole table without an index
is a full scan; the scale test fails on one, and `citykb explain` prints them all."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, select, text

from app.collections.base import Collection
from app.collections.catalog import DOCUMENTED
from app.listing.cursor import encode_cursor
from app.listing.params import PageQuery, parse_sort
from app.listing.statements import page_statements
from app.models import Base
from app.services.installation import cursor_key

SQLITE_FULL_SCAN = re.compile(r"^SCAN (\w+)$")
POSTGRES_FULL_SCAN = re.compile(r"Seq Scan on (\w+)")
SMALL_TABLE_ROWS = 1000
"""A whole read of a table this small is the cheapest plan there is, not a missing index."""


@dataclass(frozen=True)
class QueryPlan:
    collection: str
    params: dict[str, Any]
    plan: str
    full_scan: bool

    def describe(self) -> str:
        flag = "FULL SCAN" if self.full_scan else "index"
        params = "&".join(
            f"{key}={','.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in self.params.items()
        )
        lines = "\n".join(f"    {line}" for line in self.plan.splitlines())
        return f"{self.collection}?{params}  [{flag}]\n{lines}"


def _sample_value(connection: Connection, collection: Collection, name: str) -> Any:
    if name in collection.custom_filters:  # a filter on the records a record links to
        assert collection.links is not None
        return connection.scalar(select(collection.links.other).limit(1))
    column = collection.list_spec.columns[name]
    statement = select(column).select_from(collection.list_spec.model).where(column.is_not(None))
    return connection.scalar(statement.order_by(column).limit(1))


def documented_queries(connection: Connection, collection: Collection) -> Iterator[dict[str, Any]]:
    """Each filter alone (and none), crossed with each sort key in both directions, and `q`."""
    filters: list[dict[str, Any]] = [{}]
    for name in (*collection.list_spec.equality, *collection.list_spec.custom):
        value = _sample_value(connection, collection, name)
        if value is not None:
            filters.append({name: [value]})
    for name in collection.list_spec.ranges:
        value = _sample_value(connection, collection, name)
        if value is not None:
            filters.append({f"{name}_min": value})
    sorts = [
        prefix + name
        for name in collection.list_spec.sortable
        for prefix in ("", "-")
        if name != "id"
    ]
    for params in filters:
        for sort in sorts:
            yield {**params, "sort": [sort]}
    for sort in sorts:
        later = _later_page(connection, collection, {"sort": [sort]})
        if later is not None:
            yield later
    # `q` with one record's name: a selective search, as a user's usually is.
    columns = collection.list_spec.columns
    name_column = columns["name"] if "name" in columns else columns["id"]
    record_name = connection.scalar(
        select(name_column).select_from(collection.list_spec.model).order_by(name_column).limit(1)
    )
    if record_name is not None:
        yield {"q": record_name}


def _later_page(
    connection: Connection, collection: Collection, params: dict[str, Any]
) -> dict[str, Any] | None:
    """`params` with a cursor after the first record: the page after it, found by a seek."""
    query: PageQuery = collection.list_query.model_validate(params)
    keys = parse_sort(query.sort, collection.list_spec)
    statements = page_statements(connection, collection.list_spec, query, keys, None, query.limit)
    first = connection.execute(statements.bound(statements.seeks[0]).limit(1)).first()
    if first is None:
        return None
    key = cursor_key(session=connection)
    cursor = encode_cursor(keys, first, key=key, scope=collection.subject)
    return {**params, "cursor": cursor}


def _statements(
    connection: Connection, collection: Collection, params: dict[str, Any]
) -> list[Select[Any]]:
    query: PageQuery = collection.list_query.model_validate(params)
    keys = parse_sort(query.sort, collection.list_spec)
    statements = page_statements(connection, collection.list_spec, query, keys, None, query.limit)
    return [statements.bound(statement) for statement in (*statements.seeks, statements.counting)]


def _explain(connection: Connection, statement: Select[Any]) -> str:
    sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
        return "\n".join(str(row[-1]) for row in rows)
    return "\n".join(str(row[0]) for row in connection.execute(text(f"EXPLAIN {sql}")))


def full_scans(dialect: str, plan: str) -> set[str]:
    """The tables a plan reads whole, with no index."""
    if dialect == "sqlite":
        found = (SQLITE_FULL_SCAN.match(line.strip()) for line in plan.splitlines())
        return {match.group(1) for match in found if match}
    return set(POSTGRES_FULL_SCAN.findall(plan))


def query_plans(
    engine: Engine,
    *,
    avoid_sequential_scans: bool = False,
    small_table_rows: int = SMALL_TABLE_ROWS,
) -> list[QueryPlan]:
    """The plan of every documented list query.

    `avoid_sequential_scans` (PostgreSQL) asks whether an index *can* serve each query, which
    is the question on a small test database where a sequential scan is simply cheapest; with
    it, `small_table_rows=0` holds every table to that, however few its rows."""
    plans = []
    with engine.connect() as connection:
        small = {
            table
            for table in Base.metadata.tables
            if (connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0) < small_table_rows
        }
        if avoid_sequential_scans and connection.dialect.name == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))
        for collection in DOCUMENTED:
            for params in documented_queries(connection, collection):
                plan = "\n".join(
                    _explain(connection, statement)
                    for statement in _statements(connection, collection, params)
                )
                plans.append(
                    QueryPlan(
                        collection=collection.path.strip("/"),
                        params=params,
                        plan=plan,
                        full_scan=bool(full_scans(connection.dialect.name, plan) - small),
                    )
                )
        connection.rollback()
    return plans


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in each collection's table."""
    with engine.connect() as connection:
        return {
            collection.path.strip("/"): connection.scalar(
                select(func.count()).select_from(collection.list_spec.model)
            )
            or 0
            for collection in DOCUMENTED
        }
