"""Running CityKB: migrations both ways, start-up, readiness, and the database going away."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from app.db import SessionDep, make_engine
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


def serve(database_url: str) -> tuple[subprocess.Popen[str], str]:
    """`citykb serve`, as the Dockerfile starts it, on a free port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=dict(os.environ, DATABASE_URL=database_url, PREPARE_ON_START="true"),
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


@pytest.mark.skipif(
    not (ON_POSTGRES and os.environ.get("TEST_PG_STOP") and os.environ.get("TEST_PG_START")),
    reason="needs the PostgreSQL server that tests/run.sh starts and may stop",
)
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
