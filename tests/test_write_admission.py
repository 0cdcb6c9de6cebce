"""Writes admitted through real server processes: the rate limit is one per key across every
process sharing the database, and what can be refused is refused before the write turn."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import orjson
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.models import RateBucket, Scope
from app.services.keys import create_key
from tests.factories import assert_problem, jsonl, new_project, project_line, server


def write(base: str, token: str | None, body: Any, **headers: str) -> httpx2.Response:
    """POST a project to a server, as a client would."""
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx2.post(
        f"{base}/api/v1/projects",
        content=orjson.dumps(body),
        headers={"Content-Type": "application/json", **headers},
        timeout=60,
    )


def keys(engine: Engine, *names: str, scope: Scope = Scope.curator) -> list[str]:
    with Session(engine) as session, session.begin():
        return [create_key(session=session, name=name, scope=scope)[1] for name in names]


@pytest.mark.usefixtures("source_text")
def test_the_rate_limit_is_per_key_across_every_process(
    shared_database: Engine, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two server processes on one database spend from one bucket per key, and a write that
    fails spends its token as one that succeeds does."""
    (token,) = keys(shared_database, "busy")
    monkeypatch.setenv("WRITE_RATE_PER_MINUTE", "3")
    with server(fresh_database_url) as (_, first), server(fresh_database_url) as (_, second):
        answers = [
            write(first, token, new_project()),
            write(second, token, new_project(sector="光伏")),  # uncited: a 422
            write(first, token, new_project()),
            write(second, token, new_project()),
            write(first, token, new_project()),
        ]
    assert [answer.status_code for answer in answers] == [201, 422, 201, 429, 429]
    for refused in answers[3:]:
        assert_problem(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1
    with Session(shared_database) as session:
        bucket = session.get(RateBucket, "busy")
        assert bucket is not None
        assert bucket.tokens < 1


@contextmanager
def a_writer_waiting_for_the_lock(
    engine: Engine, base: str, token: str
) -> Iterator[Callable[[], bool]]:
    """A write, sent to the server at `base`, waiting in the database for what another process
    holds (SQLite: the write lock; PostgreSQL: the revision row every write advances), and so
    holding the server's write turn. Yields whether it is still waiting; on leaving, the lock
    is released and the write must then succeed."""
    other = engine.raw_connection()  # as another process would: outside the server
    written: list[httpx2.Response] = []
    writer = threading.Thread(target=lambda: written.append(write(base, token, new_project())))
    try:
        if engine.dialect.name == "sqlite":
            other.cursor().execute("BEGIN IMMEDIATE")
            writer.start()
            time.sleep(1)  # SQLite shows no waiter: time for the write to reach the lock
        else:
            other.cursor().execute("SELECT value FROM kb_revision WHERE id = 1 FOR UPDATE")
            writer.start()
            with engine.connect() as probe:
                waiting = text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                while not probe.execute(waiting).scalar() and writer.is_alive():
                    time.sleep(0.05)
        yield writer.is_alive
    finally:
        other.rollback()
        other.close()
        writer.join(timeout=60)
    assert [answer.status_code for answer in written] == [201], written[0].text


@pytest.mark.usefixtures("source_text")
def test_what_can_be_refused_is_refused_without_waiting_for_the_write_lock(
    shared_database: Engine, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a write waits for the lock (holding the server's write turn), a request with no
    key, a key without the scope, a key whose bucket is empty, and a body of a type not taken
    are each answered at once: their answers come while that write still waits."""
    writer, curator, spent = keys(shared_database, "writer", "curator", "spent")
    with Session(shared_database) as session, session.begin():
        session.add(RateBucket(key_name="spent", tokens=0.0, updated_at=time.time()))
    monkeypatch.setenv("WRITE_RATE_PER_MINUTE", "1")  # the empty bucket stays empty
    with (
        server(fresh_database_url) as (_, base),
        a_writer_waiting_for_the_lock(shared_database, base, writer) as still_waiting,
    ):
        assert still_waiting()
        no_key = write(base, None, new_project())
        lacking_scope = httpx2.post(
            f"{base}/api/v1/import",
            content=b"{}",
            headers={"Authorization": f"Bearer {curator}", "Content-Type": "application/json"},
            timeout=60,
        )
        limited = write(base, spent, new_project())
        plain_text = write(base, curator, new_project(), **{"Content-Type": "text/plain"})
        assert still_waiting()
    assert_problem(no_key, 401)
    assert_problem(lacking_scope, 403)
    assert_problem(limited, 429)
    assert int(limited.headers["retry-after"]) >= 1
    assert_problem(plain_text, 415)


@pytest.mark.usefixtures("source_text")
def test_a_dry_run_import_waits_for_no_write(
    shared_database: Engine, fresh_database_url: str
) -> None:
    """A dry run only reads: it is answered while a write waits for the lock."""
    (writer,) = keys(shared_database, "writer")
    (admin,) = keys(shared_database, "archivist", scope=Scope.admin)
    with (
        server(fresh_database_url) as (_, base),
        a_writer_waiting_for_the_lock(shared_database, base, writer) as still_waiting,
    ):
        checked = httpx2.post(
            f"{base}/api/v1/import",
            params={"dry_run": "true"},
            content=jsonl(project_line(1), project_line(2)),
            headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/x-ndjson"},
            timeout=60,
        )
        assert still_waiting()
    assert checked.status_code == 200, checked.text
    assert checked.json() == {"dry_run": True, "inserted": {"projects": 2}, "updated": {}}
