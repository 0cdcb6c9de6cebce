import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError

CACHE_CONTROL = "public, no-cache"
"""Caches may store a response but must revalidate it (cheaply, by ETag) before reuse."""


def _digest(data: bytes) -> str:
    """A strong ETag: a digest of the exact bytes."""
    return '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def not_modified(request: Request, etag: str) -> Response | None:
    """A 304 when `If-None-Match` names `etag` (or `*`), else None."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
    return None


def etag_of_bytes(body: bytes) -> str:
    """The ETag `json_bytes_response` gives this body."""
    return _digest(body)


def check_if_match(request: Request, current: str) -> None:
    """A write needs `If-Match` with the record's current ETag: 428 without, 412 when stale."""
    header = request.headers.get("if-match")
    if header is None:
        raise AppError(428, "This write needs If-Match with the record's ETag (from a GET).")
    tags = {tag.strip() for tag in header.split(",")}
    if "*" not in tags and current not in tags:
        raise AppError(
            412,
            "The record has changed since that ETag was issued; GET it again, then retry.",
            headers={"ETag": current},
        )


def json_response(
    request: Request, payload: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response whose strong ETag is a digest of its bytes; If-None-Match gives 304."""
    return json_bytes_response(request, orjson.dumps(payload), status=status, headers=headers)


def json_bytes_response(
    request: Request, body: bytes, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """`json_response` for a body already serialized."""
    etag = _digest(body)
    if status == 200:
        unchanged = not_modified(request, etag)
        if unchanged is not None:
            return unchanged
    return Response(
        body,
        status_code=status,
        media_type="application/json",
        headers={"ETag": etag, "Cache-Control": CACHE_CONTROL, **(headers or {})},
    )


def wants_csv(request: Request, format_: str | None) -> bool:
    """CSV when `format=csv`, or when no format is given and the client accepts text/csv."""
    if format_ is not None:
        return format_ == "csv"
    return "text/csv" in request.headers.get("accept", "")


def csv_response(
    request: Request, *, revision: int, filename: str, body: Callable[[], Iterator[str]]
) -> Response:
    """A streamed CSV response.

    Its bytes are not known before they are sent, so its strong ETag digests what determines
    them: the knowledge base's revision and the request's query."""
    key = f"{revision}|{request.url.path}|{sorted(request.query_params.multi_items())}|csv"
    etag = _digest(key.encode())
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    return StreamingResponse(
        (chunk.encode("utf-8") for chunk in body()),
        media_type="text/csv; charset=utf-8",
        headers={
            "ETag": etag,
            "Cache-Control": CACHE_CONTROL,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


class HeadAsGet:
    """`HEAD` wherever `GET` is: the request is served as a `GET`, and its answer goes out with
    the same status and headers (`ETag`, `Content-Length`, ...) and no body (RFC 9110, 9.3.2).
    Outermost, so that the cache, compression and every route treat it as the `GET` it mirrors."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def without_body(message: Message) -> None:
            nonlocal finished
            if message["type"] != "http.response.body":
                await send(message)
            elif not finished:
                finished = True  # whatever the GET would stream after this is dropped
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, without_body)
