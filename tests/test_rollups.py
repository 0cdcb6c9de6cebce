"""Stats kept per district and status (`project_rollups`): the database's triggers keep them
through every write, whatever makes it, and stats that filter and group by those two alone
read them, with the answer the projects themselves give."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from app.models import Project, Scope
from app.models.enums import ProjectStatus
from app.services.keys import create_key
from tests.factories import add_projects, cite, make_project, new_project
from tests.test_statement_budget import statements

STATS = "/api/v1/stats/projects"
FRESH = {"Cache-Control": "no-cache"}
ROLLED_UP: list[dict[str, Any]] = [
    {},
    {"group_by": "status"},
    {"group_by": ["district_id", "status"]},
    {"group_by": "district_id"},
    {"group_by": "status", "district_id": "changzhou"},
    {"group_by": "status", "district_id": ["changzhou", "liyang"]},
    {"group_by": "district_id", "status": ["signed", "null"]},
    {"district_id": "null"},
    {"group_by": "status", "status": "landed", "district_id": ["null", "liyang"]},
]
"""Stats the rollup answers: they filter and group by district and status alone."""

RECOUNTED = """SELECT coalesce(district_id, ''), coalesce(status, ''), count(*),
  count(investment_cny), sum(investment_cny), min(investment_cny), max(investment_cny)
FROM projects GROUP BY coalesce(district_id, ''), coalesce(status, '')"""
KEPT = """SELECT district_id_key, status_key, records, investment_cny_count, investment_cny_sum,
  investment_cny_min, investment_cny_max FROM project_rollups"""


def rows(session: Session | Connection, statement: str) -> list[tuple[Any, ...]]:
    """Sums come back as Decimal from PostgreSQL: compared as integers."""
    return sorted(
        tuple(v if v is None or isinstance(v, str) else int(v) for v in row)
        for row in session.execute(text(statement))
    )


def assert_rollup_agrees(client: TestClient, session: Session) -> None:
    """The rollup holds what the projects give, and each rolled-up stats answer is the one the
    stats computed from the projects give: the same filters with `id=` naming every project,
    which the rollup cannot answer."""
    assert rows(session, KEPT) == rows(session, RECOUNTED)
    every_id = sorted(session.scalars(text("SELECT id FROM projects")))
    for params in ROLLED_UP:
        rolled = client.get(STATS, params=params, headers=FRESH)
        computed = client.get(STATS, params={**params, "id": every_id}, headers=FRESH)
        assert rolled.status_code == computed.status_code == 200, (rolled.text, computed.text)
        assert rolled.json() == computed.json(), params


def test_stats_by_district_and_status_read_the_rollup(client: TestClient, engine: Engine) -> None:
    for params in ROLLED_UP:
        with statements(engine) as seen:
            assert client.get(STATS, params=params, headers=FRESH).status_code == 200
        read = [statement for statement in seen if "project_rollups" in statement]
        assert len(read) == 1, seen
        assert "FROM projects" not in read[0], read
    computed: list[dict[str, Any]] = [
        {"group_by": "sector"},
        {"district_id": "changzhou", "q": "光伏"},
        {"group_by": "status", "investment_cny_min": 1},
        {"district_id": ""},
    ]
    for params in computed:
        with statements(engine) as seen:
            assert client.get(STATS, params=params, headers=FRESH).status_code == 200
        assert not any("project_rollups" in statement for statement in seen), params


def test_the_rollup_follows_writes_through_the_orm(client: TestClient, session: Session) -> None:
    assert_rollup_agrees(client, session)
    add_projects(session, 40)
    assert_rollup_agrees(client, session)

    projects = {
        project.id: project
        for project in session.query(Project).filter(Project.id.like("synthetic-%"))
    }
    largest = max(
        (p for p in projects.values() if p.investment_cny), key=lambda p: p.investment_cny or 0
    )
    largest.investment_cny = 1  # the bound of its group is read again
    moved = projects["synthetic-0001"]
    moved.district_id, moved.status = "changzhou", None
    projects["synthetic-0002"].investment_cny = None
    projects["synthetic-0003"].status = ProjectStatus.in_production
    session.flush()
    assert_rollup_agrees(client, session)

    smallest = min(
        (p for p in projects.values() if p.investment_cny), key=lambda p: p.investment_cny or 0
    )
    session.delete(smallest)
    assert ("", "") in {row[:2] for row in rows(session, KEPT)}
    for project in projects.values():
        if project is not smallest and project.district_id is None and project.status is None:
            session.delete(project)  # a whole group goes, and its row with it
    session.flush()
    assert ("", "") not in {row[:2] for row in rows(session, KEPT)}
    assert_rollup_agrees(client, session)


@pytest.mark.usefixtures("source_text")
def test_the_rollup_follows_writes_through_the_api(client: TestClient, session: Session) -> None:
    _, token = create_key(session=session, name="rollup-curator", scope=Scope.curator)
    curator = {"Authorization": f"Bearer {token}"}
    make_project(session, project_id="rolled-1", investment_cny=5 * 10**9, district_id="liyang")
    created = client.post("/api/v1/projects", json=new_project(), headers=curator)
    assert created.status_code == 201, created.text
    assert_rollup_agrees(client, session)

    path = created.headers["location"]
    patch = {"status": "under_construction", "citations": [cite("status")]}
    etag = client.get(path).headers["etag"]
    patched = client.patch(path, json=patch, headers={**curator, "If-Match": etag})
    assert patched.status_code == 200, patched.text
    assert_rollup_agrees(client, session)

    etag = client.get(path).headers["etag"]
    assert client.delete(path, headers={**curator, "If-Match": etag}).status_code == 204
    assert_rollup_agrees(client, session)
