"""Whole responses to reads, kept below the framework and served without it.

Every write advances the knowledge base's revision in its own transaction
(app/projections/upkeep.py), whichever worker, replica or command makes it. Before
answering, the cache reads the current revision from the database (one indexed row; one read
serves every request that arrived before it began) and drops everything kept under an older
one: so a write is visible at once through every process, and no stale answer is ever
served."""

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import LoopConnection
from app.http import CACHE_CONTROL, accepts_gzip, etag_matches, prefers_csv

log = logging.getLogger("citykb")
CACHED_PREFIX = "/api/"
MAX_ENTRY_BYTES = 1 << 20
REVISION_SQL = "SELECT value FROM kb_revision WHERE id = 1"
ARRIVED = "citykb.arrived"
"""The scope's key for when the server had the request's head (`time.monotonic()`), as
`citykb serve` stamps it (app/server.py); a request without it reads the revision afresh."""
CORS = frozenset({b"access-control-allow-origin", b"access-control-expose-headers", b"vary"})
"""What a 304 keeps of the kept answer's headers: the CORS middleware's, which it answers."""


class RevisionProbe:
    """Reads the revision counter on the event loop, through the loop's connection: one
    primary-key read is cheaper than a hop to a worker thread.

    A read begun after a request arrived sees every write acknowledged before the client sent
    it, so it answers every request that arrived before it began: the requests a busy server
    reads in one pass share one read, and a write is still never followed by a stale answer.
    A request with no arrival stamp (`ARRIVED`) gets a read of its own.

    Any failure (the database down, a schema not yet migrated) gives None: the cache stands
    aside and the request goes the normal way, which reports the problem."""

    def __init__(self, connection: LoopConnection) -> None:
        self.connection = connection
        self.revision: int | None = None
        self.read_at = -math.inf
        """When the read that gave `revision` began."""
        self.reads = 0
        """How many reads it made (the tests read it)."""

    def __call__(self, arrived: float | None = None) -> int | None:
        if arrived is not None and arrived < self.read_at:
            return self.revision
        began = time.monotonic()
        self.reads += 1
        try:
            row = self.connection.read(REVISION_SQL)
        except Exception as error:  # any failure means: answer without the cache
            log.debug("revision probe failed: %s", error)
            row = None
        self.revision = None if row is None else int(row[0])
        self.read_at = -math.inf if row is None else began
        return self.revision


ENTRY_BYTES = 256
"""What an entry holds besides its body (its key, headers and objects): about 230 bytes,
measured with tracemalloc for a record's answer."""


def _footprint(body: bytes) -> int:
    return len(body) + ENTRY_BYTES


Entry = tuple[tuple[tuple[bytes, bytes], ...], bytes, bytes | None]
"""A kept answer: the headers of a hit, the body and the ETag. Tuples of bytes only: the
garbage collector stops tracking them after its first passes, so the tens of thousands a full
cache holds add nothing to its full collections (tracked, they made each one walk them all).
"""


class ResponseCache:
    """Keeps the 200 JSON responses to `GET /api/...`, per path, query string and the request
    headers that change them (`Accept` for CSV, `Accept-Encoding` for gzip, `Origin` for
    CORS), up to `max_bytes`, for the current revision only; a `HEAD` is answered from a kept
    `GET`. It stands in front of the whole application (`app.main.CityKB`), so that what it
    keeps is the answer as the client got it.

    A request with `Cache-Control: no-cache` (or `Pragma: no-cache`) is answered by the
    application without the revision read that keeping its answer would need, and its answer
    is not kept. Answers carry `X-Cache: hit` or `miss`."""

    def __init__(
        self, app: ASGIApp, *, probe: Callable[[float | None], int | None], max_bytes: int
    ) -> None:
        self.app = app
        self.probe = probe
        self.max_bytes = max_bytes
        # Oldest first. A dict would do, but taking its first key again and again walks past
        # the slots of every key taken before it until the dict is next resized: 40 µs an
        # eviction at 60,000 answers, and a pause of milliseconds now and then.
        self.entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self.size = 0
        self.revision: int | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not scope["path"].startswith(CACHED_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        accept = encoding = if_none_match = origin = None
        fresh = False
        # The first of a repeated header, as the app (Starlette's `Headers.get`) and the gzip
        # middleware read it: a key read any other way lets one request's answer be kept under
        # another variant's key.
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value if accept is None else accept
            elif name == b"accept-encoding":
                encoding = value if encoding is None else encoding
            elif name == b"if-none-match":
                if_none_match = value if if_none_match is None else if_none_match
            elif name == b"origin":
                origin = value if origin is None else origin
            elif name == b"cache-control" or name == b"pragma":
                fresh = fresh or b"no-cache" in value
        if fresh:  # answered by the application, and not kept
            await self.app(scope, receive, _missed(send))
            return
        revision = self.probe(scope.get(ARRIVED))
        if revision is None:
            await self.app(scope, receive, send)
            return
        if revision != self.revision:
            self.entries.clear()
            self.size = 0
            self.revision = revision
        key = (
            scope["path"],
            scope["query_string"],
            accept is not None and prefers_csv(accept.decode("latin-1")),
            encoding is not None and accepts_gzip(encoding.decode("latin-1")),
            origin,  # the CORS headers answer it
        )
        entry = self.entries.get(key)
        heading = scope["method"] == "HEAD"
        if entry is not None:
            await self._replay(entry, if_none_match or b"", send, with_body=not heading)
            return
        if heading:  # its answer has no body to keep
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self._keeping(key, revision, send))

    async def _replay(
        self, entry: Entry, if_none_match: bytes, send: Send, *, with_body: bool
    ) -> None:
        headers, body, etag = entry
        if (
            if_none_match
            and etag is not None
            and etag_matches(if_none_match.decode("latin-1"), etag.decode("latin-1"))
        ):
            unchanged = [
                (b"etag", etag),
                (b"cache-control", CACHE_CONTROL.encode()),
                (b"x-cache", b"hit"),
                *((name, value) for name, value in headers if name in CORS),
            ]
            await send({"type": "http.response.start", "status": 304, "headers": unchanged})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body if with_body else b""})

    def _keeping(self, key: tuple[Any, ...], revision: int, send: Send) -> Send:
        start: Message | None = None

        marked = _missed(send)

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and start is not None:
                if not message.get("more_body", False):
                    self._store(key, revision, start, message.get("body", b""))
                start = None  # a streamed body is not kept
            await marked(message)

        return keep

    def _store(self, key: tuple[Any, ...], revision: int, start: Message, body: bytes) -> None:
        headers = dict(start["headers"])
        if (
            start["status"] != 200
            or revision != self.revision
            or not headers.get(b"content-type", b"").startswith(b"application/json")
            or len(body) > MAX_ENTRY_BYTES
        ):
            return
        replaced = self.entries.pop(key, None)
        if replaced is not None:
            self.size -= _footprint(replaced[1])
        while self.entries and self.size + _footprint(body) > self.max_bytes:
            _, (_, evicted, _) = self.entries.popitem(last=False)
            self.size -= _footprint(evicted)
        hit_headers = tuple((name, value) for name, value in start["headers"])
        self.entries[key] = ((*hit_headers, (b"x-cache", b"hit")), body, headers.get(b"etag"))
        self.size += _footprint(body)


def _missed(send: Send) -> Send:
    """`send`, marking the answer `X-Cache: miss`."""

    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message["headers"], (b"x-cache", b"miss")]}
        await send(message)

    return marked
