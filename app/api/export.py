"""`GET /api/v1/export`: the whole knowledge base in one download, a SQLite database or a zip
of CSVs with a Frictionless data package (`app.services.export` writes both).

The file is built in a temporary file in a worker thread, from one snapshot of the database,
then streamed; its ETag derives from the knowledge base's revision, so an unchanged knowledge
base is a bodiless 304 that builds nothing."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import anyio
from anyio.lowlevel import RunVar
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from app.api.params import documented, query_of
from app.db import OpenSession, SessionsDep
from app.errors import PROBLEM_RESPONSES
from app.http import CACHE_CONTROL, etag_of_bytes, not_modified
from app.services.export import LAYOUT_DIGEST, MEDIA_TYPES, ExportFormat, write_export
from app.services.revision import current_revision

router = APIRouter(tags=["export"])

BUILDS_AT_ONCE = 2
"""Exports built at once per process: each holds a worker thread and a database connection for
as long as it reads, and more would take them from every other request."""
CHUNK_BYTES = 1 << 20
"""Read and sent a chunk at a time: a chunk this large is compressed off the event loop."""
_BUILDS: RunVar[anyio.CapacityLimiter] = RunVar("citykb_export_builds")


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: ExportFormat = Field(
        ExportFormat.sqlite,
        description=(
            "`sqlite`: one SQLite database (Datasette, DuckDB, pandas, `sqlite3`); `zip`: a CSV "
            "per table and a Frictionless `datapackage.json` describing every field, key and "
            "reference."
        ),
        examples=["sqlite"],
    )


BINARY = {"schema": {"type": "string", "format": "binary"}}


def _export_etag(revision: int, export_format: ExportFormat) -> str:
    return etag_of_bytes(f"export|{LAYOUT_DIGEST}|{revision}|{export_format}".encode())


def _builds() -> anyio.CapacityLimiter:
    try:
        return _BUILDS.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(BUILDS_AT_ONCE)
        _BUILDS.set(limiter)
        return limiter


def _build(open_session: OpenSession, export_format: ExportFormat) -> tuple[BinaryIO, int]:
    """The export written to a temporary file, opened, and the revision it holds. The file has
    no name any more: its bytes go when it is closed, however the response ends."""
    descriptor, name = tempfile.mkstemp(prefix="citykb-export-", suffix=f".{export_format}")
    os.close(descriptor)
    path = Path(name)
    try:
        with open_session() as session:
            revision = write_export(session=session, export_format=export_format, path=path)
        return path.open("rb"), revision
    finally:
        path.unlink(missing_ok=True)


def _chunks(file: BinaryIO) -> Iterator[bytes]:
    while chunk := file.read(CHUNK_BYTES):
        yield chunk


class _FileStream(StreamingResponse):
    """A file's bytes, read in a worker thread a chunk at a time; the file is closed however
    the response ends (sent, the client gone, or never begun)."""

    def __init__(self, file: BinaryIO, *, media_type: str, headers: dict[str, str]) -> None:
        super().__init__(_chunks(file), media_type=media_type, headers=headers)
        self.file = file

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.file.close()


@router.get(
    "/export",
    operation_id="exportKnowledgeBase",
    summary="Export the whole knowledge base",
    openapi_extra=documented(ExportQuery),
    response_class=Response,
    responses={
        **PROBLEM_RESPONSES,
        200: {
            "description": (
                "Every collection as a table of the fields a reader sees, the link tables "
                "(`project_organizations`) and `citations`, from one snapshot: a SQLite file or "
                "a zip of CSVs with `datapackage.json`."
            ),
            "content": dict.fromkeys(MEDIA_TYPES.values(), BINARY),
            "headers": {
                "ETag": {
                    "description": "Strong; changes with the knowledge base's revision.",
                    "schema": {"type": "string"},
                },
                "Content-Disposition": {
                    "description": '`attachment; filename="citykb-<revision>.sqlite"` (or `.zip`).',
                    "schema": {"type": "string"},
                },
            },
        },
        304: {"description": "The ETag in `If-None-Match` is current: nothing has changed."},
    },
)
async def export_knowledge_base(
    request: Request,
    sessions: SessionsDep,
    query: Annotated[ExportQuery, query_of(ExportQuery)],
) -> Response:
    """The whole knowledge base in one file, named `citykb-<revision>.sqlite` or `.zip`. Its
    strong ETag changes with every write; `If-None-Match` with it gives a 304."""
    export_format = query.format
    with sessions.loop() as reader:
        etag = _export_etag(current_revision(session=reader), export_format)
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    file, revision = await anyio.to_thread.run_sync(
        _build, sessions.pooled, export_format, limiter=_builds()
    )
    size = os.fstat(file.fileno()).st_size
    return _FileStream(
        file,
        media_type=MEDIA_TYPES[export_format],
        headers={
            # A write between the check above and the snapshot: the file holds the newer revision.
            "ETag": _export_etag(revision, export_format),
            "Cache-Control": CACHE_CONTROL,
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="citykb-{revision}.{export_format}"',
        },
    )
