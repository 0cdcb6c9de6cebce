"""Records, list pages, CSV (in batches, whole for a slow reader, no cell a spreadsheet would
run) and HTTP behaviour (ETags, CORS, gzip, unknown paths and methods, health, the landing
page and docs, headers that trickle in, requests too large to parse), through HTTP. What a
list query can ask (filters, sort, cursors, fields, stats) and its bad input are in
tests/test_query_surface.py."""

import csv
import io
import re
import socket
import time
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.collections.catalog import DOCUMENTED
from app.db import make_engine
from app.models import Project, Scope
from app.services.keys import create_key
from tests.factories import (
    COLLECTION_TAGS,
    PROJECTS_PATH,
    add_projects,
    assert_problem,
    dechunk,
    ids,
    make_project,
    read_slowly,
    server,
    synthesize,
    walk,
)

EXAMPLE_IDS = {collection.tag: collection.id_example for collection in DOCUMENTED}
"""A record of each collection: the example its documentation gives."""


def parse_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


# Records and pages -----------------------------------------------------------------------


@pytest.mark.parametrize("collection", COLLECTION_TAGS)
def test_list_and_get_each_collection(client: TestClient, collection: str) -> None:
    listing = client.get(f"/api/v1/{collection}")
    assert listing.status_code == 200
    body = listing.json()
    assert set(body) == {"items", "total", "limit", "next_cursor"}
    assert body["total"] >= len(body["items"]) > 0
    record = client.get(f"/api/v1/{collection}/{EXAMPLE_IDS[collection]}")
    assert record.status_code == 200
    assert record.json()["id"] == EXAMPLE_IDS[collection]
    assert record.json() in list(walk(client, f"/api/v1/{collection}"))


@pytest.mark.parametrize("collection", COLLECTION_TAGS)
def test_unknown_id_is_a_404_problem(client: TestClient, collection: str) -> None:
    body = assert_problem(client.get(f"/api/v1/{collection}/no-such-record"), 404)
    assert "no-such-record" in body["detail"]


# CSV -------------------------------------------------------------------------------------


def test_csv_has_the_same_rows_filters_and_sort_as_json(client: TestClient) -> None:
    params = {"sort": "-investment_cny,name", "status": ["signed", "landed"]}
    json_ids = ids(client.get("/api/v1/projects", params=params))
    rows = parse_csv(client.get("/api/v1/projects", params={**params, "format": "csv"}))
    assert [row["id"] for row in rows] == json_ids
    by_accept = client.get("/api/v1/projects", params=params, headers={"Accept": "text/csv"})
    assert parse_csv(by_accept) == rows
    assert rows[0]["name"] == "江苏时代新能源灯塔工厂LY9项目"
    assert rows[0]["investment_cny"] == "10000000000"
    joint = next(row for row in rows if row["id"].startswith("arcelormittal"))
    assert joint["organization_ids"] == "arcelormittal|china-oriental-group"
    assert joint["investment_cny"] == ""


def test_csv_takes_fields_and_an_explicit_limit(client: TestClient) -> None:
    params: dict[str, str | int] = {"fields": "id,value,unit", "limit": 2}
    rows = parse_csv(client.get("/api/v1/figures", params={**params, "format": "csv"}))
    assert len(rows) == 2
    assert list(rows[0]) == ["id", "value", "unit"]
    assert [row["id"] for row in rows] == ids(client.get("/api/v1/figures", params=params))


@pytest.mark.parametrize(
    ("path", "extra"), [("/api/v1/figures.csv", {}), ("/api/v1/figures", {"format": "csv"})]
)
def test_a_csv_page_links_to_the_next_until_the_last(
    client: TestClient, path: str, extra: dict[str, str]
) -> None:
    order = {"sort": "-value_normalized,metric", "kind": ["actual", "target"]}
    wanted = [item["id"] for item in walk(client, "/api/v1/figures", **order, limit=200)]
    assert len(wanted) > 9
    got: list[str] = []
    pages = 0
    response = client.get(path, params={**order, **extra, "fields": "id", "limit": 3})
    while True:
        pages += 1
        got += [row["id"] for row in parse_csv(response)]
        following = response.links.get("next")
        if following is None:
            break
        assert following["url"].startswith(path + "?")
        response = client.get(following["url"])
    assert got == wanted
    assert pages == -(-len(wanted) // 3)


def test_csv_streams_every_row_in_batches(client: TestClient, session: Session) -> None:
    add_projects(session, 1200)
    with client.stream(
        "GET",
        "/api/v1/projects",
        params={"format": "csv", "fields": "id"},
        headers={"Accept-Encoding": "identity"},
    ) as response:
        chunks = list(response.iter_raw())
    assert len(chunks) >= 3
    lines = b"".join(chunks).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 1206


def test_csv_refuses_bad_parameters_before_streaming(client: TestClient) -> None:
    assert_problem(
        client.get("/api/v1/projects", params={"format": "csv", "sort": "x"}), 400, "sort"
    )
    assert_problem(client.get("/api/v1/projects", params={"format": "xml"}), 422, "format")


def test_csv_has_an_etag_that_changes_with_the_data(client: TestClient, session: Session) -> None:
    # That an unchanged CSV answers 304 is test_every_get_has_a_strong_etag_and_answers_304.
    etag = client.get("/api/v1/projects", params={"format": "csv"}).headers["etag"]
    make_project(session, project_id="one-more")
    changed = client.get(
        "/api/v1/projects", params={"format": "csv"}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert any(row["id"] == "one-more" for row in parse_csv(changed))


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
    wanted = [item["id"] for item in walk(client, PROJECTS_PATH, **{**params, "limit": 200})]
    if "limit" in params:
        wanted = wanted[: int(params["limit"])]
    response = client.get(PROJECTS_PATH, params={**params, "format": "csv", "fields": "id"})
    assert response.status_code == 200, response.text
    rows = csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))
    assert [row["id"] for row in rows] == wanted


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    client: TestClient, session: Session
) -> None:
    for index, name in enumerate(['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]):
        make_project(session, project_id=f"formula-{index}", name=name)
    response = client.get(
        PROJECTS_PATH, params={"format": "csv", "fields": "id,name", "sort": "id"}
    )
    reader = csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))
    rows = {row["id"]: row["name"] for row in reader}
    assert rows["formula-0"] == '\'=HYPERLINK("http://x")'
    assert rows["formula-1"] == "'+1+1"
    assert rows["formula-2"] == "'-2+3"
    assert rows["formula-3"] == "'@SUM(A1)"
    assert rows["catl-ly9"] == "江苏时代新能源灯塔工厂LY9项目"


def test_a_slow_reader_gets_every_row_of_a_csv(fresh_database_url: str) -> None:
    """The statement timeout (here 300 ms) counts the database's work, not the time the client
    takes: a CSV too large for the server's socket buffers (5 MB), read over seconds, arrives
    whole. Before, the stream stopped part way, with no last chunk."""
    with server(fresh_database_url, STATEMENT_TIMEOUT_MS="300") as (_, base):
        synthesize(fresh_database_url, 20_000)
        started = time.monotonic()
        answer = read_slowly(base, PROJECTS_PATH + "?format=csv", chunk=65536, pause_s=0.02)
        assert time.monotonic() - started > 1  # far longer than the statement timeout
    head, body = dechunk(answer)
    assert head.startswith(b"HTTP/1.1 200")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 20_000 + 6
    assert len({row["id"] for row in rows}) == len(rows)


def test_slow_csv_downloads_leave_half_the_pool_to_everything_else(
    fresh_database_url: str,
) -> None:
    """A whole CSV streams through a pooled connection for as long as its client takes to read
    it. With a pool of two, one streams at a time: a second is refused at once (503, with
    `Retry-After`), and a list asked meanwhile gets the other connection. Before, two slow
    readers held both, and on PostgreSQL every other read waited for a 503. The turn comes
    back when the reader goes."""
    with server(fresh_database_url, DATABASE_POOL_SIZE="2", RESPONSE_CACHE_MB="0") as (_, base):
        synthesize(fresh_database_url, 30_000)
        address = urlsplit(base)
        readers, heads = [], []
        try:
            for _ in range(2):
                reader = socket.socket()
                reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
                reader.connect((address.hostname, address.port))
                reader.sendall(
                    f"GET {PROJECTS_PATH}?format=csv HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                )
                readers.append(reader)
                heads.append(reader.recv(16384).lower())  # and nothing more is read
            assert heads[0].startswith(b"http/1.1 200"), heads[0][:200]
            assert heads[1].startswith(b"http/1.1 503"), heads[1][:200]
            assert b"content-type: application/problem+json" in heads[1]
            assert b"retry-after:" in heads[1]
            listed = httpx2.get(base + PROJECTS_PATH, params={"limit": "5"}, timeout=10)
            assert listed.status_code == 200
        finally:
            for reader in readers:
                reader.close()
        deadline = time.monotonic() + 15
        while True:
            whole = httpx2.get(base + PROJECTS_PATH, params={"format": "csv", "fields": "id"})
            if whole.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert whole.status_code == 200
        assert len(whole.text.splitlines()) == 1 + 30_000 + 6


# HTTP ------------------------------------------------------------------------------------

GET_PATHS = [
    "/api/v1/projects",
    "/api/v1/projects/catl-ly9",
    "/api/v1/projects?format=csv",
    "/api/v1/stats/projects?group_by=status",
    "/api/v1/stats/parks/facets",
    "/api/v1/search?q=光伏",
    "/healthz",
]


@pytest.mark.parametrize("path", GET_PATHS)
def test_every_get_has_a_strong_etag_and_answers_304(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    etag = response.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert response.headers["cache-control"] == "public, no-cache"
    not_modified = client.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc", "/"])
def test_the_pages_and_the_api_document_have_etags_too(client: TestClient, path: str) -> None:
    """Every GET answer carries a strong ETag: the 1 MB API document a code generator polls
    included."""
    response = client.get(path, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    etag = response.headers["etag"]
    assert etag.startswith('"')
    again = client.get(path, headers={"Accept-Encoding": "identity", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


def test_large_bodies_are_gzipped_and_small_ones_are_not(client: TestClient) -> None:
    large = client.get("/api/v1/figures", params={"limit": 50})
    assert large.headers["content-encoding"] == "gzip"
    small = client.get("/healthz")
    assert "content-encoding" not in small.headers


def test_gzip_is_made_at_the_fastest_level(client: TestClient) -> None:
    """Compressing runs on the event loop for every client that asks for gzip (browsers and
    pandas always do). At zlib's slowest level, Starlette's default, a 200-record page took
    1.1 ms there; at the fastest, 0.18 (bench/README.md, "Gzip"). The gzip header says which:
    its XFL byte is 2 for the slowest level, 4 for the fastest (RFC 1952)."""
    with client.stream(
        "GET", "/api/v1/figures", params={"limit": 50}, headers={"Accept-Encoding": "gzip"}
    ) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert raw[:2] == b"\x1f\x8b"
    assert raw[8] == 4, f"XFL {raw[8]}: not compressed at the fastest level"


def test_a_gzipped_answer_has_a_strong_etag_of_its_own(client: TestClient) -> None:
    """Strong validators differ between a representation's codings (RFC 9110, 8.8.3); a tag
    of either coding still revalidates, and still names the record's state to a write."""
    path = "/api/v1/figures?limit=50"
    gzipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert gzipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert gzipped.content == plain.content  # decoded by the client
    assert gzipped.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    for held in (gzipped.headers["etag"], plain.headers["etag"]):
        again = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": held})
        assert again.status_code == 304, held
        assert again.headers["etag"] == held


def test_an_answer_chosen_by_accept_says_so_in_vary(client: TestClient) -> None:
    """The list and stats operations answer JSON or CSV by `Accept`: a cache between must
    keep them apart. The `.json` and `.csv` operations, and `format=`, answer one way."""
    for path in ("/api/v1/projects", "/api/v1/stats/projects?group_by=status"):
        for accept in ("application/json", "text/csv"):
            response = client.get(path, headers={"Accept": accept})
            assert response.status_code == 200
            assert "Accept" in vary(response), (path, accept)
            revalidated = client.get(
                path, headers={"Accept": accept, "If-None-Match": response.headers["etag"]}
            )
            assert revalidated.status_code == 304
            assert "Accept" in vary(revalidated), (path, accept)
    for path in ("/api/v1/projects.json", "/api/v1/projects.csv", "/api/v1/projects?format=csv"):
        assert "Accept" not in vary(client.get(path)), path


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        ("text/csv", True),
        ("text/csv, application/json", True),
        ("text/csv;q=0, application/json", False),
        ("application/json;q=0.9, text/csv;q=0.5", False),
        ("text/csv;q=0.5, application/json;q=0.4", True),
        ("application/json", False),
        ("*/*", False),
    ],
)
def test_accept_is_read_with_its_preferences(client: TestClient, accept: str, csv: bool) -> None:
    """Asked first the other way, so that an answer kept for one `Accept` is not given to
    another that prefers the other format."""
    other = "application/json" if csv else "text/csv"
    assert client.get("/api/v1/projects", headers={"Accept": other}).status_code == 200
    response = client.get("/api/v1/projects", headers={"Accept": accept})
    assert response.headers["content-type"].startswith("text/csv" if csv else "application/json")


def test_gzip_refused_with_q_0_is_not_sent(client: TestClient) -> None:
    path = "/api/v1/figures?limit=50"
    assert (
        client.get(path, headers={"Accept-Encoding": "gzip"}).headers["content-encoding"] == "gzip"
    )
    for refused in ("gzip;q=0", "identity, gzip;q=0"):
        response = client.get(path, headers={"Accept-Encoding": refused})
        assert "content-encoding" not in response.headers, refused


def vary(response: Any) -> list[str]:
    return [name.strip() for name in response.headers.get("vary", "").split(",")]


def test_cors_allows_reads_from_any_origin(client: TestClient) -> None:
    """A simple read and a read's preflight; that no origin may send credentials is
    tests/test_security.py::test_cors_never_lets_a_browser_send_credentials."""
    simple = client.get("/api/v1/projects", headers={"Origin": "https://dashboard.example"})
    assert simple.status_code == 200
    assert simple.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/api/v1/projects",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_a_refused_preflight_is_a_problem(client: TestClient) -> None:
    """Writes are not open to other origins' browsers: their preflight is refused, as a problem
    like every other refusal, with the CORS headers that tell the browser what is allowed."""
    refused = client.options(
        "/api/v1/projects/catl-ly9",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "PATCH"},
    )
    problem = assert_problem(refused, 400)
    assert "method" in problem["detail"]
    assert refused.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"


def test_unknown_path_and_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    response = client.delete("/api/v1/projects")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD, POST"
    # Every method of the path, though each is a route of its own (Schemathesis found this).
    record = client.request("OPTIONS", "/api/v1/projects/catl-ly9")
    assert_problem(record, 405)
    assert record.headers["allow"] == "DELETE, GET, HEAD, PATCH"


@pytest.mark.parametrize(
    ("path", "status", "routers_tried"),
    [
        ("/healthz", 200, 1),
        ("/api/v1/zero-carbon-factories.json?limit=1", 200, 1),
        # A collection's list and its stats are answered before any router (app/api/direct.py).
        ("/api/v1/zero-carbon-factories?limit=1", 200, 0),
        ("/api/v1/stats/zero-carbon-factories", 200, 0),
        ("/api/v1/stats/zero-carbon-factories.csv", 200, 1),
        ("/api/v1/zero-carbon-factories/nowhere", 404, 1),
        ("/api/v1/nothing-here", 404, 0),
        # To the path without the slash, after trying the routers of paths that begin so: the
        # collection's and the neighbours' (`/api/v1/zero-carbon-factories/{id}/neighbours`).
        ("/api/v1/zero-carbon-factories/", 307, 2),
    ],
)
def test_a_request_is_matched_only_against_the_routes_that_could_serve_it(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    status: int,
    routers_tried: int,
) -> None:
    """FastAPI would try every included router before the last (`/healthz`, the health router,
    comes after 18 others); the app's route index leaves out those whose paths cannot match."""
    tried: list[object] = []
    included = type(client.app.router.routes[-1])  # type: ignore[attr-defined]
    matches = included.matches

    def counted(self: object, scope: dict[str, Any]) -> Any:
        tried.append(self)
        return matches(self, scope)

    monkeypatch.setattr(included, "matches", counted)
    response = client.get(path, follow_redirects=False)
    assert response.status_code == status
    assert len(set(map(id, tried))) == routers_tried


def test_a_server_behind_a_path_prefix_finds_its_routes(client: TestClient) -> None:
    """Behind a proxy that serves the API under `/citykb` (uvicorn's `--root-path`), routes
    are found by the path below the prefix."""
    prefixed = TestClient(client.app, root_path="/citykb")
    assert prefixed.get("/citykb/healthz").json() == {"status": "ok"}
    assert prefixed.get("/citykb/api/v1/projects/catl-ly9").json()["id"] == "catl-ly9"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_landing_page_links_the_docs_and_loads_nothing_from_other_hosts(
    client: TestClient,
) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'href="/docs"' in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_nothing_from_other_hosts(client: TestClient, page: str) -> None:
    html = client.get(page)
    assert html.status_code == 200
    assert "http://" not in html.text
    assert "https://" not in html.text
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', html.text)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


PARSERS = pytest.mark.parametrize("parser", ["httptools", "h11"])
"""`citykb serve` runs httptools; h11, its pure-Python option, keeps the same guards."""


@PARSERS
def test_headers_that_trickle_in_get_a_408(fresh_database_url: str, parser: str) -> None:
    with server(fresh_database_url, "--http", parser, HEADER_TIMEOUT_S="1") as (_, base):
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.5)
            client.sendall(b"X-Slow: 1\r\n")
            answer = client.recv(65536)
            assert answer.startswith(b"HTTP/1.1 408"), answer
            assert b"application/problem+json" in answer
            assert client.recv(65536) == b""  # and the connection is closed


@PARSERS
def test_a_body_that_trickles_in_gets_a_408(fresh_database_url: str, parser: str) -> None:
    """Its headers came in time, but not the body they declare: the write never starts, and the
    connection, which could still carry the rest of that body, closes."""
    with server(fresh_database_url, "--http", parser, BODY_TIMEOUT_S="1") as (_, base):
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as client:
            client.sendall(
                b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            answer = b""
            while chunk := client.recv(65536):  # to the end: the connection closes
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408"), answer
            assert b"application/problem+json" in answer
            assert b"did not arrive within 1 s" in answer


def one_answer(answers: BinaryIO) -> bytes:
    """The next whole answer on a connection (`socket.makefile("rb")`): its head and the body
    its content-length gives."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = answers.readline()
        assert line, f"the connection closed after {head!r}"
        head += line
    length = int(re.search(rb"content-length: (\d+)", head, re.IGNORECASE)[1])  # type: ignore[index]
    body = answers.read(length)
    assert len(body) == length, "the connection closed during the body"
    return head + body


@PARSERS
def test_the_head_deadline_starts_again_at_each_answer(
    fresh_database_url: str, parser: str
) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with server(fresh_database_url, "--http", parser, HEADER_TIMEOUT_S="1") as (_, base):
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as client:
            answers = client.makefile("rb")
            time.sleep(0.6)
            client.sendall(request)
            assert one_answer(answers).startswith(b"HTTP/1.1 200")
            time.sleep(0.6)  # past the connection's first deadline, not the answer's
            client.sendall(request)
            assert one_answer(answers).startswith(b"HTTP/1.1 200")
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            answer = client.recv(65536)
            assert answer.startswith(b"HTTP/1.1 408"), answer
            assert 0.5 < time.monotonic() - started < 5


@PARSERS
def test_a_pipelined_request_is_not_cut_off_by_a_head_deadline(
    fresh_database_url: str, parser: str
) -> None:
    """A request read behind another waits for it; once started, it is no head awaited."""
    body = b'{"id": "pipelined"}'
    post = (
        b"POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    with server(fresh_database_url, "--http", parser, HEADER_TIMEOUT_S="1") as (_, base):
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as client:
            answers = client.makefile("rb")
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + post)
            assert one_answer(answers).startswith(b"HTTP/1.1 200")
            time.sleep(1.5)  # the second request's body comes later than a head may
            client.sendall(body)
            assert one_answer(answers).startswith(b"HTTP/1.1 401")


def test_a_keep_alive_connection_sees_a_write_made_between_its_requests(
    fresh_database_url: str,
) -> None:
    """The server stamps each request when it arrives, and the response cache shares a
    revision read only among requests that arrived before it began (app/cache.py): a request
    read ahead of a write's answer (pipelined) arrives when it is started."""
    get = b"GET /api/v1/projects/catl-ly9 HTTP/1.1\r\nHost: x\r\n\r\n"
    with server(fresh_database_url, RESPONSE_CACHE_MB="4") as (_, base):
        address = urlsplit(base)
        engine = make_engine(fresh_database_url)
        with Session(engine) as session, session.begin():
            _, token = create_key(session=session, name="pipeliner", scope=Scope.curator)
        with socket.create_connection((address.hostname, address.port), timeout=10) as client:
            answers = client.makefile("rb")
            client.sendall(get)
            assert b"x-cache: miss" in one_answer(answers)
            client.sendall(get)
            kept = one_answer(answers)
            assert b"x-cache: hit" in kept
            with Session(engine) as session, session.begin():
                project = session.get(Project, "catl-ly9")
                assert project is not None
                project.description = "Edited between two requests."
            client.sendall(get)
            edited = one_answer(answers)
            assert b"Edited between two requests." in edited
            etag = re.search(rb"etag: (\S+)", edited)[1]  # type: ignore[index]
            body = b'{"description": "Edited by a pipelined request."}'
            patch = (
                b"PATCH /api/v1/projects/catl-ly9 HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Bearer " + token.encode() + b"\r\nIf-Match: " + etag + b"\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
            )
            client.sendall(get + patch + body + get)  # read together, answered in turn
            assert b"x-cache: hit" in one_answer(answers)
            assert one_answer(answers).startswith(b"HTTP/1.1 200")
            assert b"Edited by a pipelined request." in one_answer(answers)
        engine.dispose()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /api/v1/projects?q=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\n" + b"X-Big: 1\r\n" * 100_000 + b"\r\n", 431),
        # A URL with raw UTF-8 (HTTP wants it percent-encoded): told how to send it.
        ("GET /api/v1/search?q=光伏 HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 400),
    ],
)
@PARSERS
def test_a_request_it_cannot_parse_is_answered_not_reset(
    fresh_database_url: str, request_bytes: bytes, status: int, parser: str
) -> None:
    with server(fresh_database_url, "--http", parser) as (_, base):
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as client:
            client.sendall(request_bytes)
            answer = b""
            while data := client.recv(65536):
                answer += data
        assert answer.startswith(f"HTTP/1.1 {status}".encode()), answer[:200]
        assert b"application/problem+json" in answer
        if status == 400:
            assert b"percent-encode" in answer


@PARSERS
def test_headers_under_the_limit_sent_piece_by_piece_are_served(
    fresh_database_url: str, parser: str
) -> None:
    """10 KiB of headers (the limit is 16) in pieces: each byte counts once towards it."""
    with server(fresh_database_url, "--http", parser) as (_, base):
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            for piece in range(5):
                time.sleep(0.05)
                client.sendall(f"X-Piece-{piece}: ".encode() + b"a" * 2000 + b"\r\n")
            client.sendall(b"Connection: close\r\n\r\n")
            answer = b""
            while data := client.recv(65536):
                answer += data
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects?sort=-investment_cny",
        "/api/v1/projects/catl-ly9",
        "/api/v1/stats/projects?group_by=status",
        "/api/v1/search?q=光伏",
        "/",
        "/healthz",
        "/openapi.json",
    ],
)
def test_head_answers_what_get_does_without_the_body(client: TestClient, path: str) -> None:
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "etag"):
        assert head.headers.get(name) == got.headers.get(name), name
    if "etag" in got.headers:
        fresh = client.head(path, headers={"If-None-Match": got.headers["etag"]})
        assert fresh.status_code == 304


def test_head_of_a_csv_stream_and_of_a_missing_record(client: TestClient) -> None:
    csv = client.head("/api/v1/projects?format=csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content == b""
    missing = client.head("/api/v1/projects/no-such-project")
    assert missing.status_code == 404
    assert missing.content == b""
