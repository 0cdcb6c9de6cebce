"""The routes every collection has, as module-level handlers that take the collection.

`GET /api/v1/{collection}` (JSON or CSV), `GET /api/v1/{collection}/{id}` (`?as_of=`),
`GET /api/v1/stats/{collection}` and `GET /api/v1/stats/{collection}/facets`; for those
curators write, the write routes of `app.api.write_routes`. `collection_router` binds each
handler to a collection, with its query model, and documents it (`app.api.openapi`)."""

import datetime as dt
from collections.abc import Generator
from contextlib import ExitStack
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.responses import Response, StreamingResponse

from app.api import expansion, openapi
from app.api.binding import bind
from app.api.expansion import RecordQuery
from app.api.params import query_of
from app.api.stats import json_stats_query
from app.api.write_routes import add_write_routes, not_found
from app.collections.base import Collection
from app.db import (
    OpenReader,
    OpenSession,
    SessionDep,
    Sessions,
    SessionsDep,
    streaming_turn,
)
from app.errors import AppError, bad_parameter
from app.http import (
    csv_page_response,
    csv_response,
    json_bytes_response,
    json_response,
    negotiated,
    wants_csv,
)
from app.listing.output import render_csv, render_page
from app.listing.params import (
    FilterQuery,
    PageQuery,
    StatsQuery,
    group_fields,
    parse_sort,
    select_fields,
)
from app.listing.spec import SortKey
from app.listing.stats import aggregate_columns
from app.projections.rendering import stored_rendering
from app.services import history, lists
from app.services.expansion import expand, expanded_page
from app.services.revision import current_revision
from app.workers import in_worker


async def list_records(
    collection: Collection, request: Request, sessions: SessionsDep, query: PageQuery
) -> Response:
    """A page of records (JSON), or all of them (CSV)."""
    keys = parse_sort(query.sort, collection.list_spec)
    # A page's count can read a long index range, whatever its filters: in a worker thread,
    # so that no list holds up the event loop and every other request on it.
    if wants_csv(request, query.format):
        answer = await in_worker(_list_csv, collection, request, sessions, query, keys)
    else:
        answer = await in_worker(_list_json, collection, request, sessions.reader, query, keys)
    return answer if query.format is not None else negotiated(answer)


async def list_fields(
    collection: Collection, request: Request, sessions: SessionsDep, query: PageQuery
) -> Response:
    """A page of records (JSON), each with only the keys `fields` names."""
    refuse_format(query, "JSON")
    keys = parse_sort(query.sort, collection.list_spec)
    return await in_worker(_list_json, collection, request, sessions.reader, query, keys)


async def list_csv(
    collection: Collection, request: Request, sessions: SessionsDep, query: PageQuery
) -> Response:
    """All the matching records (or `limit` of them) as CSV."""
    refuse_format(query, "CSV")
    keys = parse_sort(query.sort, collection.list_spec)
    return await in_worker(_list_csv, collection, request, sessions, query, keys)


def refuse_format(query: BaseModel, answer: str) -> None:
    """A 400 for `format` on an operation that has one answer, and no such parameter."""
    if "format" in query.model_fields_set:
        raise bad_parameter("format", f"unknown parameter: this operation answers {answer} only")


def _list_json(
    collection: Collection,
    request: Request,
    open_session: OpenReader,
    query: PageQuery,
    keys: list[SortKey],
) -> Response:
    fields = None
    if query.fields:
        fields = select_fields(query.fields, list(collection.schema.model_fields))
    names = expansion.expansions(collection, query)
    with open_session() as session:
        page = lists.paginate(session=session, spec=collection.list_spec, query=query, keys=keys)
        if names:
            page = expanded_page(session=session, collection=collection, page=page, names=names)
    return json_bytes_response(request, render_page(page, fields))


def _list_csv(
    collection: Collection,
    request: Request,
    sessions: Sessions,
    query: PageQuery,
    keys: list[SortKey],
) -> Response:
    fields = select_fields(query.fields, list(collection.schema.model_fields))
    if "limit" in query.model_fields_set:
        return _csv_page(collection, request, sessions.reader, query, keys, fields)
    # The session outlives this call: it closes when the streamed body ends.
    scope = ExitStack()
    try:
        scope.enter_context(streaming_turn())
        session = scope.enter_context(sessions.pooled())
        bind = session.get_bind()
        if bind.dialect.name == "postgresql" and isinstance(bind, Engine):
            # Every batch, and the revision behind the ETag, from one snapshot. (A session
            # joined to a transaction already begun keeps that transaction's isolation.)
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        revision = current_revision(session=session)
        plan = lists.stream_plan(session=session, spec=collection.list_spec, query=query, keys=keys)
    except BaseException:
        scope.close()
        raise

    def body() -> Generator[str, None, None]:
        with scope:
            yield from render_csv(lists.stream(session=session, plan=plan), fields)

    filename = collection.tag + ".csv"
    response = csv_response(
        request, revision=revision, filename=filename, body=body, on_close=scope.close
    )
    if not isinstance(response, StreamingResponse):  # 304: there is no body to stream
        scope.close()
    return response


def _csv_page(
    collection: Collection,
    request: Request,
    open_session: OpenReader,
    query: PageQuery,
    keys: list[SortKey],
    fields: list[str],
) -> Response:
    """With `limit`, a CSV is a page of the list: its rows, and the next page's address."""
    with open_session() as session:
        page = lists.paginate(session=session, spec=collection.list_spec, query=query, keys=keys)
    body = "".join(render_csv((orjson.loads(row) for row in page.rows), fields))
    next_page = None
    if page.next_cursor is not None:
        following = request.url.include_query_params(cursor=page.next_cursor)
        next_page = f"{following.path}?{following.query}"
    return csv_page_response(
        request,
        body=body.encode("utf-8"),
        filename=collection.tag + ".csv",
        next_page=next_page,
    )


async def get_record(
    collection: Collection,
    request: Request,
    sessions: SessionsDep,
    record_id: str,
    query: RecordQuery,
) -> Response:
    """One record, as it is or as it was, with what `expand` embeds."""
    names = expansion.expansions(collection, query)
    if (query.as_of is not None and collection.writable) or names:
        return await in_worker(
            _record, collection, request, sessions.read, record_id, query.as_of, names
        )
    with sessions.loop() as reader:
        rendered = stored_rendering(session=reader, subject=collection.subject, record_id=record_id)
    if rendered is None:
        raise not_found(collection, record_id)
    return json_bytes_response(request, rendered)


def _record(
    collection: Collection,
    request: Request,
    open_session: OpenSession,
    record_id: str,
    as_of: dt.date | None,
    names: list[str],
) -> Response:
    subject = collection.subject
    with open_session() as session:
        state: Any = history.Current
        if as_of is not None and collection.writable:
            moment = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
            state = history.state_as_of(
                session=session, subject=subject, record_id=record_id, moment=moment
            )
        if state is history.Current:
            current = stored_rendering(session=session, subject=subject, record_id=record_id)
            state = None if current is None else orjson.loads(current)
        if state is None:
            if as_of is None or not collection.writable:
                raise not_found(collection, record_id)
            raise AppError(404, f"No {collection.singular} {record_id!r} on {as_of}.")
        expand(session=session, collection=collection, records=[state], names=names)
    return json_response(request, state)


async def get_stats(
    collection: Collection, request: Request, sessions: SessionsDep, query: StatsQuery
) -> Response:
    """Counts and aggregates per group; CSV with `format=csv` or `Accept: text/csv`."""
    format_ = getattr(query, "format", None)
    answer = await _stats(collection, request, sessions, query, as_csv=wants_csv(request, format_))
    return answer if format_ is not None else negotiated(answer)


async def get_stats_csv(
    collection: Collection, request: Request, sessions: SessionsDep, query: StatsQuery
) -> Response:
    """Counts and aggregates per group, a CSV row each."""
    return await _stats(collection, request, sessions, query, as_csv=True)


async def _stats(
    collection: Collection,
    request: Request,
    sessions: Sessions,
    query: StatsQuery,
    *,
    as_csv: bool,
) -> Response:
    spec = collection.list_spec
    group_by = group_fields(query.group_by, spec)

    def stats(open_session: OpenReader) -> Response:
        with open_session() as session:
            revision = current_revision(session=session) if as_csv else 0
            result = lists.aggregate(session=session, spec=spec, query=query, group_by=group_by)
        if not as_csv:
            return json_response(request, result)
        columns = aggregate_columns(result["group_by"], spec.numeric)
        return csv_response(
            request,
            revision=revision,
            filename=f"{collection.tag}-stats.csv",
            body=lambda: render_csv(iter(result["groups"]), columns),
        )

    # An aggregate reads every matching record: in a worker thread, off the event loop.
    return await in_worker(stats, sessions.reader)


def get_facets(
    collection: Collection, request: Request, session: SessionDep, query: FilterQuery
) -> Response:
    """How many matching records have each value of each filterable field."""
    return json_response(
        request, lists.facets(session=session, spec=collection.list_spec, query=query)
    )


def collection_router(collection: Collection) -> APIRouter:
    """The routes of one collection."""
    router = APIRouter(tags=[collection.tag])
    record_id = Annotated[str, openapi.record_id_path(collection)]
    list_query, stats_query = expansion.list_query(collection), collection.stats_query
    one_query = expansion.record_query(collection)
    page_query = collection.list_query  # of the `.json` and `.csv` lists: no `expand`
    routes = (
        (
            collection.path,
            bind(
                list_records,
                collection,
                query=Annotated[list_query, query_of(list_query)],
            ),
            openapi.list_operation(collection),
        ),
        (
            collection.path + openapi.FIELDS_SUFFIX,
            bind(list_fields, collection, query=Annotated[page_query, query_of(page_query)]),
            openapi.fields_operation(collection),
        ),
        (
            collection.path + openapi.CSV_SUFFIX,
            bind(list_csv, collection, query=Annotated[page_query, query_of(page_query)]),
            openapi.list_csv_operation(collection),
        ),
        (
            collection.path + "/{record_id}",
            bind(
                get_record,
                collection,
                record_id=record_id,
                query=Annotated[one_query, query_of(one_query)],
            ),
            openapi.get_operation(collection),
        ),
        (
            "/stats" + collection.path,
            bind(
                get_stats,
                collection,
                query=Annotated[
                    json_stats_query(collection), query_of(json_stats_query(collection))
                ],
            ),
            openapi.stats_operation(collection),
        ),
        (
            "/stats" + collection.path + ".csv",
            bind(
                get_stats_csv,
                collection,
                query=Annotated[stats_query, query_of(stats_query)],
            ),
            openapi.stats_csv_operation(collection),
        ),
        (
            "/stats" + collection.path + "/facets",
            bind(
                get_facets,
                collection,
                query=Annotated[collection.filters, query_of(collection.filters)],
            ),
            openapi.facets_operation(collection),
        ),
    )
    for path, endpoint, operation in routes:
        router.add_api_route(path, endpoint, methods=["GET"], **operation)
    if collection.writable:
        add_write_routes(router, collection)
    return router
