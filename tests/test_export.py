"""`GET /api/v1/export` and `citykb export`: the whole knowledge base in one file that
analysts' tools open as it is, holding what the API answers.

DuckDB reads the zip's CSVs. Its SQLite scanner is an extension it downloads on first use, which
this machine's closed network cannot reach: the SQLite file is read with `sqlite3` and pandas."""

import csv
import os
import re
import sqlite3
import subprocess
import sys
import zipfile
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson
import pandas as pd  # type: ignore[import-untyped]  # no stubs in the test extra
import pytest
from fastapi.testclient import TestClient
from frictionless import validate
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.collections.catalog import BY_KEY
from app.models import Scope
from app.services.export import TABLES, ExportFormat, write_export
from app.services.keys import create_key
from app.services.revision import current_revision
from tests.factories import COLLECTION_TAGS, assert_problem, make_project

EXPORT = "/api/v1/export"
Api = dict[str, tuple[list[dict[str, Any]], int]]
"""Each collection's records as the API reads them, and its list's `total`, by table name."""


def _records(client: TestClient, tag: str) -> tuple[list[dict[str, Any]], int]:
    records: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 200}
    while True:
        page = client.get(f"/api/v1/{tag}", params=params).json()
        records += page["items"]
        if page["next_cursor"] is None:
            return records, page["total"]
        params["cursor"] = page["next_cursor"]


@pytest.fixture
def api(client: TestClient) -> Api:
    return {tag.replace("-", "_"): _records(client, tag) for tag in COLLECTION_TAGS}


def _expected(api: Api) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, from the API's answers: each record's scalar fields, the pairs of
    each project's `organization_ids`, and each record's citations in order."""
    tables: dict[str, list[dict[str, Any]]] = {key: [] for key in api}
    for key, (records, _) in api.items():
        for item in records:
            scalar = {name: value for name, value in item.items() if not isinstance(value, list)}
            tables[key].append(scalar)
    tables["project_organizations"] = [
        {"project_id": item["id"], "organization_id": organization}
        for item in api["projects"][0]
        for organization in item["organization_ids"]
    ]
    tables["citations"] = [
        {
            "subject_type": BY_KEY[key].subject,
            "subject_id": item["id"],
            "position": position,
            **citation,
        }
        for key, (records, _) in api.items()
        for item in records
        for position, citation in enumerate(item["citations"], start=1)
    ]
    return tables


def _sorted(rows: list[dict[str, Any]]) -> list[bytes]:
    return sorted(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) for row in rows)


def _download(client: TestClient, folder: Path, export_format: str) -> Path:
    # Uncompressed, to see its length: the sqlite file is gzipped for clients that accept it.
    identity = {"Accept-Encoding": "identity"}
    response = client.get(EXPORT, params={"format": export_format}, headers=identity)
    assert response.status_code == 200, response.text
    named = re.fullmatch(
        rf'attachment; filename="(citykb-\d+\.{export_format})"',
        response.headers["content-disposition"],
    )
    assert named is not None, response.headers
    assert response.headers["content-length"] == str(len(response.content))
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["etag"])
    path = folder / named[1]
    path.write_bytes(response.content)
    return path


def _unzip(path: Path) -> Path:
    folder = path.with_suffix("")
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    return folder


def _sqlite_rows(database: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    cursor = database.execute(f'SELECT * FROM "{table}"')
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def test_the_sqlite_export_holds_what_the_api_answers(
    client: TestClient, api: Api, tmp_path: Path
) -> None:
    path = _download(client, tmp_path, "sqlite")
    expected = _expected(api)
    with closing(sqlite3.connect(path)) as database:
        tables = [name for (name,) in database.execute("SELECT name FROM sqlite_master")]
        assert set(expected) == {name for name in tables if not name.startswith(("ix_", "sqlite_"))}
        for key, (_, total) in api.items():
            assert database.execute(f"SELECT count(*) FROM {key}").fetchone() == (total,), key
        for table, rows in expected.items():
            exported = _sqlite_rows(database, table)
            booleans = {name for row in rows for name, value in row.items() if type(value) is bool}
            for row in exported:
                row.update({name: bool(row[name]) for name in booleans if row[name] is not None})
                if table == "citations":
                    row["fields"] = orjson.loads(row["fields"])
            assert _sorted(exported) == _sorted(rows), table
            # pandas reads every table as it is.
            assert len(pd.read_sql_query(f"SELECT * FROM {table}", database)) == len(rows)
        # References between tables are declared, for Datasette's links and DuckDB's catalog.
        references = database.execute("PRAGMA foreign_key_list(projects)").fetchall()
        assert {(row[2], row[3], row[4]) for row in references} == {
            ("districts", "district_id", "id")
        }
        revision = database.execute("PRAGMA user_version").fetchone()[0]
    assert path.name == f"citykb-{revision}.sqlite"


def test_the_zip_export_is_a_valid_data_package_that_duckdb_and_pandas_read(
    client: TestClient, api: Api, tmp_path: Path
) -> None:
    path = _download(client, tmp_path, "zip")
    folder = _unzip(path)
    report = validate(folder / "datapackage.json")  # types, constraints, keys and references
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])
    package = orjson.loads((folder / "datapackage.json").read_bytes())
    resources = {resource["name"]: resource for resource in package["resources"]}
    expected = _expected(api)
    assert set(resources) == set(expected)
    projects = {field["name"]: field for field in resources["projects"]["schema"]["fields"]}
    assert projects["investment_cny"] == {
        "name": "investment_cny",
        "type": "integer",
        "description": "Total investment in yuan (CNY), agreeing with its figure.",
        "unit": "CNY",
    }
    assert projects["status"]["constraints"]["enum"] == [
        "landed",
        "signed",
        "under_construction",
        "in_production",
    ]
    assert resources["projects"]["schema"]["primaryKey"] == ["id"]
    assert {
        "fields": ["organization_id"],
        "reference": {"resource": "organizations", "fields": ["id"]},
    } in resources["project_organizations"]["schema"]["foreignKeys"]
    for resource in resources.values():
        assert all(field["description"] and field["type"] for field in resource["schema"]["fields"])

    for table, rows in expected.items():
        csv_path = folder / f"{table}.csv"
        assert len(pd.read_csv(csv_path)) == len(rows), table
        with open(csv_path, encoding="utf-8", newline="") as file:
            exported = list(csv.DictReader(file))
        assert _sorted(exported) == _sorted([_as_csv(row) for row in rows]), table

    counts, investment, fields = _duckdb(
        " UNION ALL ".join(
            f"SELECT '{table}', count(*) FROM read_csv('{folder / table}.csv')"
            for table in expected
        ),
        f"SELECT sum(investment_cny) FROM read_csv('{folder}/projects.csv')",
        f"SELECT fields::VARCHAR[] FROM read_csv('{folder}/citations.csv') "
        "WHERE subject_id = 'catl-ly9' AND position = 1",
    )
    assert dict(counts) == {table: len(rows) for table, rows in expected.items()}
    assert investment == [[sum(item["investment_cny"] or 0 for item in api["projects"][0])]]
    ly9 = next(item for item in api["projects"][0] if item["id"] == "catl-ly9")
    assert fields == [[ly9["citations"][0]["fields"]]]


def _duckdb(*queries: str) -> list[list[list[Any]]]:
    """Each query's rows, from DuckDB in a process of its own: the app freezes the collector's
    view of what is alive (`gc.freeze`), which the DuckDB bindings report at exit as leaks."""
    script = (
        "import duckdb, json, sys\n"
        "with duckdb.connect() as database:\n"
        "    print(json.dumps([database.execute(q).fetchall() for q in sys.argv[1:]]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *queries], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    rows: list[list[list[Any]]] = orjson.loads(done.stdout)
    return rows


def _as_csv(row: dict[str, Any]) -> dict[str, str]:
    """A row as the CSVs write it: null is empty, true and false are words, lists JSON."""

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return orjson.dumps(value).decode()
        return str(value)

    return {name: cell(value) for name, value in row.items()}


def test_an_unchanged_export_is_a_304_and_a_write_changes_its_etag(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    first = client.get(EXPORT)
    etag = first.headers["etag"]
    unchanged = client.get(EXPORT, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert (
        client.get(EXPORT, params={"format": "sqlite"}, headers={"If-None-Match": etag}).status_code
        == 304
    )
    # The zip is another representation, with an ETag of its own.
    other = client.get(EXPORT, params={"format": "zip"}, headers={"If-None-Match": etag})
    assert other.status_code == 200
    assert other.headers["etag"] != etag
    head = client.head(EXPORT)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == etag
    assert head.headers["content-disposition"] == first.headers["content-disposition"]

    _, token = create_key(session=session, name="exporter", scope=Scope.curator)
    record = client.get("/api/v1/scenarios/digital-human-ip")
    deleted = client.delete(
        "/api/v1/scenarios/digital-human-ip",
        headers={"Authorization": f"Bearer {token}", "If-Match": record.headers["etag"]},
    )
    assert deleted.status_code == 204, deleted.text

    after = client.get(EXPORT, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    assert after.headers["content-disposition"] != first.headers["content-disposition"]
    (tmp_path / "after.sqlite").write_bytes(after.content)
    with closing(sqlite3.connect(tmp_path / "after.sqlite")) as database:
        gone = "SELECT count(*) FROM {} WHERE {} = 'digital-human-ip'"
        assert database.execute(gone.format("scenarios", "id")).fetchone() == (0,)
        assert database.execute(gone.format("citations", "subject_id")).fetchone() == (0,)
    assert client.get(EXPORT, headers={"If-None-Match": after.headers["etag"]}).status_code == 304


def test_an_unknown_format_or_parameter_is_refused_by_name(client: TestClient) -> None:
    assert_problem(client.get(EXPORT, params={"format": "parquet"}), 422, "format")
    assert_problem(client.get(EXPORT, params={"format": ["zip", "sqlite"]}), 422, "format")
    assert_problem(client.get(EXPORT, params={"formats": "zip"}), 400, "formats")


def test_the_command_writes_the_file_with_progress_per_table(
    database_url: str, api: Api, tmp_path: Path
) -> None:
    environment = dict(os.environ, DATABASE_URL=database_url)

    def export(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "app", "export", *args]
        done = subprocess.run(
            command, env=environment, cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done

    zipped = export("--format", "zip", "--output", str(tmp_path / "kb.zip"))
    for key, (_, total) in api.items():
        assert f"export: {key}: {total} row{'' if total == 1 else 's'}" in zipped.stderr
    assert "export: citations: " in zipped.stderr
    folder = _unzip(tmp_path / "kb.zip")
    assert validate(folder / "datapackage.json").valid
    for key, (_, total) in api.items():
        assert len(pd.read_csv(folder / f"{key}.csv")) == total, key

    default = export()  # SQLite, named for its revision, here
    (written,) = tmp_path.glob("citykb-*.sqlite")
    assert str(written.name) in default.stdout
    with closing(sqlite3.connect(written)) as database:
        for key, (_, total) in api.items():
            assert database.execute(f"SELECT count(*) FROM {key}").fetchone() == (total,), key
    assert not list(tmp_path.glob(".citykb-export-*")), "a partial file was left behind"


def test_an_export_reads_one_snapshot_while_writes_commit(
    shared_database: Engine, tmp_path: Path
) -> None:
    """A project committed while the export runs is in none of its tables: not in `citations`,
    written after it was committed, nor in the revision."""
    with Session(shared_database) as reader:
        before = current_revision(session=reader)

    def write_meanwhile(table: str, rows: int) -> None:
        if table == TABLES[0].name:
            with Session(shared_database) as writer, writer.begin():
                make_project(writer, project_id="committed-meanwhile")

    path = tmp_path / "kb.sqlite"
    with Session(shared_database) as session:
        revision = write_export(
            session=session, export_format=ExportFormat.sqlite, path=path, progress=write_meanwhile
        )
    assert revision == before
    with closing(sqlite3.connect(path)) as database:
        cited = "SELECT count(*) FROM citations WHERE subject_id = 'committed-meanwhile'"
        assert database.execute(cited).fetchone() == (0,)
        assert database.execute("PRAGMA user_version").fetchone() == (before,)
    with Session(shared_database) as reader:
        assert current_revision(session=reader) > before
