import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response, StreamingResponse

CACHE_CONTROL = "public, no-cache"
"""Caches may store a response but must revalidate it (cheaply, by ETag) before reuse."""


def _digest(data: bytes) -> str:
    return '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def _not_modified(request: Request, etag: str) -> Response | None:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
    return None


def json_response(request: Request, payload: Any) -> Response:
    """A JSON response whose strong ETag is a digest of its bytes; If-None-Match gives 304."""
    body = orjson.dumps(payload)
    etag = _digest(body)
    not_modified = _not_modified(request, etag)
    if not_modified is not None:
        return not_modified
    return Response(
        body,
        media_type="application/json",
        headers={"ETag": etag, "Cache-Control": CACHE_CONTROL},
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
    not_modified = _not_modified(request, etag)
    if not_modified is not None:
        return not_modified
    return StreamingResponse(
        (chunk.encode("utf-8") for chunk in body()),
        media_type="text/csv; charset=utf-8",
        headers={
            "ETag": etag,
            "Cache-Control": CACHE_CONTROL,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
