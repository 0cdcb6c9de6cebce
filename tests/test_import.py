"""Bulk import: all or nothing, problems named by line and field, history kept, and a process
killed part way leaves the database as it was."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import make_engine
from app.migrate import prepare
from app.models import Citation, District, Project, RecordHistory, Scope
from app.services.importing import import_records
from app.services.keys import create_key
from app.services.seed_file import SeedError, read_seed_file
from app.services.seeding import seed_database
from tests.factories import assert_problem, cite, jsonl, project_line, register_source_text

SOURCE = "changzhou-city-work-conference-2025"


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    _, token = create_key(session=session, name="archivist", scope=Scope.admin)
    session.commit()  # so that a request that fails and rolls back keeps the key
    return {"Authorization": f"Bearer {token}"}


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Project)) or 0,
        session.scalar(select(func.count()).select_from(Citation)) or 0,
        session.scalar(select(func.count()).select_from(RecordHistory)) or 0,
    )


@pytest.mark.usefixtures("source_text")
def test_an_import_writes_every_record_and_its_history(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    body = jsonl(project_line(1), project_line(2), project_line(1, sector="新能源", citations=[]))
    response = client.post("/api/v1/import", content=body, headers=admin)
    assert response.status_code == 422  # the third line states a sector without a citation
    response = client.post(
        "/api/v1/import", content=jsonl(project_line(1), project_line(2)), headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"dry_run": False, "inserted": {"projects": 2}, "updated": {}}
    history = client.get("/api/v1/projects/imported-00001/history").json()["items"]
    assert [(change["action"], change["actor"]) for change in history] == [("create", "archivist")]
    found = client.get("/api/v1/projects", params={"q": "导入项目"})
    assert found.status_code == 200, found.text
    assert found.json()["total"] == 2


@pytest.mark.usefixtures("source_text")
def test_one_bad_line_changes_nothing_and_is_named(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    before = counts(session)
    body = jsonl(project_line(1), project_line(2, district_id="atlantis"), project_line(3))
    response = client.post("/api/v1/import", content=body, headers=admin)
    problem = assert_problem(response, 422)
    assert {
        "loc": ["body", "line 2", "projects[imported-00002].district_id"],
        "msg": "unknown districts id 'atlantis'",
    } in problem["errors"]
    assert {tuple(error["loc"][:2]) for error in problem["errors"]} == {("body", "line 2")}
    assert counts(session) == before


@pytest.mark.parametrize("collection", [["districts"], {"a": 1}, 7, None])
def test_a_collection_that_is_no_name_is_a_problem_of_its_line(
    client: TestClient, admin: dict[str, str], collection: Any
) -> None:
    line = orjson.dumps({"collection": collection, "record": {}}).decode()
    response = client.post("/api/v1/import", content=jsonl(project_line(1), line), headers=admin)
    problem = assert_problem(response, 422)
    assert [error["loc"][:2] for error in problem["errors"]] == [["body", "line 2"]], problem


@pytest.mark.usefixtures("source_text")
def test_a_long_chain_of_parents_imports_parents_first(
    client: TestClient, admin: dict[str, str]
) -> None:
    """Deeper than Python's recursion limit, child before parent in the file, and a cycle at
    its far end named."""
    depth = 1500

    def district(number: int, parent: int | None) -> str:
        record = {
            "id": f"chain-{number}",
            "name": f"链{number}",
            "parent_id": None if parent is None else f"chain-{parent}",
            "citations": [{**cite("name", "parent_id"), "paragraph": 9, "quote": "西太湖"}],
        }
        return orjson.dumps({"collection": "districts", "record": record}).decode()

    lines = [district(number, number - 1 if number else None) for number in range(depth)]
    body = jsonl(*reversed(lines))
    response = client.post("/api/v1/import", params={"dry_run": True}, content=body, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == {"districts": depth}
    cycle = jsonl(*reversed([district(0, depth - 1), *lines[1:]]))
    problem = assert_problem(client.post("/api/v1/import", content=cycle, headers=admin), 422)
    assert "parent cycle: chain-" in problem["detail"], problem


@pytest.mark.usefixtures("source_text")
def test_a_dry_run_counts_and_writes_nothing(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    before = counts(session)
    response = client.post(
        "/api/v1/import",
        params={"dry_run": True},
        content=jsonl(project_line(1), project_line(2)),
        headers=admin,
    )
    assert response.json() == {"dry_run": True, "inserted": {"projects": 2}, "updated": {}}
    assert counts(session) == before


@pytest.mark.usefixtures("source_text")
def test_a_seed_document_imports_too_and_names_lines(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    document = (
        f"default_source_id: {SOURCE}\n"
        "districts:\n"
        "  - id: wujin\n"
        "    name: 武进\n"
        "    parent_id: changzhou\n"
        "    citations:\n"
        "      - {paragraph: 6, quote: 常州, fields: [name, parent_id]}\n"
        "  - id: xinbei\n"
        "    name: 新北\n"
        "    kind: galaxy\n"
        "    citations:\n"
        "      - {paragraph: 6, quote: 常州, fields: [name, kind]}\n"
    )
    response = client.post("/api/v1/import", content=document.encode(), headers=admin)
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"][:2] == ["body", "line 8"]
    assert "kind" in problem["errors"][0]["loc"][2]
    fixed = document.replace("galaxy", "district")
    response = client.post("/api/v1/import", content=fixed.encode(), headers=admin)
    assert response.json()["inserted"] == {"districts": 2}


def test_import_needs_an_admin_key(client: TestClient, session: Session) -> None:
    _, token = create_key(session=session, name="curator", scope=Scope.curator)
    response = client.post(
        "/api/v1/import",
        content=jsonl(project_line(1)),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_problem(response, 403)
    assert_problem(client.post("/api/v1/import", content=jsonl(project_line(1))), 401)


def citykb_import(database_url: str, path: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "import", str(path), *extra],
        env=dict(os.environ, DATABASE_URL=database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def prepared(fresh_database_url: str, source_text: str) -> Iterator[tuple[str, Engine]]:
    engine = make_engine(fresh_database_url)
    prepare(engine, get_settings().seed_path)
    register_source_text(engine)
    yield fresh_database_url, engine
    engine.dispose()


def fingerprint(engine: Engine) -> list[Any]:
    """Row counts of the tables an import writes, and the revision."""
    tables = ("projects", "citations", "search_grams", "record_history")
    with engine.connect() as connection:
        found = [
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in tables
        ]
        found.append(connection.execute(text("SELECT value FROM kb_revision")).scalar())
    return found


def test_the_command_line_import(prepared: tuple[str, Engine], tmp_path: Path) -> None:
    url, engine = prepared
    path = tmp_path / "records.jsonl"
    path.write_bytes(jsonl(project_line(1), project_line(2, district_id="atlantis")))
    before = fingerprint(engine)
    refused = citykb_import(url, path)
    _, errors = refused.communicate(timeout=60)
    assert refused.returncode == 1
    assert "line 2: projects[imported-00002].district_id: unknown districts id" in errors
    assert fingerprint(engine) == before
    path.write_bytes(jsonl(project_line(1), project_line(2)))
    dry = citykb_import(url, path, "--dry-run")
    output, _ = dry.communicate(timeout=60)
    assert "would be import: projects: 2 inserted" in output
    assert fingerprint(engine) == before
    done = citykb_import(url, path)
    output, _ = done.communicate(timeout=60)
    assert done.returncode == 0
    assert "import: projects: 2 inserted" in output


def test_an_import_killed_part_way_changes_nothing(
    prepared: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = prepared
    path = tmp_path / "big.jsonl"
    path.write_bytes(jsonl(*(project_line(number) for number in range(10_000))))
    before = fingerprint(engine)
    process = citykb_import(url, path)
    assert process.stderr is not None
    line = process.stderr.readline()
    assert "records valid; writing" in line, line
    time.sleep(1.0)
    assert process.poll() is None, "the import finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert fingerprint(engine) == before
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


@pytest.mark.usefixtures("source_text")
def test_a_single_json_line_is_json_lines(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/import", content=jsonl(project_line(7)), headers=admin)
    assert response.json()["inserted"] == {"projects": 1}


def billion_laughs(levels: int) -> str:
    """A few hundred bytes of YAML whose aliases expand to 9**levels strings, in a project
    record whose every field breaks a rule."""
    lines = ["projects:", "  - l0: &l0 lol"]
    for level in range(1, levels + 1):
        aliases = ",".join([f"*l{level - 1}"] * 9)
        lines.append(f"    l{level}: &l{level} [{aliases}]")
    lines.append(f"    id: *l{levels}")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_is_refused_before_it_expands(
    client: TestClient, admin: dict[str, str]
) -> None:
    """Its first anchor is refused as the document is read: nothing expands, and the answer
    is small (it once took gigabytes, and quoted the expanded id in a 139 MB answer)."""
    document = billion_laughs(9)
    assert len(document) < 512
    response = client.post(
        "/api/v1/import", params={"dry_run": True}, content=document.encode(), headers=admin
    )
    problem = assert_problem(response, 422)
    assert len(response.content) < 4096
    assert problem["errors"] == [
        {
            "loc": ["body", "line 2", "(file)"],
            "msg": "YAML anchors (&) and aliases (*) are not accepted; write each value out",
        }
    ]


@pytest.mark.usefixtures("source_text")
def test_a_key_given_twice_in_yaml_is_refused_by_line(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    """As JSON Lines refuses it: which of the two values was meant, no reader can tell."""
    document = (
        f"default_source_id: {SOURCE}\n"
        "districts:\n"
        "  - id: wujin\n"
        "    name: 武进\n"
        "    name: 新北\n"
        "    citations:\n"
        "      - {paragraph: 6, quote: 常州, fields: [name]}\n"
    )
    before = counts(session)
    problem = assert_problem(
        client.post("/api/v1/import", content=document.encode(), headers=admin), 422
    )
    assert problem["errors"][0]["loc"] == ["body", "line 5", "(file)"], problem
    assert "'name' is given twice" in problem["errors"][0]["msg"]
    assert counts(session) == before


def test_yaml_anchors_and_aliases_are_refused_by_line(
    client: TestClient, session: Session, admin: dict[str, str], tmp_path: Path
) -> None:
    document = (
        f"default_source_id: {SOURCE}\n"
        "districts:\n"
        "  - id: wujin\n"
        "    name: 武进\n"
        "    citations: &cited\n"
        "      - {paragraph: 6, quote: 常州, fields: [name]}\n"
        "  - id: xinbei\n"
        "    name: 新北\n"
        "    citations: *cited\n"
    )
    before = counts(session)
    response = client.post("/api/v1/import", content=document.encode(), headers=admin)
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body", "line 5", "(file)"]
    assert "anchors (&) and aliases (*) are not accepted" in problem["errors"][0]["msg"]
    assert counts(session) == before
    written_out = document.replace(" &cited", "").replace(
        "citations: *cited", "citations:\n      - {paragraph: 6, quote: 常州, fields: [name]}"
    )
    response = client.post("/api/v1/import", content=written_out.encode(), headers=admin)
    assert response.json()["inserted"] == {"districts": 2}
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text(document, encoding="utf-8")
    with pytest.raises(SeedError, match="anchors"):
        seed_database(session=session, path=seed_file)


def test_problems_quote_little_of_the_input(client: TestClient, admin: dict[str, str]) -> None:
    named_at_length = orjson.dumps({"collection": "x" * 100_000, "record": {}}).decode()
    body = jsonl(named_at_length, *(["not json"] * 500))
    problem = assert_problem(client.post("/api/v1/import", content=body, headers=admin), 422)
    assert len(problem["errors"]) == 101
    assert all(len(error["msg"]) <= 300 for error in problem["errors"])
    assert problem["errors"][0]["msg"].startswith("unknown collection 'xxx")
    assert problem["errors"][-1] == {
        "loc": ["body", "(file)"],
        "msg": "401 more problems not shown",
    }
    assert len(problem["detail"]) < 32_000


def seed_line(collection: str, record_id: str, **changes: Any) -> str:
    """A record of the bundled seed as a JSON line, with some fields changed."""
    seed = read_seed_file(get_settings().seed_path)
    record = next(record for record in getattr(seed, collection) if record.id == record_id)
    values = {**record.model_dump(mode="json", exclude_none=True), **changes}
    return orjson.dumps({"collection": collection, "record": values}).decode()


def rendering(session: Session, project_id: str) -> bytes:
    stored = session.scalars(select(Project.rendered).where(Project.id == project_id)).one()
    assert stored is not None
    return stored


WRITES = {"INSERT", "UPDATE", "DELETE", "SAVEPOINT", "RELEASE", "CREATE", "DROP", "ALTER"}


@pytest.mark.usefixtures("source_text")
def test_a_dry_run_only_reads_and_counts_what_the_import_writes(
    shared_database: Engine,
) -> None:
    """A dry run writes nothing, not even in a savepoint rolled back: on SQLite any write
    takes the database's one write lock. So it completes while another process holds that
    lock; and what it counts is what the import then writes, history included."""
    body = jsonl(
        orjson.dumps({"default_source_id": SOURCE}).decode(),
        seed_line("districts", "changzhou-edz"),  # unchanged
        orjson.dumps(
            {
                "collection": "districts",
                "record": {
                    "id": "wujin",
                    "name": "武进",
                    "parent_id": "changzhou",
                    "citations": [
                        {"paragraph": 6, "quote": "常州", "fields": ["name", "parent_id"]}
                    ],
                },
            }
        ).decode(),
        seed_line(  # now under a district made here
            "districts",
            "liyang",
            parent_id="wujin",
            citations=[
                {"paragraph": 7, "quote": "宁德时代自2016年落户溧阳以来", "fields": ["name"]},
                {"paragraph": 6, "quote": "常州", "fields": ["parent_id"]},
            ],
        ),
        project_line(1),
        seed_line("projects", "zhongchuang-zhiling-nev-parts-base"),  # unchanged
        seed_line("projects", "ninebot-smart-mobility", description="Edited by the import."),
    ).decode()
    statements: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(shared_database, "before_cursor_execute", note)
    writer = None
    if shared_database.dialect.name == "sqlite":
        writer = sqlite3.connect(str(shared_database.url.database), isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
    try:
        with Session(shared_database) as session:
            counted = import_records(session=session, text=body, actor="archivist", dry_run=True)
    finally:
        event.remove(shared_database, "before_cursor_execute", note)
        if writer is not None:
            writer.rollback()
            writer.close()
    assert [s for s in statements if s.split()[0].upper() in WRITES] == []
    assert counted.inserted == {"districts": 1, "projects": 1}
    assert counted.updated == {"districts": 1, "projects": 1}
    with Session(shared_database) as session, session.begin():
        before = orjson.loads(rendering(session, "ninebot-smart-mobility"))
        written = import_records(session=session, text=body, actor="archivist")
    assert (written.inserted, written.updated) == (counted.inserted, counted.updated)
    with Session(shared_database) as session:
        liyang = session.get(District, "liyang")
        assert liyang is not None
        assert liyang.parent_id == "wujin"
        after = orjson.loads(rendering(session, "ninebot-smart-mobility"))
        assert after["description"] == "Edited by the import."
        history = session.scalars(
            select(RecordHistory)
            .where(RecordHistory.actor == "archivist")
            .order_by(RecordHistory.id)
        ).all()
        assert [(change.subject_id, change.action) for change in history] == [
            ("wujin", "create"),
            ("liyang", "update"),
            ("imported-00001", "create"),
            ("ninebot-smart-mobility", "update"),
        ]
        assert (history[-1].before, history[-1].after) == (before, after)
