"""Running CityKB: migrations both ways, start-up, readiness, and the database going away."""

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, text

from app.config import get_settings
from app.db import PING_AFTER_IDLE_S, SessionDep, make_engine
from app.migrate import alembic_config, downgrade, upgrade
from app.models import Base
from tests.factories import ON_POSTGRES, app_on, assert_problem


def test_migrations_go_down_and_up_one_revision_at_a_time(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    revisions = [
        revision.revision
        for revision in reversed(
            list(ScriptDirectory.from_config(alembic_config()).walk_revisions())
        )
    ]
    for revision in revisions:
        upgrade(engine, revision)
    for revision in [*reversed(revisions[:-1]), "base"]:
        downgrade(engine, revision)
    with engine.connect() as connection:
        leftover = set(Base.metadata.tables) & set(engine.dialect.get_table_names(connection))
    assert leftover == set()
    for revision in revisions:
        upgrade(engine, revision)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


OLD_RECORDS = [
    "INSERT INTO districts (id, name, name_zh_hant, search_text) VALUES ('d', 'd', 'd', 'd')",
    "INSERT INTO organizations (id, name, name_zh_hant, search_text, district_id) "
    "VALUES ('o', 'o', 'o', 'o', 'd')",
    "INSERT INTO projects (id, name, name_zh_hant, search_text, district_id) "
    "VALUES ('p', 'p', 'p', 'p', 'd')",
    "INSERT INTO project_organizations (project_id, organization_id) VALUES ('p', 'o')",
]
"""Records of a database made under schema 0006, before issue 15's collections: tables that
0007 alters (organizations) with rows that refer to them."""


def test_a_database_with_records_upgrades_from_an_earlier_schema(
    fresh_database_url: str,
) -> None:
    """SQLite alters a table by rebuilding it (batch mode): a table other rows refer to must be
    rebuilt without those rows losing it, and the foreign keys are checked and on again after.
    A large table takes longer to copy than a request's statement may run: the migration's
    statements run untimed (on SQLite the limit here is 1 ms, and 0007 copies 50,000 search
    grams). PostgreSQL keeps its usual limit: at 1 ms it cancels the driver's own first
    queries on connecting, before any migration runs."""
    engine = make_engine(fresh_database_url)
    upgrade(engine, "0006")
    with engine.begin() as connection:
        for statement in OLD_RECORDS:
            connection.execute(text(statement))
        connection.execute(
            text("INSERT INTO search_grams VALUES (:gram, 'project', 'p')"),
            [{"gram": f"{n:05d}"} for n in range(50_000)],
        )
    on_sqlite = engine.dialect.name == "sqlite"
    impatient = make_engine(fresh_database_url, statement_timeout_ms=1 if on_sqlite else None)
    try:
        upgrade(impatient)
    finally:
        impatient.dispose()
    with engine.connect() as connection:
        links = connection.execute(text("SELECT * FROM project_organizations")).all()
        assert [tuple(link)[:2] for link in links] == [("p", "o")]
        assert connection.scalar(text("SELECT district_id FROM organizations")) == "d"
        if on_sqlite:
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
            assert connection.scalar(text("PRAGMA foreign_keys")) == 1
    engine.dispose()


def test_alembic_check_is_clean(fresh_database_url: str) -> None:
    env = dict(os.environ, DATABASE_URL=fresh_database_url)
    subprocess.run([sys.executable, "-m", "app", "db", "upgrade"], env=env, check=True)
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(database_url: str, *options: str, **settings: str) -> tuple[subprocess.Popen[str], str]:
    """`citykb serve`, as the Dockerfile starts it, on a free port; `options` are more of its
    command line, `settings` more environment variables."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *options,
        ],
        env=dict(os.environ, DATABASE_URL=database_url, PREPARE_ON_START="true", **settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_for(url: str, status: int, *, seconds: float = 30) -> httpx2.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            response = httpx2.get(url, timeout=5)
            if response.status_code == status:
                return response
        except httpx2.TransportError:
            response = None
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer {status}: {response}")
        time.sleep(0.2)


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=10)
    return output


def test_the_start_command_migrates_seeds_and_serves(fresh_database_url: str) -> None:
    process, base = serve(fresh_database_url)
    try:
        wait_for(f"{base}/readyz", 200)
        projects = wait_for(f"{base}/api/v1/projects", 200).json()
        assert projects["total"] == 6
    finally:
        output = stop(process)
    assert "database ready; seed: districts: 4 inserted" in output, output


def workers(pid: int) -> list[int]:
    """The worker processes of uvicorn's supervisor `pid`, without multiprocessing's resource
    tracker."""
    children = map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    return [
        child
        for child in children
        if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def without_host(base: str) -> bytes:
    """What the server answers an HTTP/1.1 request without a `Host` header, which httptools
    takes and h11 refuses."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=10) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while data := client.recv(65536):
            answer += data
    return answer


def test_serve_runs_httptools_on_uvloop_in_every_worker_and_stops_on_sigterm(
    fresh_database_url: str,
) -> None:
    process, base = serve(fresh_database_url, "--workers", "2")
    try:
        wait_for(f"{base}/readyz", 200)
        serving = workers(process.pid)
        for worker in serving:
            assert "uvloop" in Path(f"/proc/{worker}/maps").read_text(), worker
        assert without_host(base).startswith(b"HTTP/1.1 200")
        wait_for(f"{base}/api/v1/projects", 200)
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert len(serving) == 2, serving
    assert "GET /api/v1/projects" not in output  # the access log is off by default


def test_the_h11_option_and_the_access_log(fresh_database_url: str) -> None:
    process, base = serve(
        fresh_database_url, "--http", "h11", "--loop", "asyncio", ACCESS_LOG="true"
    )
    try:
        wait_for(f"{base}/readyz", 200)
        assert "uvloop" not in Path(f"/proc/{process.pid}/maps").read_text()
        assert without_host(base).startswith(b"HTTP/1.1 400")
        wait_for(f"{base}/api/v1/projects", 200)
    finally:
        output = stop(process)
    assert '"GET /api/v1/projects HTTP/1.1" 200' in output, output


def unreachable_database_url(tmp_path: Path) -> str:
    if ON_POSTGRES:
        return f"postgresql+psycopg://citykb@127.0.0.1:{free_port()}/nowhere"
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'citykb.db'}"


def test_the_server_starts_and_answers_503_while_the_database_is_down(tmp_path: Path) -> None:
    process, base = serve(unreachable_database_url(tmp_path))
    try:
        assert wait_for(f"{base}/healthz", 200).json() == {"status": "ok"}
        started = time.monotonic()
        readiness = httpx2.get(f"{base}/readyz", timeout=10)
        response = httpx2.get(f"{base}/api/v1/projects", timeout=10)
        assert time.monotonic() - started < 10
    finally:
        stop(process)
    assert_problem(readiness, 503)
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "5"


def test_a_runaway_statement_is_cancelled_with_a_clear_error(
    engine: Engine, database_url: str
) -> None:
    impatient = make_engine(database_url, statement_timeout_ms=300)
    client = app_on(impatient)
    runaway = (
        "SELECT pg_sleep(5)"
        if ON_POSTGRES
        else "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
        "SELECT count(*) FROM n"
    )

    @client.app.get("/runaway")  # type: ignore[attr-defined, untyped-decorator]
    def run_away(session: SessionDep) -> dict[str, str]:
        session.execute(text(runaway))
        return {"finished": "unexpectedly"}

    started = time.monotonic()
    response = client.get("/runaway")
    assert time.monotonic() - started < 3
    body = assert_problem(response, 503)
    assert "statement timeout" in body["detail"]
    assert client.get("/api/v1/projects").status_code == 200
    impatient.dispose()


RESTARTS_POSTGRESQL = pytest.mark.skipif(
    not (ON_POSTGRES and os.environ.get("TEST_PG_STOP") and os.environ.get("TEST_PG_START")),
    reason="needs the PostgreSQL server that tests/run.sh starts and may stop",
)


@RESTARTS_POSTGRESQL
def test_postgresql_stopped_and_started_again(engine: Engine, database_url: str) -> None:
    own_engine = make_engine(database_url)
    client = app_on(own_engine)
    assert client.get("/api/v1/projects").status_code == 200
    subprocess.run(os.environ["TEST_PG_STOP"], shell=True, check=True)
    try:
        started = time.monotonic()
        readiness = client.get("/readyz")
        response = client.get("/api/v1/projects")
        assert time.monotonic() - started < 5
        assert_problem(readiness, 503)
        assert_problem(response, 503)
        assert response.headers["retry-after"] == "5"
    finally:
        subprocess.run(os.environ["TEST_PG_START"], shell=True, check=True)
    assert client.get("/readyz").json() == {"status": "ready"}
    assert client.get("/api/v1/projects").json()["total"] == 6
    own_engine.dispose()


@RESTARTS_POSTGRESQL
@pytest.mark.usefixtures("engine")  # migrated and seeded
def test_the_first_request_after_a_quiet_restart_is_answered(database_url: str) -> None:
    """No request saw the server go: the pool's connection, idle long enough to be pinged,
    is found dead and replaced (app/db.py, `_ping_when_idle`)."""
    own_engine = make_engine(database_url)
    client = app_on(own_engine)
    assert client.get("/api/v1/projects").status_code == 200
    subprocess.run(os.environ["TEST_PG_STOP"], shell=True, check=True)
    subprocess.run(os.environ["TEST_PG_START"], shell=True, check=True)
    time.sleep(PING_AFTER_IDLE_S)
    response = client.get("/api/v1/projects")
    assert response.status_code == 200, response.text
    own_engine.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL connection is a server process")
@pytest.mark.usefixtures("engine")  # migrated and seeded
def test_requests_beyond_the_pool_wait_for_its_connections_rather_than_open_more(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve lists and stats at once on a pool of two: every one is answered, through the
    pool's two connections. (A connection opened past the pool was closed again when
    returned: under load a new server process every few requests, bench/README.md.)"""
    with monkeypatch.context() as patched:
        patched.setenv("DATABASE_POOL_SIZE", "2")
        get_settings.cache_clear()
        own_engine = make_engine(database_url)
    get_settings.cache_clear()  # the settings of every other test, read again
    opened: list[int] = []
    event.listen(own_engine, "connect", lambda *_: opened.append(1))
    # Each request holds its connection a while, so that they overlap.
    event.listen(own_engine, "checkout", lambda *_: time.sleep(0.02))
    client = app_on(own_engine, response_cache_mb=0)
    paths = ["/api/v1/projects?limit=2", "/api/v1/stats/projects?group_by=status"] * 24
    with ThreadPoolExecutor(max_workers=12) as requests:
        answers = list(requests.map(client.get, paths))
    assert [answer.status_code for answer in answers] == [200] * len(paths)
    assert len(opened) == 2
    own_engine.dispose()
