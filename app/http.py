import hashlib
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

CACHE_CONTROL = "public, no-cache"
"""Caches may store a response but must revalidate it (cheaply, by ETag) before reuse."""


def etag_for(body: bytes) -> str:
    """A strong ETag: a digest of the exact bytes sent."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def json_response(request: Request, payload: Any) -> Response:
    """A JSON response with a strong ETag, answering If-None-Match with 304."""
    body = orjson.dumps(payload)
    etag = etag_for(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
