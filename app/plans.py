"""The database's plan for every documented list query: each filter alone and no filter, under
each sort key in both directions, and `q`. A plan that reads a whole table without an index
is a full scan; the scale test fails on one, and `citykb explain` prints them all."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, select, text

from app.api import (
    districts,
    figures,
    organizations,
    parks,
    projects,
    renewal_cases,
    sources,
    zero_carbon_factories,
)
from app.api.collection import Collection, list_query_model
from app.listing import PageQuery, apply_filters, order_and_seek
from app.models import project_organizations

COLLECTIONS: tuple[Collection, ...] = tuple(
    module.COLLECTION
    for module in (
        projects,
        parks,
        renewal_cases,
        zero_carbon_factories,
        organizations,
        districts,
        figures,
        sources,
    )
)
SQLITE_FULL_SCAN = re.compile(r"^SCAN (\w+)$")


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
    if name in collection.spec.custom:  # a project's organization
        return connection.scalar(select(project_organizations.c.organization_id).limit(1))
    column = collection.spec.columns[name]
    statement = select(column).select_from(collection.spec.model).where(column.is_not(None))
    return connection.scalar(statement.order_by(column).limit(1))


def documented_queries(connection: Connection, collection: Collection) -> Iterator[dict[str, Any]]:
    """Each filter alone (and none), crossed with each sort key in both directions, and `q`."""
    filters: list[dict[str, Any]] = [{}]
    for name in (*collection.spec.equality, *collection.spec.custom):
        value = _sample_value(connection, collection, name)
        if value is not None:
            filters.append({name: [value]})
    for name in collection.spec.ranges:
        value = _sample_value(connection, collection, name)
        if value is not None:
            filters.append({f"{name}_min": value})
    sorts = [
        prefix + name for name in collection.spec.sortable for prefix in ("", "-") if name != "id"
    ]
    for params in filters:
        for sort in sorts:
            yield {**params, "sort": sort}
    yield {"q": "示范"}


def _statement(collection: Collection, params: dict[str, Any]) -> Select[Any]:
    query: PageQuery = list_query_model(collection).model_validate(params)
    filtered = apply_filters(collection.rows(), collection.spec, query)
    return order_and_seek(filtered, collection.spec, query).limit(query.limit + 1)


def _explain(connection: Connection, statement: Select[Any]) -> str:
    sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
        return "\n".join(str(row[-1]) for row in rows)
    return "\n".join(str(row[0]) for row in connection.execute(text(f"EXPLAIN {sql}")))


def is_full_scan(dialect: str, plan: str) -> bool:
    """Whether a plan reads some table whole, with no index."""
    if dialect == "sqlite":
        return any(SQLITE_FULL_SCAN.match(line.strip()) for line in plan.splitlines())
    return "Seq Scan" in plan


def query_plans(engine: Engine, *, avoid_sequential_scans: bool = False) -> list[QueryPlan]:
    """The plan of every documented list query.

    `avoid_sequential_scans` (PostgreSQL) asks whether an index *can* serve each query, which
    is the question on a small test database where a sequential scan is simply cheapest."""
    plans = []
    with engine.connect() as connection:
        if avoid_sequential_scans and connection.dialect.name == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))
        for collection in COLLECTIONS:
            for params in documented_queries(connection, collection):
                plan = _explain(connection, _statement(collection, params))
                plans.append(
                    QueryPlan(
                        collection=collection.path.strip("/"),
                        params=params,
                        plan=plan,
                        full_scan=is_full_scan(connection.dialect.name, plan),
                    )
                )
        connection.rollback()
    return plans


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in each collection's table."""
    with engine.connect() as connection:
        return {
            collection.path.strip("/"): connection.scalar(
                select(func.count()).select_from(collection.spec.model)
            )
            or 0
            for collection in COLLECTIONS
        }
