"""Helpers that build records and requests for tests."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.collections.catalog import DOCUMENTED
from app.db import (
    WRITE_OPTION,
    OpenReader,
    Sessions,
    committing,
    for_reads,
    get_session,
    get_sessions,
    get_write_session,
)
from app.main import create_app
from app.models import Citation, Project
from app.models.enums import ProjectStatus
from app.services.source_texts import register_text
from app.text import to_traditional

COLLECTION_TAGS = tuple(collection.tag for collection in DOCUMENTED)
"""Every collection's path segment, as the catalog lists them."""
SOURCE_ID = "changzhou-city-work-conference-2025"
SOURCE_TEXT = Path(
    os.environ.get("CITYKB_TEST_SOURCE_TEXT")
    or Path(__file__).resolve().parents[2] / "shared" / "source" / "article-zh-hans.txt"
)
"""The seed source's text, which the repository never holds (a user's clone has none);
`CITYKB_TEST_SOURCE_TEXT` names another file, or a missing one to run the tests without."""
MISSING_TEXT = f"the seed source's text is missing ({SOURCE_TEXT}); a user's clone has none"


def register_source_text(engine: Engine) -> None:
    """Register the seed source's text, as `citykb sources text` does, where it is here: every
    write that quotes the source needs it."""
    if SOURCE_TEXT.exists():
        with Session(engine) as session, session.begin():
            text = SOURCE_TEXT.read_text(encoding="utf-8")
            register_text(session=session, source_id=SOURCE_ID, text=text)


def make_project(
    session: Session,
    *,
    project_id: str,
    name: str = "测试项目",
    investment_cny: int | None = None,
    status: ProjectStatus | None = None,
    district_id: str | None = None,
) -> Project:
    """Insert a cited project and flush it."""
    project = Project(
        id=project_id,
        name=name,
        name_zh_hant=to_traditional(name),
        investment_cny=investment_cny,
        status=status,
        district_id=district_id,
    )
    session.add(project)
    session.add(
        Citation(
            subject_type=Project.citation_subject,
            subject_id=project_id,
            source_id=SOURCE_ID,
            paragraph=1,
            quote="城市",
        )
    )
    session.flush()
    return project


def walk(client: TestClient, path: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of a list, following next_cursor page by page."""
    cursor: str | None = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        yield from body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return


def assert_problem(response: Any, status: int, parameter: str | None = None) -> dict[str, Any]:
    """Assert an application/problem+json error of this status that names the parameter."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    if parameter is not None:
        assert parameter in body["detail"]
        assert any(parameter in error["loc"] for error in body["errors"])
    return body


def serve_sessions(
    application: FastAPI,
    session_scope: Callable[[], AbstractContextManager[Session]],
    *,
    reader: OpenReader | None = None,
) -> None:
    """Make the app take its sessions from `session_scope`, committing as `get_session` does;
    lists and stats read through `reader` when it is given."""

    def session_dependency() -> Iterator[Session]:
        with session_scope() as session:
            yield from committing(session)

    def write_session_dependency() -> Iterator[Session]:
        with session_scope() as session:
            if not session.in_transaction():  # as get_write_session: IMMEDIATE on SQLite
                session.connection(execution_options={WRITE_OPTION: True})
            yield from committing(session)

    async def sessions_dependency() -> Sessions:  # as get_sessions
        return Sessions(
            loop=session_scope,
            pooled=session_scope,
            read=session_scope,
            reader=reader or session_scope,
        )

    application.dependency_overrides[get_session] = session_dependency
    application.dependency_overrides[get_sessions] = sessions_dependency
    application.dependency_overrides[get_write_session] = write_session_dependency


def app_on(engine: Engine, *, response_cache_mb: int | None = None) -> TestClient:
    """The app with sessions from this engine, outside any test transaction, lists and stats
    read as the served app reads them (`for_reads`); and its response cache, when given
    memory, reading revisions from it."""
    application = create_app(engine=engine, response_cache_mb=response_cache_mb)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    serve_sessions(application, sessions, reader=for_reads(engine).connect)
    return TestClient(application)


def citykb(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    """Run the `citykb` command on a SQLite file, capturing what it prints."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{database}")
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, check=False
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(
    database_url: str, *options: str, **settings: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`citykb serve` in a process of its own, once it answers `/readyz`; `options` are more
    of its command line, `settings` more environment variables for it."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), *options],
        env={**os.environ, "DATABASE_URL": database_url, "PREPARE_ON_START": "true", **settings},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        assert process.poll() is None, "the server exited while starting"
        assert time.monotonic() < deadline, "the server did not become ready"
        time.sleep(0.1)
    try:
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


ORGANIZATIONS = [f"synth-org-{index:04d}" for index in range(100)]


PROJECTS_PATH = "/api/v1/projects"


Params = list[tuple[str, str | int | float | bool | None]]


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def add_projects(session: Session, count: int) -> None:
    statuses = [None, *ProjectStatus]
    for index in range(count):
        make_project(
            session,
            project_id=f"synthetic-{index:04d}",
            name=f"合成项目{index % 7}",
            investment_cny=None if index % 5 == 0 else (index % 9) * 10**8,
            status=statuses[index % len(statuses)],
            district_id=("changzhou", "liyang", None)[index % 3],
        )


def project_line(number: int, **changes: Any) -> str:
    record = {
        "id": f"imported-{number:05d}",
        "name": f"导入项目 {number}",
        "organization_ids": ["jiangsu-catl"],
        "citations": [
            {
                "source_id": SOURCE_ID,
                "paragraph": 7,
                "quote": "江苏时代新能源灯塔工厂LY9项目签约落地",
                "fields": ["name", "organization_ids"],
            }
        ],
    }
    record.update(changes)
    return orjson.dumps({"collection": "projects", "record": record}).decode()


def jsonl(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def cite(*fields: str, quote: str = "江苏时代新能源灯塔工厂LY9项目签约落地") -> dict[str, Any]:
    return {"source_id": SOURCE_ID, "paragraph": 7, "quote": quote, "fields": list(fields)}


def new_project(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "常州光伏示范项目",
        "organization_ids": ["jiangsu-catl"],
        "status": "signed",
        "status_date": "2026-01-05",
        "citations": [cite("name", "organization_ids", "status", "status_date")],
    }
    body.update(changes)
    return body


def synthesize(database_url: str, projects: int) -> None:
    command = [sys.executable, "-m", "app", "synth", "--projects", str(projects)]
    environment = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run(command, env=environment, check=True, capture_output=True)


def read_slowly(base: str, path: str, *, chunk: int, pause_s: float) -> bytes:
    """A whole HTTP/1.1 answer, read a chunk at a time with a pause after each."""
    address = urlsplit(base)
    with socket.socket() as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, chunk)
        connection.connect((address.hostname, address.port))
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        received = bytearray()
        while data := connection.recv(chunk):
            received += data
            time.sleep(pause_s)
    return bytes(received)


def dechunk(answer: bytes) -> tuple[bytes, bytes]:
    """The head and the body of a chunked answer; an AssertionError if the body ends short."""
    head, _, rest = answer.partition(b"\r\n\r\n")
    body = bytearray()
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        assert size_line, "the stream ended before its last chunk"
        size = int(size_line, 16)
        if size == 0:
            return head, bytes(body)
        assert len(rest) >= size + 2, "the stream ended before its last chunk"
        body += rest[:size]
        rest = rest[size + 2 :]
