"""The routes every collection has, declared once.

`GET /api/v1/{collection}` (JSON or CSV), `GET /api/v1/{collection}/{id}` (`?as_of=`),
`GET /api/v1/stats/{collection}` and `GET /api/v1/stats/{collection}/facets`; for those
curators write, `POST`, `PATCH`, `DELETE` and `GET .../{id}/history`."""

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, create_model, field_validator
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.responses import Response, StreamingResponse

from app.api.common import CitationOut, not_found, render_record
from app.api.params import documented, query_of, refuse_repeated
from app.auth import CuratorKey, CuratorSession
from app.db import OpenReader, OpenSession, SessionDep, Sessions, SessionsDep
from app.errors import PROBLEM_JSON, PROBLEM_RESPONSES, AppError, Problem, ProblemError
from app.http import (
    check_if_match,
    csv_response,
    etag_of,
    json_bytes_response,
    json_response,
    wants_csv,
)
from app.listing import (
    NO_CONTROL_CHARACTERS,
    FilterQuery,
    IsoDate,
    ListSpec,
    PageOut,
    PageQuery,
    StatsQuery,
    aggregate,
    facets,
    group_fields,
    paginate,
    render_csv,
    render_page,
    select_fields,
    stream,
    stream_plan,
)
from app.models import Action
from app.rendered import stored_rendering
from app.services import writes
from app.services.revision import current_revision
from app.services.writes import WriteSpec


@dataclass(frozen=True)
class Collection:
    """One collection: its path and names, read schema, filters and service functions."""

    path: str
    singular: str
    plural: str
    schema: type[BaseModel]
    filters: type[FilterQuery]
    spec: ListSpec
    get_record: Callable[[Session, str], Any | None]
    id_example: str
    sort_example: str
    description: str
    write: WriteSpec | None = None
    """How the collection is written, for those curators may write."""

    def operation(self, verb: str, noun: str, suffix: str = "") -> str:
        words = re.split(r"[^a-z0-9]+", noun)
        return verb + "".join(word.capitalize() for word in words) + suffix

    @property
    def a_singular(self) -> str:
        return ("an " if self.singular[0] in "aeiou" else "a ") + self.singular


def list_query_model(collection: Collection) -> type[PageQuery]:
    sortable = ", ".join(f"`{name}`" for name in collection.spec.sortable)
    keys = list(collection.schema.model_fields)
    return create_model(
        collection.operation("", collection.singular, "ListQuery"),
        __base__=(collection.filters, PageQuery),  # type: ignore[arg-type]
        sort=(
            str | None,
            Field(
                None,
                max_length=300,
                description=(
                    "Comma-separated sort keys, `-` for descending; nulls sort last; ties are "
                    "broken by `id`, in the direction of the last key. "
                    f"Sortable: {sortable}. "
                    f"Default `{collection.spec.default_sort}`."
                ),
                examples=[collection.sort_example],
                json_schema_extra=NO_CONTROL_CHARACTERS,
            ),
        ),
        fields=(
            str | None,
            Field(
                None,
                max_length=1000,
                description=f"Comma-separated keys to return (default: all): {', '.join(keys)}.",
                examples=[",".join(keys[:3])],
                json_schema_extra=NO_CONTROL_CHARACTERS,
            ),
        ),
    )


def stats_query_model(collection: Collection) -> type[StatsQuery]:
    groupable = ", ".join(f"`{name}`" for name in collection.spec.equality)
    return create_model(
        collection.operation("", collection.singular, "StatsQuery"),
        __base__=(collection.filters, StatsQuery),  # type: ignore[arg-type]
        group_by=(
            str | None,
            Field(
                None,
                max_length=300,
                description=(
                    f"Comma-separated fields to group by: {groupable}. Omit for one group of all "
                    "matching records."
                ),
                examples=[collection.spec.equality[0]],
                json_schema_extra=NO_CONTROL_CHARACTERS,
            ),
        ),
    )


class StatsOut(BaseModel):
    """Counts and numeric aggregates of the matching records, per group."""

    group_by: list[str] = Field(description="The fields grouped by.", examples=[["status"]])
    groups: list[dict[str, Any]] = Field(
        description=(
            "One object per group: the group's value of each `group_by` field, `count`, and "
            "`{field}_sum`, `_min`, `_max`, `_avg` of each numeric field. Largest group first."
        ),
        examples=[[{"status": "landed", "count": 3}]],
    )
    total: int = Field(description="Matching records over all groups.", examples=[6])


class FacetsOut(BaseModel):
    """For each filterable field, how many matching records have each value."""

    facets: dict[str, list[dict[str, Any]]] = Field(
        description="Per field, `{value, count}` pairs, most frequent first; `value` may be null.",
        examples=[{"status": [{"value": "landed", "count": 3}]}],
    )
    total: int = Field(description="Matching records.", examples=[6])


def collection_router(collection: Collection) -> APIRouter:
    """The read routes of one collection."""
    router = APIRouter(tags=[collection.path.strip("/")])
    schema, spec = collection.schema, collection.spec
    list_query = list_query_model(collection)
    stats_query = stats_query_model(collection)
    filters_query = collection.filters
    csv_name = collection.path.strip("/") + ".csv"
    record_keys = list(schema.model_fields)

    async def list_records(
        request: Request,
        sessions: SessionsDep,
        query: Annotated[list_query, query_of(list_query)],  # type: ignore[valid-type]
    ) -> Response:
        # A page's count can read a long index range, whatever its filters: in a worker thread,
        # so that no list holds up the event loop and every other request on it.
        if wants_csv(request, query.format):  # type: ignore[attr-defined]
            return await run_in_threadpool(list_csv, request, sessions, query)
        return await run_in_threadpool(list_json, request, sessions.pooled, query)

    def list_json(request: Request, open_session: OpenReader, query: Any) -> Response:
        fields = None if query.fields is None else select_fields(query.fields, record_keys)
        with open_session() as session:
            page = paginate(session=session, spec=spec, query=query)
        return json_bytes_response(request, render_page(page, fields))

    def list_csv(request: Request, sessions: Sessions, query: Any) -> Response:
        fields = record_keys if query.fields is None else select_fields(query.fields, record_keys)
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
            plan = stream_plan(session=session, spec=spec, query=query)
        except BaseException:
            scope.close()
            raise

        def body() -> Iterator[str]:
            with scope:
                yield from render_csv(stream(session=session, plan=plan), fields)

        response = csv_response(request, revision=revision, filename=csv_name, body=body)
        if not isinstance(response, StreamingResponse):  # 304: there is no body to stream
            scope.close()
        return response

    async def get_record(
        request: Request,
        sessions: SessionsDep,
        record_id: Annotated[str, record_id_path(collection)],
        as_of: Annotated[
            IsoDate | None,
            Query(
                description="The record as it was at the end of this day (UTC), from its history.",
                examples=["2025-12-31"],
            ),
        ] = None,
    ) -> Response:
        refuse_repeated(request, "as_of")
        if as_of is not None and collection.write is not None:
            return await run_in_threadpool(record_as_of, request, sessions.pooled, record_id, as_of)
        with sessions.loop() as reader:
            rendered = stored_rendering(session=reader, subject=spec.subject, record_id=record_id)
        if rendered is None:
            raise not_found(collection.singular, record_id)
        return json_bytes_response(request, rendered)

    def record_as_of(
        request: Request, open_session: OpenSession, record_id: str, as_of: dt.date
    ) -> Response:
        assert collection.write is not None
        moment = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
        with open_session() as session:
            state = writes.state_as_of(
                session=session,
                subject=collection.write.subject,
                record_id=record_id,
                moment=moment,
            )
            current = None
            if state is writes.Current:
                current = stored_rendering(
                    session=session, subject=spec.subject, record_id=record_id
                )
            if current is not None:
                return json_bytes_response(request, current)
            if state is None or state is writes.Current:
                raise AppError(404, f"No {collection.singular} {record_id!r} on {as_of}.")
        return json_response(request, state)

    async def get_stats(
        request: Request,
        sessions: SessionsDep,
        query: Annotated[stats_query, query_of(stats_query)],  # type: ignore[valid-type]
    ) -> Response:
        group_by = group_fields(query.group_by, spec)  # type: ignore[attr-defined]

        def stats(open_session: OpenReader) -> Response:
            with open_session() as session:
                result = aggregate(session=session, spec=spec, query=query, group_by=group_by)
            return json_response(request, result)

        # An aggregate reads every matching record: in a worker thread, off the event loop.
        return await run_in_threadpool(stats, sessions.pooled)

    def get_facets(
        request: Request,
        session: SessionDep,
        query: Annotated[filters_query, query_of(filters_query)],  # type: ignore[valid-type]
    ) -> Response:
        return json_response(request, facets(session=session, spec=spec, query=query))

    csv_content = {"text/csv": {"schema": {"type": "string"}}}
    router.add_api_route(
        collection.path,
        list_records,
        methods=["GET"],
        operation_id=collection.operation("list", collection.plural),
        openapi_extra=documented(list_query),
        summary=f"List {collection.plural}",
        description=(
            f"{collection.description} Filtered, sorted and paged by keyset cursor; CSV with "
            "`format=csv` or `Accept: text/csv`."
        ),
        response_model=PageOut[schema],  # type: ignore[valid-type]
        responses={
            **PROBLEM_RESPONSES,
            200: {
                "content": csv_content,
                "links": links_to(collection, "$response.body#/items/0/id"),
            },
        },
    )
    router.add_api_route(
        collection.path + "/{record_id}",
        get_record,
        methods=["GET"],
        operation_id=collection.operation("get", collection.singular),
        summary=f"Get {collection.a_singular}",
        description=f"One {collection.singular}, with the citations behind its fields.",
        response_model=schema,
        responses={
            **PROBLEM_RESPONSES,
            200: {
                "links": links_to(collection, "$request.path.record_id", "$response.header.ETag")
            },
        },
    )
    router.add_api_route(
        "/stats" + collection.path,
        get_stats,
        methods=["GET"],
        operation_id=collection.operation("get", collection.singular, "Stats"),
        openapi_extra=documented(stats_query),
        summary=f"Count and aggregate {collection.plural}",
        description=(
            f"Counts of {collection.plural} per group, with sum, min, max and mean of each "
            "numeric field; takes the same filters as the list."
        ),
        response_model=StatsOut,
        responses=PROBLEM_RESPONSES,
    )
    router.add_api_route(
        "/stats" + collection.path + "/facets",
        get_facets,
        methods=["GET"],
        operation_id=collection.operation("get", collection.singular, "Facets"),
        openapi_extra=documented(filters_query),
        summary=f"Facet counts of {collection.plural}",
        description=(
            "For each filterable field, how many matching records have each value: what a "
            "frontend needs to draw filter chips."
        ),
        response_model=FacetsOut,
        responses=PROBLEM_RESPONSES,
    )
    if collection.write is not None:
        add_write_routes(router, collection)
    return router


def links_to(collection: Collection, record_id: str, etag: str | None = None) -> dict[str, Any]:
    """OpenAPI links from an answer to the operations on the record it names: how a client (or
    a stateful test) goes from a list to a record, and from a record's ETag to its writes."""
    by_id = {"record_id": record_id}
    links = {"get": (collection.operation("get", collection.singular), by_id)}
    if collection.write is not None:
        links["history"] = (collection.operation("get", collection.singular, "History"), by_id)
        if etag is not None:
            guarded = {**by_id, "header.If-Match": etag}
            links["update"] = (collection.operation("update", collection.singular), guarded)
            links["delete"] = (collection.operation("delete", collection.singular), guarded)
    return {
        name: {"operationId": operation_id, "parameters": parameters}
        for name, (operation_id, parameters) in links.items()
    }


def record_id_path(collection: Collection) -> Any:
    """The `{record_id}` path parameter of a collection."""
    return Path(
        max_length=200,
        pattern=writes.SLUG_PATTERN,
        description=f"The {collection.singular}'s id (a slug).",
        examples=[collection.id_example],
    )


MERGE_PATCH = "application/merge-patch+json"


def _utf8(parameters: str) -> bool:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower() in ("utf-8", "utf8")
    return True


@cache
def body_of_type(*media_types: str) -> Callable[[Request], Awaitable[bytes]]:
    """A dependency: the request body as sent, if its Content-Type is one of `media_types`
    (in UTF-8); a 415 otherwise, before any other check. A body that declares no type is
    examined as one of them (RFC 9110, 8.3), and refused if it is not."""

    async def body(request: Request) -> bytes:
        declared = request.headers.get("content-type")
        if declared is not None:
            media_type, _, parameters = declared.partition(";")
            if media_type.strip().lower() not in media_types or not _utf8(parameters):
                takes = ", ".join(media_types)
                message = f"{declared!r} is not a content type this operation takes ({takes})"
                accept = "Accept-Patch" if request.method == "PATCH" else "Accept-Post"
                raise AppError(
                    415,
                    f"The body's Content-Type {message}.",
                    errors=[ProblemError(loc=["header", "Content-Type"], msg=message)],
                    headers={accept: takes},
                )
        return await request.body()

    return body


def an_etag_in_if_match(request: Request) -> None:
    """Refuse, before the write turn, a change without `If-Match` (428) or with `If-Match: *`
    (412): `*` matches whatever the record has become, so it would overwrite an edit unseen."""
    header = request.headers.get("if-match")
    if header is None:
        raise AppError(428, "This write needs If-Match with the record's ETag (from a GET).")
    if "*" in {tag.strip() for tag in header.split(",")}:
        raise AppError(
            412,
            "If-Match: * is not taken: it matches whatever the record has become, so it would "
            "overwrite a colleague's edit unseen. Send the record's ETag, from a GET.",
        )


def add_write_routes(router: APIRouter, collection: Collection) -> None:
    """POST, PATCH (JSON merge patch) and DELETE for curators, and the public history.

    Each write is refused, where it can be, before it queues for the write turn: a content
    type it does not take (415), then no valid key (401, 403), an empty rate bucket (429), and
    If-Match missing (428) or `*` (412). FastAPI resolves a route's dependencies in the order
    of its parameters, which is that order; the rest is checked in the write's transaction."""
    assert collection.write is not None
    spec, schema = collection.write, collection.schema
    json_body = Depends(body_of_type("application/json"))
    patch_body = Depends(body_of_type(MERGE_PATCH, "application/json"))
    with_an_etag = Depends(an_etag_in_if_match)

    def render(record: Any) -> dict[str, Any]:
        return render_record(record, schema)

    def existing(session: Session, record_id: str) -> Any:
        record = writes.lock_record(session=session, spec=spec, record_id=record_id)
        if record is None:
            raise not_found(collection.singular, record_id)
        return record

    def create(
        request: Request,
        body: Annotated[bytes, json_body],
        key: CuratorKey,
        session: CuratorSession,
    ) -> Response:
        payload = writes.parse_create(spec, body)
        record = writes.create_record(
            session=session, spec=spec, payload=payload, actor=key.name, render=render
        )
        location = f"{request.url.path.rstrip('/')}/{record.id}"
        return json_response(request, render(record), status=201, headers={"Location": location})

    def update(
        request: Request,
        body: Annotated[bytes, patch_body],
        key: CuratorKey,
        _etag: Annotated[None, with_an_etag],
        session: CuratorSession,
        record_id: Annotated[str, record_id_path(collection)],
    ) -> Response:
        record = existing(session, record_id)
        check_if_match(request, etag_of(render(record)))
        writes.update_record(
            session=session, spec=spec, record=record, body=body, actor=key.name, render=render
        )
        return json_response(request, render(record))

    def remove(
        request: Request,
        key: CuratorKey,
        _etag: Annotated[None, with_an_etag],
        session: CuratorSession,
        record_id: Annotated[str, record_id_path(collection)],
    ) -> Response:
        record = existing(session, record_id)
        check_if_match(request, etag_of(render(record)))
        writes.delete_record(
            session=session, spec=spec, record=record, actor=key.name, render=render
        )
        return Response(status_code=204)

    def history(
        request: Request, session: SessionDep, record_id: Annotated[str, record_id_path(collection)]
    ) -> Response:
        changes = writes.list_history(session=session, subject=spec.subject, record_id=record_id)
        if not changes and collection.get_record(session, record_id) is None:
            raise not_found(collection.singular, record_id)
        items = [HistoryEntry.model_validate(change).model_dump(mode="json") for change in changes]
        return json_response(request, {"items": items})

    create_name = writes.create_model_for(spec).__name__
    writes.field_adapters(spec)  # built now, while one thread runs
    body_schema = {"$ref": f"#/components/schemas/{create_name}"}
    patch_schema = {"$ref": f"#/components/schemas/{create_name}Patch"}
    problems = {**PROBLEM_RESPONSES, **WRITE_PROBLEMS}
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": (
            "The record's ETag, from a GET or the last write (a 428 without it; `*` is not taken)."
        ),
    }
    router.add_api_route(
        collection.path,
        create,
        methods=["POST"],
        status_code=201,
        operation_id=collection.operation("create", collection.singular),
        summary=f"Create {collection.a_singular}",
        description=(
            "Takes the seed file's record format; `id` is made from the name when not given. "
            "Every stated field must be named by a citation. Needs a curator key."
        ),
        response_model=schema,
        responses={
            **problems,
            201: {"links": links_to(collection, "$response.body#/id", "$response.header.ETag")},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": body_schema}},
            }
        },
    )
    router.add_api_route(
        collection.path + "/{record_id}",
        update,
        methods=["PATCH"],
        operation_id=collection.operation("update", collection.singular),
        summary=f"Change {collection.a_singular}",
        description=(
            "A JSON merge patch: given fields replace, null clears. Citations given are added, "
            "and each field stated anew must be named by one. Needs a curator key and "
            "`If-Match` with the record's ETag."
        ),
        response_model=schema,
        responses={
            **problems,
            200: {
                "links": links_to(collection, "$request.path.record_id", "$response.header.ETag")
            },
        },
        openapi_extra={
            "parameters": [if_match],
            "requestBody": {
                "required": True,
                "content": {
                    "application/merge-patch+json": {"schema": patch_schema},
                    "application/json": {"schema": patch_schema},
                },
            },
        },
    )
    router.add_api_route(
        collection.path + "/{record_id}",
        remove,
        methods=["DELETE"],
        status_code=204,
        operation_id=collection.operation("delete", collection.singular),
        summary=f"Delete {collection.a_singular}",
        description=(
            "The record leaves every read; its history stays. Needs a curator key and "
            "`If-Match` with the record's ETag; a 409 while other records refer to it."
        ),
        responses={status: doc for status, doc in problems.items() if status != 415},
        openapi_extra={"parameters": [if_match]},
    )
    router.add_api_route(
        collection.path + "/{record_id}/history",
        history,
        methods=["GET"],
        operation_id=collection.operation("get", collection.singular, "History"),
        summary=f"History of {collection.a_singular}",
        description="Every change to the record through the API, oldest first.",
        response_model=HistoryOut,
        responses=PROBLEM_RESPONSES,
    )


WRITE_ONLY_DESCRIPTIONS = {
    "id": "Stable slug; made from the name (pinyin) when not given. It never changes.",
    "name_zh_hant": "Name in traditional characters; derived with OpenCC when not given.",
    "citations": "The passages that state the record's facts; each names the fields it supports.",
    "citation": "The passage that states the figure.",
    "subject": "The record the figure describes.",
    "unit_normalized": "Base unit of a figure whose number has no unit (ratio, count, rank).",
    "organization_ids": "Organizations behind the project.",
    "type": "Kind of record (`project`, `park`, ...).",
    "source_id": "The cited source (`/api/v1/sources/{id}`).",
}


def _describe(schema: dict[str, Any], model: type[BaseModel] | None) -> None:
    """Describe a write schema's fields, and give them examples, as `model` (the read schema)
    does; fields only writes have get their descriptions here."""
    known = model.model_json_schema()["properties"] if model is not None else {}
    for name, prop in schema.get("properties", {}).items():
        read = known.get(name, {})
        if not prop.get("description"):
            prop["description"] = read.get("description") or (
                WRITE_ONLY_DESCRIPTIONS.get(name, name.replace("_", " ").capitalize() + ".")
            )
        if "examples" not in prop and "examples" in read:
            prop["examples"] = read["examples"]


def write_schemas(collections: tuple[Collection, ...]) -> dict[str, Any]:
    """OpenAPI components for the write bodies: each collection's record format (its fields
    described as the read schema describes them) and its merge patch (none required)."""
    components: dict[str, Any] = {}
    for collection in collections:
        if collection.write is None:
            continue
        model = writes.create_model_for(collection.write)
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            _describe(definition, CitationOut if name == "CitationSeed" else None)
            components[name] = definition
        _describe(schema, collection.schema)
        components[model.__name__] = schema
        components[f"{model.__name__}Patch"] = {
            "type": "object",
            "title": f"{model.__name__}Patch",
            "description": (
                "A JSON merge patch (RFC 7396) of the record's fields: null clears a field; "
                "citations given are added to the record's."
            ),
            "properties": schema["properties"],
            "additionalProperties": False,
        }
    return components


class HistoryEntry(BaseModel):
    """One change to a record."""

    model_config = {"from_attributes": True}

    action: Action = Field(description="`create`, `update` or `delete`.", examples=["update"])
    actor: str = Field(description="The name of the API key that made it.", examples=["curator"])
    at: dt.datetime = Field(description="When (UTC).", examples=["2026-11-26T13:00:00Z"])
    before: dict[str, Any] | None = Field(
        description="The record before; null for a create.",
        examples=[{"id": "catl-ly9", "status": "signed"}],
    )
    after: dict[str, Any] | None = Field(
        description="The record after; null for a delete.",
        examples=[{"id": "catl-ly9", "status": "under_construction"}],
    )

    @field_validator("at")
    @classmethod
    def _in_utc(cls, value: dt.datetime) -> dt.datetime:
        # SQLite hands back timestamps without their zone; every one was written in UTC.
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class HistoryOut(BaseModel):
    """A record's changes, oldest first."""

    items: list[HistoryEntry] = Field(description="The changes, oldest first.")


WRITE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": description}
    for status, description in (
        (401, "No valid API key."),
        (403, "The key lacks the scope this needs."),
        (409, "The id is taken, or other records still refer to this one."),
        (412, "`If-Match` names an ETag the record no longer has, or is `*`."),
        (413, "The body is over 1 MiB."),
        (415, "The body's Content-Type is not one the operation takes."),
        (428, "`If-Match` is missing."),
        (429, "Too many writes with this key; retry after `Retry-After`."),
        (507, "The database has no room left for the write; nothing was written."),
    )
}
