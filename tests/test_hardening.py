"""What a hostile but ordinary client tried (issue 13): a request that freezes the server, a
poisoned cache, a CSV cut short, forged cursors, parameters given twice, spreadsheet formulas,
slow headers and oversized requests."""

import base64
import csv
import hashlib
import hmac
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx2
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from app.models import Scope
from app.services.keys import create_key
from tests.factories import app_on, assert_problem, make_project, server, walk
from tests.test_query_surface import add_projects

ORGANIZATIONS = [f"synth-org-{index:04d}" for index in range(100)]
LIST = "/api/v1/projects"
Params = list[tuple[str, str | int | float | bool | None]]


def cursor_key_of(database: Session | Engine) -> bytes:
    """The key this installation signs its cursors with, as it keeps it in its database."""
    statement = text("SELECT value FROM installation_settings WHERE name = 'cursor_key'")
    if isinstance(database, Engine):
        with database.connect() as connection:
            value = connection.scalar(statement)
    else:
        value = database.scalar(statement)
    assert value is not None
    return str(value).encode()


def forge(payload: bytes, key: bytes) -> str:
    """A cursor token as the server seals one, with any payload."""
    signature = hmac.new(key, payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(payload + signature).decode().rstrip("=")


# 1. Nothing slow runs on the event loop --------------------------------------------------


def test_a_repeated_parameter_takes_at_most_100_values(client: TestClient) -> None:
    many: Params = [("organization_id", f"org-{index}") for index in range(101)]
    assert_problem(client.get(LIST, params=many), 422, "organization_id")
    assert client.get(LIST, params=many[:100]).status_code == 200
    statuses: Params = [("status", "signed")] * 101
    assert_problem(client.get("/api/v1/stats/projects", params=statuses), 422, "status")


def test_the_organization_filter_seeks_its_links_through_their_index(session: Session) -> None:
    """No subquery correlated with each project: the links of the named organizations are
    found once, through the index on `organization_id`."""
    from app.collections.projects import COLLECTION
    from app.listing.params import parse_sort
    from app.listing.statements import page_statements

    query = COLLECTION.list_query.model_validate({"organization_id": ORGANIZATIONS})
    keys = parse_sort(query.sort, COLLECTION.list_spec)
    statements = page_statements(session, COLLECTION.list_spec, query, keys, None, query.limit)
    connection = session.connection()
    for statement in (statements.bound(statements.seeks[0]), statements.counting):
        sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
        if connection.dialect.name == "sqlite":
            explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(row[3] for row in explained)
            assert "CORRELATED" not in plan, plan
            assert "ix_project_organizations_organization_id" in plan, plan
        else:
            plan = " ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
            assert "SubPlan" not in plan, plan


def test_lists_waiting_on_the_database_leave_the_server_answering(
    fresh_database_url: str,
) -> None:
    """Four lists with 100 organizations each wait on a lock: the event loop stays free, so
    `/healthz` (and the response cache's revision check in front of it) answer at once."""
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip(
            "SQLite readers in WAL mode never wait on a lock, so no list can be held here; "
            "bench/hardening.py measures /healthz under heavy lists on SQLite"
        )
    params: Params = [("organization_id", organization) for organization in ORGANIZATIONS]
    with server(fresh_database_url, RESPONSE_CACHE_MB="32") as (_, base):
        outcomes: list[int] = []

        def read_list() -> None:
            outcomes.append(httpx2.get(base + LIST, params=params, timeout=30).status_code)

        engine = create_engine(fresh_database_url)
        with engine.connect() as locker:
            locker.execute(text("LOCK TABLE projects IN ACCESS EXCLUSIVE MODE"))
            readers = [threading.Thread(target=read_list) for _ in range(4)]
            for reader in readers:
                reader.start()
            time.sleep(0.5)  # the lists are now waiting on the lock
            health = httpx2.get(base + "/healthz", timeout=2)
            assert health.status_code == 200
            assert outcomes == []  # every list is still waiting
            locker.rollback()
        engine.dispose()
        for reader in readers:
            reader.join(timeout=30)
        assert outcomes == [200] * 4


# 2. The response cache keys on what the answer depends on, read as the app reads it -----


def test_a_repeated_accept_header_cannot_poison_the_cache(shared_database: Engine) -> None:
    client = app_on(shared_database, response_cache_mb=4)
    json_first = [("Accept", "application/json"), ("Accept", "text/csv")]
    assert client.get(LIST, headers=json_first).headers["content-type"] == "application/json"
    plain_csv = client.get(LIST, headers={"Accept": "text/csv"})
    assert plain_csv.headers["content-type"].startswith("text/csv")


def test_a_repeated_accept_encoding_header_cannot_poison_the_cache(
    shared_database: Engine,
) -> None:
    client = app_on(shared_database, response_cache_mb=4)
    path = LIST + "?limit=50"
    gzip_first = [("Accept-Encoding", "gzip"), ("Accept-Encoding", "identity")]
    assert client.get(path, headers=gzip_first).headers["content-encoding"] == "gzip"
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json()["items"]


# 3. A slow client gets every row of a CSV ------------------------------------------------


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


def test_a_slow_reader_gets_every_row_of_a_csv(fresh_database_url: str) -> None:
    """The statement timeout (here 300 ms) counts the database's work, not the time the client
    takes: a CSV too large for the server's socket buffers (5 MB), read over seconds, arrives
    whole. Before, the stream stopped part way, with no last chunk."""
    with server(fresh_database_url, STATEMENT_TIMEOUT_MS="300") as (_, base):
        synthesize(fresh_database_url, 20_000)
        started = time.monotonic()
        answer = read_slowly(base, LIST + "?format=csv", chunk=65536, pause_s=0.02)
        assert time.monotonic() - started > 1  # far longer than the statement timeout
    head, body = dechunk(answer)
    assert head.startswith(b"HTTP/1.1 200")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 20_000 + 6
    assert len({row["id"] for row in rows}) == len(rows)


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
            request = f"GET {LIST}?format=csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
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


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "-investment_cny"},
        {"sort": "status_date,name"},
        {"sort": "name", "district_id": ["liyang", "null"]},
        {"sort": "-id", "limit": "150"},
    ],
)
def test_csv_batches_hold_the_rows_and_order_of_the_json_pages(
    client: TestClient, session: Session, params: dict[str, Any]
) -> None:
    """Across batch boundaries, nulls included, the CSV is the JSON list's rows in order."""
    add_projects(session, 1400)
    wanted = [item["id"] for item in walk(client, LIST, **{**params, "limit": 200})]
    if "limit" in params:
        wanted = wanted[: int(params["limit"])]
    response = client.get(LIST, params={**params, "format": "csv", "fields": "id"})
    assert response.status_code == 200, response.text
    rows = csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))
    assert [row["id"] for row in rows] == wanted


# 5. Cursors: a key of the installation's own, values checked, bound to their collection --


def test_a_cursor_signed_with_the_old_public_key_is_refused(client: TestClient) -> None:
    payload = orjson.dumps({"s": "name,id", "v": ["A", "a"], "c": "project"})
    forged = forge(payload, b"citykb-cursor-v1")
    assert_problem(client.get(LIST, params={"cursor": forged}), 400, "cursor")


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        ("-investment_cny", 2**63),
        ("-investment_cny", -(2**63) - 1),
        ("-investment_cny", True),
        ("-investment_cny", "1000"),
        ("name", "名\u0000字"),
        ("name", 7),
        ("status_date", "2025-11-26T00:00:00"),
        ("status_date", "not a date"),
    ],
)
def test_a_signed_cursor_with_a_value_no_row_can_hold_is_refused(
    client: TestClient, session: Session, sort: str, value: Any
) -> None:
    signature = ",".join(name for name in (sort, "-id" if sort.startswith("-") else "id"))
    payload = json.dumps({"s": signature, "v": [value, "catl-ly9"], "c": "project"}).encode()
    cursor = forge(payload, cursor_key_of(session))
    assert_problem(client.get(LIST, params={"sort": sort, "cursor": cursor}), 400, "cursor")


def test_a_signed_cursor_that_is_not_utf8_is_refused(client: TestClient, session: Session) -> None:
    cursor = forge(b'{"s":"name,id","v":["\xff\xfe","a"],"c":"project"}', cursor_key_of(session))
    assert_problem(client.get(LIST, params={"cursor": cursor}), 400, "cursor")


def test_a_cursor_is_good_only_for_the_list_that_issued_it(client: TestClient) -> None:
    cursor = client.get(LIST, params={"limit": 1}).json()["next_cursor"]
    assert client.get(LIST, params={"limit": 1, "cursor": cursor}).status_code == 200
    assert_problem(client.get("/api/v1/parks", params={"cursor": cursor}), 400, "cursor")
    searched = client.get("/api/v1/search", params={"q": "项目", "limit": 1}).json()
    assert searched["next_cursor"] is not None
    assert_problem(client.get(LIST, params={"cursor": searched["next_cursor"]}), 400, "cursor")
    assert_problem(
        client.get("/api/v1/search", params={"q": "项目", "cursor": cursor}), 400, "cursor"
    )


def test_each_installation_signs_with_a_key_of_its_own(
    engine: Engine, shared_database: Engine
) -> None:
    assert len(cursor_key_of(engine)) >= 32
    assert cursor_key_of(engine) != cursor_key_of(shared_database)


# 7. A scalar parameter is given once -----------------------------------------------------


def test_a_scalar_parameter_given_twice_is_refused(client: TestClient, session: Session) -> None:
    twice: Params = [
        ("format", "csv"),
        ("fields", "id"),
        ("limit", "1"),
        ("limit", "3"),
    ]
    assert_problem(client.get(LIST, params=twice), 422, "limit")
    assert_problem(client.get(LIST, params=[("sort", "name"), ("sort", "-name")]), 422, "sort")
    as_of: Params = [
        ("as_of", "2025-01-01"),
        ("as_of", "2026-01-01"),
    ]
    assert_problem(client.get(LIST + "/catl-ly9", params=as_of), 422, "as_of")
    _, token = create_key(session=session, name="importer", scope=Scope.admin)
    session.commit()
    imported = client.post(
        "/api/v1/import?dry_run=true&dry_run=false",
        content=b'{"default_source_id": "changzhou-city-work-conference-2025"}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert_problem(imported, 422, "dry_run")


# 11. CSV cells are never formulas; headers come in time; oversized requests are answered -


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    client: TestClient, session: Session
) -> None:
    for index, name in enumerate(['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]):
        make_project(session, project_id=f"formula-{index}", name=name)
    response = client.get(LIST, params={"format": "csv", "fields": "id,name", "sort": "id"})
    reader = csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))
    rows = {row["id"]: row["name"] for row in reader}
    assert rows["formula-0"] == '\'=HYPERLINK("http://x")'
    assert rows["formula-1"] == "'+1+1"
    assert rows["formula-2"] == "'-2+3"
    assert rows["formula-3"] == "'@SUM(A1)"
    assert rows["catl-ly9"] == "江苏时代新能源灯塔工厂LY9项目"


def test_headers_that_trickle_in_get_a_408(fresh_database_url: str) -> None:
    with server(fresh_database_url, HEADER_TIMEOUT_S="1") as (_, base):
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.5)
            client.sendall(b"X-Slow: 1\r\n")
            answer = client.recv(65536)
            assert answer.startswith(b"HTTP/1.1 408"), answer
            assert b"application/problem+json" in answer
            assert client.recv(65536) == b""  # and the connection is closed


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /api/v1/projects?q=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\n" + b"X-Big: 1\r\n" * 100_000 + b"\r\n", 431),
    ],
)
def test_a_request_too_large_to_parse_is_answered_not_reset(
    fresh_database_url: str, request_bytes: bytes, status: int
) -> None:
    with server(fresh_database_url) as (_, base):
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as client:
            client.sendall(request_bytes)
            answer = b""
            while data := client.recv(65536):
                answer += data
        assert answer.startswith(f"HTTP/1.1 {status}".encode()), answer[:200]
        assert b"application/problem+json" in answer
