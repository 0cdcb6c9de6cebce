"""The seed file: idempotent, and loud about any record that breaks a rule."""

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import get_settings
from app.services.seed_file import SeedError, read_seed_file
from app.services.seeding import seed_database
from tests.factories import COLLECTION_TAGS, citykb


def snapshot(client: TestClient) -> dict[str, str]:
    return {
        name: client.get(f"/api/v1/{name}", params={"limit": 200}).headers["etag"]
        for name in COLLECTION_TAGS
    }


def test_seeding_twice_changes_nothing(client: TestClient, session: Session) -> None:
    before = snapshot(client)
    report = seed_database(session=session, path=get_settings().seed_path)
    assert report.changes == 0, report.summary()
    assert snapshot(client) == before


def test_seeding_restores_an_edited_record(client: TestClient, session: Session) -> None:
    from app.models import Project

    project = session.get(Project, "catl-ly9")
    assert project is not None
    project.investment_cny = 1
    session.flush()
    report = seed_database(session=session, path=get_settings().seed_path)
    assert report.updated == {"projects": 1}
    assert client.get("/api/v1/projects/catl-ly9").json()["investment_cny"] == 10**10


def broken_seed(tmp_path: Path, edit: object) -> Path:
    data = yaml.safe_load(get_settings().seed_path.read_text(encoding="utf-8"))
    edit(data)  # type: ignore[operator]
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def project(data: dict, project_id: str) -> dict:  # type: ignore[type-arg]
    return next(record for record in data["projects"] if record["id"] == project_id)


def figure(data: dict, figure_id: str) -> dict:  # type: ignore[type-arg]
    return next(record for record in data["figures"] if record["id"] == figure_id)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda data: project(data, "catl-ly9").update(citations=[]),
            "projects[catl-ly9].citations",
        ),
        (
            lambda data: project(data, "catl-ly9")["citations"].pop(2),
            "projects[catl-ly9].district_id: no citation names this field",
        ),
        (
            lambda data: project(data, "catl-ly9").update(district_id="atlantis"),
            "projects[catl-ly9].district_id: unknown districts id 'atlantis'",
        ),
        (
            lambda data: project(data, "catl-ly9").update(organization_ids=["nobody"]),
            "projects[catl-ly9].organization_ids: unknown organizations id 'nobody'",
        ),
        (
            lambda data: figure(data, "songjianhu-pv-capacity").update(unit="马力"),
            "figures[songjianhu-pv-capacity].unit: unknown unit '马力'",
        ),
        (
            lambda data: figure(data, "catl-ly9-investment").update(value=99),
            "projects[catl-ly9].investment_cny: no figure with metric 'investment_cny' agrees",
        ),
        (
            lambda data: project(data, "catl-ly9")["citations"][0].update(quote="长" * 41),
            "projects[catl-ly9].citations.0.quote",
        ),
        (
            lambda data: project(data, "catl-ly9").update(status="finished"),
            "projects[catl-ly9].status",
        ),
    ],
)
def test_a_broken_seed_fails_naming_record_and_field(
    tmp_path: Path, edit: object, message: str
) -> None:
    with pytest.raises(SeedError) as caught:
        read_seed_file(broken_seed(tmp_path, edit))
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_cli_migrates_and_seeds_idempotently(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"
    assert citykb("db", "upgrade", database=database).returncode == 0
    first = citykb("seed", database=database)
    assert first.returncode == 0, first.stderr
    assert "projects: 6 inserted" in first.stdout
    second = citykb("seed", database=database)
    assert second.stdout.strip() == "seed: nothing to change"


def test_cli_refuses_a_broken_seed_file(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"
    assert citykb("db", "upgrade", database=database).returncode == 0
    path = broken_seed(tmp_path, lambda data: project(data, "catl-ly9").update(citations=[]))
    result = citykb("seed", "--path", str(path), database=database)
    assert result.returncode == 1
    assert "projects[catl-ly9].citations" in result.stderr


def test_a_citation_beyond_its_source_is_refused(tmp_path: Path) -> None:
    path = broken_seed(
        tmp_path, lambda data: project(data, "catl-ly9")["citations"][0].update(paragraph=25)
    )
    with pytest.raises(SeedError) as caught:
        read_seed_file(path)
    assert any(
        "projects[catl-ly9].citations[0].paragraph: source "
        "'changzhou-city-work-conference-2025' has 24 paragraphs, not 25" in problem
        for problem in caught.value.problems
    ), caught.value.problems
