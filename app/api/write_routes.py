"""The write routes of the collections curators write: POST, PATCH (JSON merge patch) and
DELETE, and the public history of each record.

Each write is refused, where it can be, before it queues for the write turn: a content type it
does not take (415), then no valid key (401, 403), an empty rate bucket (429), and If-Match
missing (428) or `*` (412). FastAPI resolves a route's dependencies in the order of its
parameters, which is that order; the rest is checked in the write's transaction, against the
record's stored rendering, which is also what the answer, the history and GET give."""

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.api import openapi
from app.api.binding import bind
from app.api.params import query_of
from app.api.schemas import HistoryEntry, HistoryQuery
from app.auth import CuratorKey, CuratorSession
from app.collections.base import Collection
from app.db import SessionDep
from app.errors import AppError, ProblemError, bad_parameter
from app.http import check_if_match, etag_of_bytes, json_bytes_response, json_response
from app.listing.cursor import seal, unseal
from app.projections.rendering import stored_rendering
from app.services import history, writes
from app.services.installation import cursor_key
from app.services.write_bodies import field_adapters, parse_create


def not_found(collection: Collection, record_id: str) -> AppError:
    """A 404 naming the record that does not exist."""
    return AppError(404, f"No {collection.singular} with id {record_id!r}.")


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


JSON_BODY = Depends(body_of_type("application/json"))
PATCH_BODY = Depends(body_of_type(openapi.MERGE_PATCH, "application/json"))
WITH_AN_ETAG = Depends(an_etag_in_if_match)


def create(
    collection: Collection,
    request: Request,
    body: Annotated[bytes, JSON_BODY],
    key: CuratorKey,
    session: CuratorSession,
) -> Response:
    """Create a record from its record format."""
    payload = parse_create(collection, body)
    record_id, rendered = writes.create_record(
        session=session, collection=collection, payload=payload, actor=key.name
    )
    location = f"{request.url.path.rstrip('/')}/{record_id}"
    return json_bytes_response(request, rendered, status=201, headers={"Location": location})


def _locked(
    request: Request, session: CuratorSession, collection: Collection, record_id: str
) -> bytes:
    """The record's rendering, locked; a 404 if there is none, a 412 if If-Match is stale."""
    before = writes.locked_rendering(session=session, collection=collection, record_id=record_id)
    if before is None:
        raise not_found(collection, record_id)
    check_if_match(request, etag_of_bytes(before))
    return before


def update(
    collection: Collection,
    request: Request,
    body: Annotated[bytes, PATCH_BODY],
    key: CuratorKey,
    _etag: Annotated[None, WITH_AN_ETAG],
    session: CuratorSession,
    record_id: str,
) -> Response:
    """Apply a merge patch to a record."""
    before = _locked(request, session, collection, record_id)
    rendered = writes.update_record(
        session=session,
        collection=collection,
        record_id=record_id,
        before=before,
        body=body,
        actor=key.name,
    )
    return json_bytes_response(request, rendered)


def remove(
    collection: Collection,
    request: Request,
    key: CuratorKey,
    _etag: Annotated[None, WITH_AN_ETAG],
    session: CuratorSession,
    record_id: str,
) -> Response:
    """Delete a record."""
    before = _locked(request, session, collection, record_id)
    writes.delete_record(
        session=session, collection=collection, record_id=record_id, before=before, actor=key.name
    )
    return Response(status_code=204)


def record_history(
    collection: Collection,
    request: Request,
    session: SessionDep,
    record_id: str,
    query: Annotated[HistoryQuery, query_of(HistoryQuery)],
) -> Response:
    """The changes to a record through the API, oldest first, a page at a time."""
    subject = collection.subject
    key, scope = cursor_key(session=session), f"history:{subject}:{record_id}"
    after = 0
    if query.cursor:
        after = unseal(query.cursor, "cursor", key=key, scope=scope).get("i", -1)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise bad_parameter("cursor", "not a cursor this server issued")
    changes = history.list_history(
        session=session, subject=subject, record_id=record_id, after=after, limit=query.limit + 1
    )
    if (
        not changes
        and not after
        and (stored_rendering(session=session, subject=subject, record_id=record_id) is None)
    ):
        raise not_found(collection, record_id)
    following = changes[: query.limit]
    next_cursor = None
    if len(changes) > query.limit:
        next_cursor = seal({"i": following[-1].id}, key=key, scope=scope)
    items = [HistoryEntry.model_validate(change).model_dump(mode="json") for change in following]
    return json_response(
        request, {"items": items, "limit": query.limit, "next_cursor": next_cursor}
    )


def add_write_routes(router: APIRouter, collection: Collection) -> None:
    """POST, PATCH and DELETE for curators, and the public history."""
    field_adapters(collection)  # built now, while one thread runs
    record_id = Annotated[str, openapi.record_id_path(collection)]
    one = collection.path + "/{record_id}"
    for path, handler, method, operation in (
        (collection.path, create, "POST", openapi.create_operation(collection)),
        (one, update, "PATCH", openapi.update_operation(collection)),
        (one, remove, "DELETE", openapi.delete_operation(collection)),
        (one + "/history", record_history, "GET", openapi.history_operation(collection)),
    ):
        endpoint = bind(handler, collection, record_id=record_id)
        router.add_api_route(path, endpoint, methods=[method], **operation)
