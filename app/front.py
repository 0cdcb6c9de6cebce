"""The front path: a record by id, the commonest read, answered without the framework.

`GET /api/v1/{collection}/{id}` with no query string is one primary-key read of the record's
stored rendering. Through the framework it cost about 0.5 ms (routing, dependencies, the
query model's validation, the middleware chain) around a read of 20 µs. Here it is read on the
event loop, through the loop's connection, and answered with the status and headers the
application gives the same request, header for header and byte for byte
(`tests/test_front_path.py` compares them): a dashboard's browser on another origin included,
while every origin may read, as by default. Every request it cannot answer so goes to the
application unchanged."""

import re
from collections.abc import Callable, Iterable

from starlette._utils import get_route_path  # as the application's router reads the path
from starlette.types import ASGIApp, Receive, Scope, Send

from app.collections.base import Collection
from app.db import LoopConnection
from app.http import CACHE_CONTROL, EXPOSED_HEADERS, accepts_gzip, etag_held, etag_of_bytes
from app.models.base import SLUG_LENGTH, SLUG_PATTERN

GZIP_MINIMUM_BYTES = 1000
"""The application's `GZipMiddleware(minimum_size=...)` (app/main.py): a body this long or
longer is compressed for a client that accepts gzip, and carries `Vary: Accept-Encoding` for any
other."""
_RECORD_ID = re.compile(SLUG_PATTERN)
"""What the application accepts as a record's id (any other is a 422 problem from it, without a
read); no longer than a stored id can be."""
_CACHE_CONTROL = CACHE_CONTROL.encode()
_JSON = b"application/json"
_VARY = (b"vary", b"Origin")
"""What the CORS middleware adds to an answer to a request without an `Origin`."""
_VARY_LARGE = (b"vary", b"Accept-Encoding, Origin")
"""... and to one the gzip middleware could have compressed."""
_OPEN_TO_EVERY_ORIGIN = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", ", ".join(EXPOSED_HEADERS).encode()),
]
"""What the CORS middleware adds to an answer to a request with an `Origin`, when reads are open
to every origin (`CORS_ORIGINS` holds `*`) and no credentials are allowed: before its `Vary`,
or after the one the gzip middleware added."""


class RecordFrontPath:
    """Answers `GET {prefix}/{collection}/{id}`, with no query string, for a record that has a
    stored rendering; it stands aside, and the application answers, for anything else:
    another method or path, a query, an id the application refuses, an `Origin` unless every
    origin may read, gzip for a body the application compresses, no such record, a record not
    yet rendered, a database failure, or the application still preparing its database."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        connection: LoopConnection,
        prefix: str,
        collections: Iterable[Collection],
        taken: Iterable[str],
        ready: Callable[[], bool],
        every_origin: bool,
    ) -> None:
        """`taken` are the application's other GET paths: a path among them is never read as a
        record's (`/api/v1/projects/{id}` could otherwise shadow a route such as
        `/api/v1/projects/export`). `every_origin`: the application's CORS lets every origin
        read (and answers a request with an `Origin` with `_OPEN_TO_EVERY_ORIGIN`)."""
        self.app = app
        self.connection = connection
        self.prefix = prefix + "/"
        self.tables = {found.path.strip("/"): found.table.name for found in collections}
        self.taken = frozenset(taken)
        self.ready = ready
        self.every_origin = every_origin
        self.prepared = False
        self.statements: dict[str, str] = {}
        self.answered = 0
        """How many requests it answered (the tests read it)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = self._answer(scope) if scope["type"] == "http" else None
        if answer is None:
            await self.app(scope, receive, send)
            return
        self.answered += 1
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _answer(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        if scope["method"] != "GET" or scope["query_string"]:
            return None
        path = get_route_path(scope)
        if not path.startswith(self.prefix) or path in self.taken:
            return None
        segments = path[len(self.prefix) :].split("/")
        if len(segments) != 2:
            return None
        table = self.tables.get(segments[0])
        record_id = segments[1]
        if table is None or len(record_id) > SLUG_LENGTH or not _RECORD_ID.fullmatch(record_id):
            return None
        encoding = if_none_match = None
        cors: list[tuple[bytes, bytes]] = []
        # The first of a repeated header, as the application (Starlette's `Headers.get`) reads it.
        for name, value in scope["headers"]:
            if name == b"origin":
                if not self.every_origin:
                    return None
                cors = _OPEN_TO_EVERY_ORIGIN
            elif name == b"accept-encoding" and encoding is None:
                encoding = value
            elif name == b"if-none-match" and if_none_match is None:
                if_none_match = value
        if not self.prepared:
            self.prepared = self.ready()  # once prepared, for good
            if not self.prepared:
                return None
        try:
            row = self.connection.read(self._statement(table), (record_id,))
        except Exception:  # the application reports it
            return None
        if row is None or row[0] is None:
            return None
        body = row[0] if isinstance(row[0], bytes) else row[0].encode()
        etag = etag_of_bytes(body)
        held = None if if_none_match is None else etag_held(if_none_match.decode("latin-1"), etag)
        if held is not None:
            unchanged = [(b"etag", held.encode()), (b"cache-control", _CACHE_CONTROL)]
            return 304, [*unchanged, *cors, _VARY], b""
        large = len(body) >= GZIP_MINIMUM_BYTES
        if large and encoding is not None and accepts_gzip(encoding.decode("latin-1")):
            return None
        headers = [
            (b"etag", etag.encode()),
            (b"cache-control", _CACHE_CONTROL),
            (b"content-length", str(len(body)).encode()),
            (b"content-type", _JSON),
            *([_VARY_LARGE, *cors] if large else [*cors, _VARY]),
        ]
        return 200, headers, body

    def _statement(self, table: str) -> str:
        statement = self.statements.get(table)
        if statement is None:
            placeholder = self.connection.placeholder()
            statement = f"SELECT rendered FROM {table} WHERE id = {placeholder}"
            self.statements[table] = statement
        return statement
