"""Faults injected into real processes: the server killed during a bulk import, the disk full
during a write, PostgreSQL stopped and started again under a steady read load, and the
server's database connection cut while a CSV streams."""

import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.orm import Session

from app.db import make_engine
from app.models import Project, Scope
from app.services.keys import create_key
from tests.factories import (
    ON_POSTGRES,
    PROJECTS_PATH,
    app_on,
    assert_problem,
    dechunk,
    jsonl,
    new_project,
    project_line,
    server,
    synthesize,
)

KILL_POINTS = 20
IMPORT_LINES = 400


def post(url: str, body: bytes, token: str, outcome: dict[str, Any]) -> None:
    kind = "application/x-ndjson" if url.endswith("/import") else "application/json"
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": kind},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            outcome["status"] = response.status
    except urllib.error.HTTPError as error:
        outcome["status"] = error.code
    except OSError as error:  # the connection died with the server
        outcome["error"] = repr(error)


def project_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Project)) or 0


def integrity_ok(engine: Engine) -> bool:
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            return True
        return connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


@pytest.mark.usefixtures("source_text")
def test_the_server_killed_during_an_import_writes_all_or_nothing(
    shared_database: Engine, fresh_database_url: str
) -> None:
    """An import is one transaction: killed at any of 20 random moments, the server leaves the
    database as it was before, or (if it had committed) with the whole import; never part."""
    with Session(shared_database) as session, session.begin():
        _, token = create_key(session=session, name="archivist", scope=Scope.admin)

    def batch(number: int) -> bytes:
        first = number * IMPORT_LINES
        return jsonl(*(project_line(n) for n in range(first, first + IMPORT_LINES)))

    with server(fresh_database_url) as (_, base):
        started = time.monotonic()
        done: dict[str, Any] = {}
        post(f"{base}/api/v1/import", batch(0), token, done)
        whole = time.monotonic() - started
    assert done == {"status": 200}, done
    rng = random.Random(20261126)
    outcomes = []
    for number in range(1, KILL_POINTS + 1):
        before = project_count(shared_database)
        with server(fresh_database_url) as (process, base):
            outcome: dict[str, Any] = {}
            sender = threading.Thread(
                target=post, args=(f"{base}/api/v1/import", batch(number), token, outcome)
            )
            sender.start()
            time.sleep(rng.uniform(0, whole))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            sender.join(timeout=30)
        after = project_count(shared_database)
        assert after in (before, before + IMPORT_LINES), (number, before, after)
        if outcome.get("status") == 200:
            assert after == before + IMPORT_LINES
        assert integrity_ok(shared_database)
        outcomes.append("whole" if after > before else "nothing")
    assert "nothing" in outcomes, outcomes  # some kills did land before the commit


@pytest.mark.skipif(ON_POSTGRES, reason="a full disk is simulated with SQLite's max_page_count")
@pytest.mark.usefixtures("source_text")
def test_a_full_disk_refuses_the_write_and_keeps_what_was_there(shared_database: Engine) -> None:
    raw = shared_database.raw_connection()  # VACUUM cannot run inside the engine's BEGIN
    try:
        raw.cursor().execute("VACUUM")  # no free pages left to write into
        cursor = raw.cursor()
        cursor.execute("PRAGMA page_count")
        row = cursor.fetchone()
        assert row is not None
        pages = row[0]
    finally:
        raw.close()
    full = make_engine(shared_database.url.render_as_string(hide_password=False))

    @event.listens_for(full, "connect")
    def _no_room(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    with Session(shared_database) as session, session.begin():
        _, token = create_key(session=session, name="filler", scope=Scope.curator)
    client = app_on(full)
    before = client.get("/api/v1/projects").json()
    record = orjson.loads(project_line(1, description="A long description. " * 100))
    response = client.post(
        "/api/v1/projects", json=record["record"], headers={"Authorization": f"Bearer {token}"}
    )
    body = assert_problem(response, 507)
    assert "nothing was written" in body["detail"]
    assert client.get("/api/v1/projects").json() == before
    assert integrity_ok(shared_database)
    full.dispose()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's one write lock, held by another process")
def test_a_write_locked_out_by_another_process_is_a_503_that_says_so(
    shared_database: Engine,
) -> None:
    with Session(shared_database) as session, session.begin():
        _, token = create_key(session=session, name="patient", scope=Scope.curator)
    client = app_on(shared_database)
    before = client.get("/api/v1/projects").json()
    other = shared_database.raw_connection()  # as another process would: outside the app
    try:
        other.cursor().execute("BEGIN IMMEDIATE")
        response = client.post(
            "/api/v1/projects", json=new_project(), headers={"Authorization": f"Bearer {token}"}
        )
    finally:
        other.rollback()
        other.close()
    body = assert_problem(response, 503)
    assert "busy" in body["detail"]
    assert response.headers["retry-after"]
    assert client.get("/api/v1/projects").json() == before


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite takes one write at a time: no deadlock")
def test_a_write_undone_in_a_deadlock_is_a_503_that_says_so(shared_database: Engine) -> None:
    """Another process holds the revision row and then waits for the project the write has
    locked: PostgreSQL undoes the write, which waited first, and the client is told to retry,
    not that the database is unreachable."""
    with Session(shared_database) as session, session.begin():
        _, token = create_key(session=session, name="deadlocked", scope=Scope.curator)
    client = app_on(shared_database)
    path = "/api/v1/projects/catl-ly9"
    before = client.get(path)
    outcome: dict[str, Any] = {}

    def patch() -> None:
        outcome["response"] = client.patch(
            path,
            json={"name_en": "Deadlocked"},
            headers={"Authorization": f"Bearer {token}", "If-Match": before.headers["etag"]},
        )

    with shared_database.connect() as other:  # as another process would: outside the app
        # The write waits first, so its deadlock check (after PostgreSQL's default 1 s) comes
        # first; this one's comes later still.
        other.execute(text("SET deadlock_timeout = '10s'"))
        other.execute(text("UPDATE kb_revision SET value = value WHERE id = 1"))
        writer = threading.Thread(target=patch)
        writer.start()
        time.sleep(0.5)  # the write has locked its project and waits for the revision row
        other.execute(text("UPDATE projects SET name_en = name_en WHERE id = 'catl-ly9'"))
        other.rollback()
    writer.join(timeout=30)
    body = assert_problem(outcome["response"], 503)
    assert "deadlock" in body["detail"], body
    assert "nothing was written" in body["detail"]
    assert outcome["response"].headers["retry-after"]
    assert client.get(path).content == before.content


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite's readers never wait for a lock")
def test_lists_and_stats_kept_waiting_past_the_statement_timeout_are_503s_that_say_so(
    shared_database: Engine,
) -> None:
    """Their statements run on the driver's cursor (`app.reader.fetch_all`): the driver's error
    still reaches the client as the problem it is."""
    impatient = make_engine(shared_database.url.render_as_string(False), statement_timeout_ms=300)
    client = app_on(impatient, response_cache_mb=0)
    paths = [
        PROJECTS_PATH + "?sort=-investment_cny&district_id=changzhou",
        "/api/v1/stats/projects?group_by=sector",
    ]
    with shared_database.connect() as other:  # as another process would: outside the app
        other.execute(text("LOCK TABLE projects IN ACCESS EXCLUSIVE MODE"))
        answers = [client.get(path) for path in paths]
        other.rollback()
    for answer in answers:
        body = assert_problem(answer, 503)
        assert "statement timeout" in body["detail"], body
    assert [client.get(path).status_code for path in paths] == [200, 200]
    impatient.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="a table another process holds locked whole")
def test_a_read_on_the_event_loop_kept_from_a_locked_table_is_a_503_that_says_so(
    fresh_database_url: str,
) -> None:
    """A record is read on the event loop, which waits at most `LOOP_LOCK_WAIT_MS` for a lock:
    the client hears that the database is busy, not that it is unreachable."""
    with server(fresh_database_url) as (_, base):
        locker = create_engine(fresh_database_url)
        with locker.connect() as other:
            other.execute(text("LOCK TABLE projects IN ACCESS EXCLUSIVE MODE"))
            request = urllib.request.Request(base + "/api/v1/projects/catl-ly9")
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            other.rollback()
        locker.dispose()
        assert refused.value.code == 503
        assert refused.value.headers["content-type"] == "application/problem+json"
        assert refused.value.headers["retry-after"]
        assert "busy" in orjson.loads(refused.value.read())["detail"]


@pytest.mark.skipif(
    not (ON_POSTGRES and os.environ.get("TEST_PG_STOP") and os.environ.get("TEST_PG_START")),
    reason="needs the PostgreSQL server that tests/run.sh starts and may stop",
)
def test_postgresql_stopped_and_started_under_read_load(shared_database: Engine) -> None:
    """Readers see the right answer or a 503 problem, never a wrong answer or another error,
    and answers again once the server is back; the response cache included."""
    with app_on(shared_database, response_cache_mb=4) as client:  # shutdown closes the probe
        run_reads_through_a_restart(client)


def run_reads_through_a_restart(client: TestClient) -> None:
    paths = ["/api/v1/projects?sort=-investment_cny", "/api/v1/projects/catl-ly9"]
    expected = {path: client.get(path).content for path in paths}
    seen: list[tuple[str, int, bool]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            for path in paths:
                response = client.get(path)
                right = response.status_code == 200 and response.content == expected[path]
                problem = response.status_code == 503 and response.headers[
                    "content-type"
                ].startswith("application/problem+json")
                seen.append((path, response.status_code, right or problem))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    time.sleep(1)
    subprocess.run(os.environ["TEST_PG_STOP"], shell=True, check=True)
    try:
        time.sleep(2)
    finally:
        subprocess.run(os.environ["TEST_PG_START"], shell=True, check=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and seen[-1][1] != 200:
        time.sleep(0.2)
    time.sleep(1)
    stop.set()
    for reader in readers:
        reader.join(timeout=30)
    statuses = {status for _, status, _ in seen}
    assert statuses == {200, 503}, statuses
    assert all(ok for _, _, ok in seen), [entry for entry in seen if not entry[2]][:5]
    assert seen[-1][1] == 200


WRITERS = 64


@pytest.mark.usefixtures("source_text")
def test_many_writers_at_once_all_land(shared_database: Engine, fresh_database_url: str) -> None:
    """More simultaneous writes than the server has worker threads: each one lands. (On SQLite
    they once waited for its lock in those threads, until the writer holding the lock had no
    thread left to finish on and the rest timed out with 503s.)"""
    with Session(shared_database) as session, session.begin():
        _, token = create_key(session=session, name="busy-curator", scope=Scope.curator)
    before = project_count(shared_database)
    outcomes: list[dict[str, Any]] = [{} for _ in range(WRITERS)]
    with server(fresh_database_url) as (_, base):
        senders = [
            threading.Thread(
                target=post,
                args=(
                    f"{base}/api/v1/projects",
                    orjson.dumps(new_project(name=f"常州并发写入测试项目{number}")),
                    token,
                    outcome,
                ),
            )
            for number, outcome in enumerate(outcomes)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=120)
    assert [outcome.get("status") for outcome in outcomes] == [201] * WRITERS, outcomes
    assert project_count(shared_database) == before + WRITERS


def test_a_csv_whose_database_fails_part_way_does_not_end_like_a_whole_one(
    fresh_database_url: str,
) -> None:
    """The server's connection is cut while a slow client reads: the stream stops without its
    last chunk, which no HTTP client takes for a complete file."""
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("SQLite has no other server process whose connection can be cut")
    with server(fresh_database_url) as (_, base):
        synthesize(fresh_database_url, 20_000)
        address = urlsplit(base)
        with socket.socket() as connection:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            connection.connect((address.hostname, address.port))
            request = (
                f"GET {PROJECTS_PATH}?format=csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            connection.sendall(request.encode())
            answer = bytearray(connection.recv(65536))
            engine = create_engine(fresh_database_url)
            with engine.connect() as killer:
                killer.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            engine.dispose()
            while data := connection.recv(65536):
                answer += data
                time.sleep(0.01)
    assert answer.startswith(b"HTTP/1.1 200")
    with pytest.raises(AssertionError, match="before its last chunk"):
        dechunk(bytes(answer))
