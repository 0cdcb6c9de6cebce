import copy
import hashlib
from collections.abc import Callable, Generator
from typing import Any

import anyio
import orjson
from fastapi import APIRouter, Request
from starlette._utils import get_route_path  # as FastAPI's router reads the path
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError, problem_response

CACHE_CONTROL = "public, no-cache"
"""Caches may store a response but must revalidate it (cheaply, by ETag) before reuse."""
EXPOSED_HEADERS = ["ETag"]
"""The answer headers a browser's script on another origin may read (CORS)."""


def _digest(data: bytes) -> str:
    """A strong ETag: a digest of the exact bytes."""
    return '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'


def gzip_etag(etag: str) -> str:
    """The ETag of the gzip coding of the answer tagged `etag`: strong validators differ between
    a representation's codings (RFC 9110, 8.8.3), as `GZipWithItsOwnETag` sends them."""
    return etag[:-1] + '-gzip"'


def _named(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def etag_held(if_none_match: str, etag: str) -> str | None:
    """Which tag of the answer tagged `etag` an `If-None-Match` value names (weakly): its gzip
    coding's, or `etag` itself (also for `*`); None for neither. A 304 carries it."""
    candidates = _named(if_none_match)
    if gzip_etag(etag) in candidates:
        return gzip_etag(etag)
    return etag if etag in candidates or "*" in candidates else None


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether an `If-None-Match` value names `etag` (weakly), or its gzip coding's, or is `*`."""
    return etag_held(if_none_match, etag) is not None


def not_modified(request: Request, etag: str) -> Response | None:
    """A 304 when `If-None-Match` names `etag` (or `*`), else None."""
    if_none_match = request.headers.get("if-none-match")
    held = None if if_none_match is None else etag_held(if_none_match, etag)
    if held is not None:
        return Response(status_code=304, headers={"ETag": held, "Cache-Control": CACHE_CONTROL})
    return None


def negotiated(response: Response) -> Response:
    """`response`, marked as chosen by `Accept` (JSON or CSV), for the caches between."""
    response.headers.add_vary_header("Accept")
    return response


GZIP_LEVEL = 1
"""zlib's fastest level. Every browser, and pandas through `requests`, asks for gzip, and a
whole answer under 128 KiB is compressed on the event loop: at Starlette's default (9, the
slowest) a 50-record page took 181 µs against 76, and a 200-record one 1.1 ms against 0.18,
for bodies 20 to 40% smaller; side by side, lists asked for with gzip served 11% more a
second at level 1, each for 9% less CPU (bench/README.md, "Gzip")."""


class GZipWithItsOwnETag(GZipMiddleware):
    """Starlette's gzip middleware, at `GZIP_LEVEL`, whose compressed answers carry the ETag of
    their coding (`gzip_etag`), not the one of the uncompressed answer they were made from."""

    def __init__(self, app: ASGIApp, *, minimum_size: int) -> None:
        super().__init__(app, minimum_size=minimum_size, compresslevel=GZIP_LEVEL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        encoding = Headers(scope=scope).get("accept-encoding")
        if encoding is not None and "gzip" in encoding and not accepts_gzip(encoding):
            # Refused (`gzip;q=0`): Starlette reads only whether the word is there.
            headers = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
            scope = {**scope, "headers": headers}

        async def retagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                etag = headers.get("etag")
                if etag is not None and headers.get("content-encoding") == "gzip":
                    headers["etag"] = gzip_etag(etag)
            await send(message)

        await super().__call__(scope, receive, retagged)


def etag_of_bytes(body: bytes) -> str:
    """The ETag `json_bytes_response` gives this body."""
    return _digest(body)


def check_if_match(request: Request, current: str) -> None:
    """A write needs `If-Match` with the record's current ETag: 428 without, 412 when stale."""
    header = request.headers.get("if-match")
    if header is None:
        raise AppError(428, "This write needs If-Match with the record's ETag (from a GET).")
    tags = {tag.strip() for tag in header.split(",")}
    if "*" not in tags and current not in tags and gzip_etag(current) not in tags:
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
    return tagged_response(
        request, body, media_type="application/json", status=status, headers=headers
    )


def tagged_response(
    request: Request,
    body: bytes,
    *,
    media_type: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A whole response whose strong ETag is a digest of its bytes; a 200's If-None-Match
    gives 304."""
    etag = _digest(body)
    if status == 200:
        unchanged = not_modified(request, etag)
        if unchanged is not None:
            return unchanged
    return Response(
        body,
        status_code=status,
        media_type=media_type,
        headers={"ETag": etag, "Cache-Control": CACHE_CONTROL, **(headers or {})},
    )


def quality(header: str, token: str) -> float | None:
    """The preference (`q`, 1 unless given) an `Accept` or `Accept-Encoding` value gives
    `token` by name; None when it does not name it."""
    for item in header.split(","):
        name, *parameters = item.split(";")
        if name.strip().lower() != token:
            continue
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    return float(value)
                except ValueError:
                    return 0.0
        return 1.0
    return None


def prefers_csv(accept: str) -> bool:
    """Whether an `Accept` value asks for text/csv, and prefers it to JSON at least as much."""
    csv = quality(accept, "text/csv")
    return csv is not None and csv > 0 and csv >= (quality(accept, "application/json") or 0.0)


def accepts_gzip(encoding: str) -> bool:
    """Whether an `Accept-Encoding` value takes gzip (named, and not with `q=0`)."""
    return bool(quality(encoding, "gzip"))


def wants_csv(request: Request, format_: str | None) -> bool:
    """CSV when `format=csv`, or when no format is given and `Accept` prefers text/csv."""
    if format_ is not None:
        return format_ == "csv"
    return prefers_csv(request.headers.get("accept", ""))


CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def _attachment(filename: str) -> str:
    """`Content-Disposition` for a download saved as `filename`."""
    return f'attachment; filename="{filename}"'


class ClosingStream(StreamingResponse):
    """A streamed answer that closes its source, then calls `on_close`, as soon as it ends,
    however it ends: sent whole, its client gone part way (or before the first row), or the
    server stopping. A CSV's source holds a pooled connection, and a turn to stream
    (`app.db.streaming_turn`), until then: left to the garbage collector, one whose client went
    away kept them for longer than a test's 15 s, and a source never started, never."""

    def __init__(
        self,
        source: Generator[str, None, None],
        *,
        on_close: Callable[[], object] = lambda: None,
        **options: Any,
    ) -> None:
        super().__init__((chunk.encode("utf-8") for chunk in source), **options)
        self.source = source
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # No worker thread is running the source now: Starlette waits for the one it
            # started, even when cancelled. Closing may wait on the database: off the loop.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._close)

    def _close(self) -> None:
        try:
            self.source.close()
        finally:
            self.on_close()


def csv_response(
    request: Request,
    *,
    revision: int,
    filename: str,
    body: Callable[[], Generator[str, None, None]],
    on_close: Callable[[], object] = lambda: None,
) -> Response:
    """A streamed CSV response; `on_close` runs once it has ended, however it ended.

    Its bytes are not known before they are sent, so its strong ETag digests what determines
    them: the knowledge base's revision and the request's query."""
    key = f"{revision}|{request.url.path}|{sorted(request.query_params.multi_items())}|csv"
    etag = _digest(key.encode())
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    return ClosingStream(
        body(),
        on_close=on_close,
        media_type=CSV_MEDIA_TYPE,
        headers={
            "ETag": etag,
            "Cache-Control": CACHE_CONTROL,
            "Content-Disposition": _attachment(filename),
        },
    )


def csv_page_response(
    request: Request, *, body: bytes, filename: str, next_page: str | None
) -> Response:
    """One page of a CSV list, whole: its strong ETag digests its bytes, and a `Link` header
    names the next page, as `next_cursor` does in JSON."""
    headers = {"Content-Disposition": _attachment(filename)}
    if next_page is not None:
        headers["Link"] = f'<{next_page}>; rel="next"'
    return tagged_response(request, body, media_type=CSV_MEDIA_TYPE, headers=headers)


class TagEveryAnswer:
    """A strong ETag (and a 304 for `If-None-Match`) on a GET's whole answer that has none:
    the pages and the API document. API answers make theirs; streamed ones pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        held: Message | None = None

        async def tagged(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if message["status"] == 200 and "etag" not in headers:
                    held = message
                    return
            elif held is not None:
                start, held = held, None
                if not message.get("more_body", False):
                    etag = _digest(message.get("body", b""))
                    if_none_match = Headers(scope=scope).get("if-none-match")
                    if if_none_match is not None and etag_matches(if_none_match, etag):
                        unchanged = {"ETag": etag}
                        caching = MutableHeaders(scope=start).get("cache-control")
                        if caching is not None:
                            unchanged["Cache-Control"] = caching
                        await Response(status_code=304, headers=unchanged)(scope, receive, send)
                        return
                    MutableHeaders(scope=start)["etag"] = etag
                await send(start)
            await send(message)

        await self.app(scope, receive, tagged)


class CORSWithProblems(CORSMiddleware):
    """Starlette's CORS middleware, whose refusal of a preflight is a problem like every other
    refusal (Starlette's is plain text), with the CORS headers that say what is allowed."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        allowed = {
            name: value
            for name, value in response.headers.items()
            if name.startswith("access-control-") or name == "vary"
        }
        error = AppError(
            400,
            f"This cross-origin request is refused (its {refused}): reads (GET and HEAD) are "
            "open to every origin, writes only to clients that are not browsers on other sites.",
            headers=allowed,
        )
        return problem_response(error)


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


INDEXED_SEGMENTS = 4
"""How many leading segments of a path the route index tells routes apart by."""


def _static_segments(path: str) -> tuple[str, ...]:
    """The leading segments of a route's path before its first parameter, at most
    `INDEXED_SEGMENTS`: `/api/v1/projects/{record_id}` gives `("api", "v1", "projects")`."""
    segments = []
    for segment in path.split("/")[1 : INDEXED_SEGMENTS + 1]:
        if "{" in segment:
            break
        segments.append(segment)
    return tuple(segments)


class RouteIndex:
    """The application's router, first narrowed to the routes whose paths could match.

    FastAPI's router tries each of its routes in turn, and each included router tries each of
    its own: with a dozen routers of a dozen routes, finding `/healthz` took half of that
    request's time. This index keeps, for the leading static segments of every path each root
    route serves, which root routes those are. A request goes to a copy of the router holding
    only the root routes whose segments its path begins with, in their order: FastAPI's router
    then chooses among them as it would among all (no route left out could match the path),
    with the same 404, 405 and trailing-slash redirect. One copy is kept per set of routes."""

    def __init__(self, router: APIRouter, served: list[list[str]]) -> None:
        """`served[i]` are the paths the router's root route `i` serves."""
        self.router = router
        self.whole = router.app
        self.positions: dict[tuple[str, ...], set[int]] = {}
        for position, paths in enumerate(served):
            for path in paths:
                self.positions.setdefault(_static_segments(path), set()).add(position)
        self.narrowed: dict[tuple[int, ...], APIRouter] = {}
        self.indexed = len(served)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or len(self.router.routes) != self.indexed:
            await self.whole(scope, receive, send)  # a route added since: unindexed
            return
        segments = tuple(get_route_path(scope).split("/")[1 : INDEXED_SEGMENTS + 1])
        found: set[int] = set()
        for length in range(len(segments) + 1):
            found.update(self.positions.get(segments[:length], ()))
        key = tuple(sorted(found))
        narrowed = self.narrowed.get(key)
        if narrowed is None:
            narrowed = self.narrowed[key] = copy.copy(self.router)
            narrowed.routes = [self.router.routes[position] for position in key]
        scope.setdefault("router", self.router)
        await narrowed.app(scope, receive, send)
