"""Lists run: a page with its total, a streamed CSV's batches, aggregates and facets."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import Engine, Select
from sqlalchemy.orm import Session

from app.listing.cursor import decode_cursor, encode_cursor
from app.listing.output import CSV_BATCH, Page
from app.listing.params import PAGE_PARAMETERS, PageQuery
from app.listing.spec import ListSpec, SortKey
from app.listing.statements import (
    aggregate_groups,
    aggregate_statement,
    facet_statements,
    filter_clauses,
    listed,
    ordered,
    page_statements,
    seeks,
)
from app.listing.stats import aggregate_result, facets_result
from app.projections.rendering import stored_or_fresh
from app.reader import Reader, connection_of, fetch_all
from app.services.installation import cursor_key


class _Counts:
    """Totals of lists, kept for one revision of the knowledge base: the one last counted. A
    count at another (a write since, or a database rolled back or restored) drops them all.

    Worker threads share it: the revision and its totals are one tuple, read and replaced
    whole, so a total is never kept under a revision it was not counted at."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: tuple[int, dict[tuple[str, str], int]] = (-1, {})

    def latest(self, key: tuple[str, str]) -> tuple[int, int | None]:
        """The revision kept, and the total kept for `key` at it."""
        revision, totals = self.kept
        return revision, totals.get(key)

    def put(self, revision: int, key: tuple[str, str], total: int) -> None:
        kept_revision, totals = self.kept
        if revision != kept_revision or len(totals) >= self.limit:
            totals = {}
            self.kept = (revision, totals)
        totals[key] = total


_COUNTS: WeakKeyDictionary[Engine, _Counts] = WeakKeyDictionary()
"""Per engine, so per database: each has revisions of its own."""


def _counts_of(engine: Engine) -> _Counts:
    counts = _COUNTS.get(engine)
    if counts is None:
        counts = _COUNTS[engine] = _Counts(limit=10_000)
    return counts


def _after(reader: Reader, spec: ListSpec, query: PageQuery, keys: list[SortKey]) -> Any:
    if query.cursor is None:
        return None
    return decode_cursor(query.cursor, keys, scope=spec.subject, key=cursor_key(session=reader))


def paginate(
    *, session: Reader, spec: ListSpec, query: PageQuery, keys: list[SortKey]
) -> Page[bytes]:
    """One page of a filtered list in the order of `keys`: each record's rendering (JSON), and
    the total.

    Counts are kept per revision of the knowledge base, which the page's first statement
    reads in its own snapshot, so the pages of one list (and its sorts and page sizes) count
    once, and any write starts afresh; a count not kept comes with that statement."""
    after = _after(session, spec, query, keys)
    statements = page_statements(session, spec, query, keys, after, query.limit)
    connection = connection_of(session)
    filters = query.model_dump(mode="json", exclude=set(PAGE_PARAMETERS))
    # Decoded: orjson's bytes keep a buffer of 4 KB or so, whatever their length.
    count_key = (spec.subject, orjson.dumps(filters, option=orjson.OPT_SORT_KEYS).decode())
    counts = _counts_of(connection.engine)
    newest, kept = counts.latest(count_key)
    revision: int | None = None
    total: int | None = None
    wanted = query.limit + 1
    rows: list[Any] = []
    for number, seek in enumerate(statements.seeks):
        if number == 0:
            seek = statements.counted if kept is None else statements.revised
        params = {**statements.params, "page_limit": wanted - len(rows)}
        found = fetch_all(connection, seek, params)
        if number == 0 and found:
            revision = found[0].revision or 0
            if kept is None:
                total = found[0].matching
            elif revision == newest:
                total = kept
        rows += found
        if len(rows) >= wanted:
            break
    if total is None and query.cursor is None and not rows:
        total = 0  # page one found nothing: nothing matches
    elif total is None:  # past a cursor, or a write since the kept count
        ((total, revision),) = fetch_all(connection, statements.counting, statements.params)
        revision = revision or 0
    if revision is not None:
        counts.put(revision, count_key, total)
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        key = cursor_key(session=connection)
        next_cursor = encode_cursor(keys, rows[-1], key=key, scope=spec.subject)
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


def stream_plan(
    *, session: Reader, spec: ListSpec, query: PageQuery, keys: list[SortKey]
) -> StreamPlan:
    """Check a streamed list's parameters and build its filtered statement; `limit` applies
    only when given."""
    after = _after(session, spec, query, keys)
    filtered = listed(spec, keys).where(*filter_clauses(session, spec, query).clauses)
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
        batch = (
            [ordered(plan.filtered, plan.keys)]
            if after is None
            else seeks(plan.filtered, plan.keys, after, dialect=dialect)
        )
        rows: list[Any] = []
        for seek in batch:
            rows += session.execute(seek.limit(wanted - len(rows))).all()
            if len(rows) >= wanted:
                break
        for rendered in stored_or_fresh(session.connection(), plan.spec.subject, rows):
            yield orjson.loads(rendered)
        if len(rows) < wanted:
            return
        after = [getattr(rows[-1], key.column.key) for key in plan.keys]
        remaining = None if remaining is None else remaining - len(rows)


def aggregate(
    *, session: Reader, spec: ListSpec, query: Any, group_by: list[str]
) -> dict[str, Any]:
    """Count and aggregate the filtered records per group; figures also per unit, each fact
    summed once (`aggregate_groups`, `aggregate_statement`)."""
    groups = aggregate_groups(spec, group_by)
    statement, params = aggregate_statement(session, spec, query, groups)
    rows = fetch_all(connection_of(session), statement, params)
    return aggregate_result((row._asdict() for row in rows), groups)


def facets(*, session: Reader, spec: ListSpec, query: Any) -> dict[str, Any]:
    """For each equality field, how many filtered records have each value."""
    statements = facet_statements(session, spec, query)
    return facets_result(
        {
            name: session.execute(statement).mappings().all()
            for name, statement in statements.items()
        }
    )
