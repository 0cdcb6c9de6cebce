"""The first seconds of `citykb serve` on a fresh database: while it migrates, whatever needs
the database is a 503 that says so (`starting: migrating the database`, with `Retry-After`),
`/healthz` is 200, and nothing is logged as an error."""

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
from sqlalchemy import create_engine, make_url, text

from app.migrate import MIGRATION_LOCK, STARTING
from tests.factories import assert_problem, free_port

DEADLINE_S = 60


@contextmanager
def preparation_held(database_url: str) -> Iterator[None]:
    """Hold the database so that a server's preparation cannot start until the block ends: on
    PostgreSQL the advisory lock preparers take turns by, on SQLite an exclusive transaction."""
    if database_url.startswith("postgresql"):
        engine = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
        engine.dispose()
        return
    holder = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


@contextmanager
def serving(database_url: str, log: Path) -> Iterator[str]:
    """`citykb serve` on a free port, its output going to `log`; stopped when the block ends."""
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            env={**os.environ, "DATABASE_URL": database_url, "PREPARE_ON_START": "true"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)


def poll(url: str, until: int) -> list[httpx2.Response]:
    """Every answer from `url`, asked again and again until one has status `until` (a refused
    connection counts as no answer); fails after `DEADLINE_S`."""
    deadline = time.monotonic() + DEADLINE_S
    answers: list[httpx2.Response] = []
    while True:
        try:
            answers.append(httpx2.get(url, timeout=10))
            if answers[-1].status_code == until:
                return answers
        except httpx2.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer {until}: {answers[-1:]}"
        time.sleep(0.05)


def assert_starting(response: httpx2.Response) -> None:
    body = assert_problem(response, 503)
    assert body["detail"] == STARTING
    assert int(response.headers["retry-after"]) > 0


def assert_quiet(log: Path) -> None:
    output = log.read_text()
    assert "no such table" not in output, output
    assert "Traceback" not in output, output
    assert not [line for line in output.splitlines() if line.startswith("ERROR")], output


def test_reads_wait_for_the_migration_with_a_503_that_says_so(
    fresh_database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with preparation_held(fresh_database_url), serving(fresh_database_url, log) as base:
        poll(f"{base}/healthz", until=200)
        assert_starting(httpx2.get(f"{base}/api/v1/projects", timeout=10))
        assert_starting(httpx2.get(f"{base}/api/v1/projects/catl-ly9", timeout=10))
        assert_starting(httpx2.get(f"{base}/readyz", timeout=10))
        assert httpx2.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
    assert_quiet(log)


def test_a_first_start_answers_starting_until_ready_and_logs_no_error(
    fresh_database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with serving(fresh_database_url, log) as base:
        with preparation_held(fresh_database_url):
            poll(f"{base}/healthz", until=200)
            assert_starting(httpx2.get(f"{base}/api/v1/projects", timeout=10))
        # Released: the server migrates and seeds, and every answer meanwhile says it starts.
        answers = poll(f"{base}/api/v1/projects", until=200)
        for early in answers[:-1]:
            assert_starting(early)
        assert answers[-1].json()["items"]
        assert httpx2.get(f"{base}/readyz", timeout=10).json() == {"status": "ready"}
    assert_quiet(log)
