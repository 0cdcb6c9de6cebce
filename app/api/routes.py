"""The routes every collection has, as module-level handlers that take the collection.

`GET /api/v1/{collection}` (JSON or CSV), `GET /api/v1/{collection}/{id}` (`?as_of=`),
`GET /api/v1/stats/{collection}` and `GET /api/v1/stats/{collection}/facets`; for those
curators write, the write routes of `app.api.write_routes`. `collection_router` binds each
handler to a collection, with its query model, and documents it (`app.api.openapi`)."""

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from starlette.responses import Response, StreamingResponse

from app.api import openapi
from app.api.binding import bind
from app.api.params import query_of, refuse_repeated
from app.api.write_routes import add_write_routes, not_found
from app.collections.base import Collection
from app.db import OpenReader, OpenSession, SessionDep, Sessions, SessionsDep
from app.errors import AppError
from app.http import csv_response, json_bytes_response, json_response, wants_csv
from app.listing.output import render_csv, render_page
from app.listing.params import (
    FilterQuery,
    IsoDate,
    PageQuery,
    StatsQuery,
    group_fields,
    parse_sort,
    select_fields,
)
from app.listing.spec import SortKey
from app.projections.rendering import stored_rendering
from app.services import history, lists
from app.services.revision import current_revision


async def list_records(
    collection: Collection, request: Request, sessions: SessionsDep, query: PageQuery
) -> Response:
    """A page of records (JSON), or all of them (CSV)."""
    keys = parse_sort(query.sort, collection.list_spec)
    # A page's count can read a long index range, whatever its filters: in a worker thread,
    # so that no list holds up the event loop and every other request on it.
    if wants_csv(request, query.format):
        return await run_in_threadpool(_list_csv, collection, request, sessions, query, keys)
    return await run_in_threadpool(_list_json, collection, request, sessions.pooled, query, keys)


def _list_json(
    collection: Collection,
    request: Request,
    open_session: OpenReader,
    query: PageQuery,
    keys: list[SortKey],
) -> Response:
    fields = None
    if query.fields is not None:
        fields = select_fields(query.fields, list(collection.schema.model_fields))
    with open_session() as session:
        page = lists.paginate(session=session, spec=collection.list_spec, query=query, keys=keys)
    return json_bytes_response(request, render_page(page, fields))


def _list_csv(
    collection: Collection,
    request: Request,
    sessions: Sessions,
    query: PageQuery,
    keys: list[SortKey],
) -> Response:
    fields = select_fields(query.fields, list(collection.schema.model_fields))
    # The session outlives this call: it closes when the streamed body ends.
    scope = ExitStack()
    try:
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

    def body() -> Iterator[str]:
        with scope:
            yield from render_csv(lists.stream(session=session, plan=plan), fields)

    filename = collection.tag + ".csv"
    response = csv_response(request, revision=revision, filename=filename, body=body)
    if not isinstance(response, StreamingResponse):  # 304: there is no body to stream
        scope.close()
    return response


async def get_record(
    collection: Collection,
    request: Request,
    sessions: SessionsDep,
    record_id: str,
    as_of: Annotated[
        IsoDate | None,
        Query(
            description="The record as it was at the end of this day (UTC), from its history.",
            examples=["2025-12-31"],
        ),
    ] = None,
) -> Response:
    """One record, as it is or as it was."""
    refuse_repeated(request, "as_of")
    if as_of is not None and collection.writable:
        return await run_in_threadpool(
            _record_as_of, collection, request, sessions.pooled, record_id, as_of
        )
    with sessions.loop() as reader:
        rendered = stored_rendering(session=reader, subject=collection.subject, record_id=record_id)
    if rendered is None:
        raise not_found(collection, record_id)
    return json_bytes_response(request, rendered)


def _record_as_of(
    collection: Collection,
    request: Request,
    open_session: OpenSession,
    record_id: str,
    as_of: dt.date,
) -> Response:
    moment = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    subject = collection.subject
    with open_session() as session:
        state = history.state_as_of(
            session=session, subject=subject, record_id=record_id, moment=moment
        )
        current = None
        if state is history.Current:
            current = stored_rendering(session=session, subject=subject, record_id=record_id)
        if current is not None:
            return json_bytes_response(request, current)
        if state is None or state is history.Current:
            raise AppError(404, f"No {collection.singular} {record_id!r} on {as_of}.")
    return json_response(request, state)


async def get_stats(
    collection: Collection, request: Request, sessions: SessionsDep, query: StatsQuery
) -> Response:
    """Counts and aggregates per group."""
    spec = collection.list_spec
    group_by = group_fields(query.group_by, spec)

    def stats(open_session: OpenReader) -> Response:
        with open_session() as session:
            result = lists.aggregate(session=session, spec=spec, query=query, group_by=group_by)
        return json_response(request, result)

    # An aggregate reads every matching record: in a worker thread, off the event loop.
    return await run_in_threadpool(stats, sessions.pooled)


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
    list_query, stats_query = collection.list_query, collection.stats_query
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
            collection.path + "/{record_id}",
            bind(get_record, collection, record_id=record_id),
            openapi.get_operation(collection),
        ),
        (
            "/stats" + collection.path,
            bind(
                get_stats,
                collection,
                query=Annotated[stats_query, query_of(stats_query)],
            ),
            openapi.stats_operation(collection),
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
