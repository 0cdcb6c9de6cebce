"""A source's registered text: registered by command or by an administrator, read a paragraph
at a time with the records that cite it, and what every write path checks quotes against;
typed fields need their figure on every write path."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import make_engine
from app.errors import AppError
from app.migrate import prepare
from app.models import Organization, Revision, Scope, Source, SourceParagraph
from app.services.keys import create_key
from app.services.seed_file import SeedError
from app.services.seeding import seed_database
from app.services.source_texts import register_text, split_paragraphs
from tests.factories import (
    SOURCE_ID,
    SOURCE_TEXT,
    assert_problem,
    cite,
    jsonl,
    new_project,
    project_line,
)

pytestmark = pytest.mark.usefixtures("source_text")
"""Every test here needs the seed source's text (registered for the test session); each is
skipped where it is missing."""

TEXT_PATH = f"/api/v1/sources/{SOURCE_ID}/text"
PARAGRAPH_7 = f"/api/v1/sources/{SOURCE_ID}/paragraphs/7"
NOT_IN_PARAGRAPH_7 = "城市是现代化建设的重要载体"  # paragraph 1's words
HOW_TO_REGISTER = f"citykb sources text {SOURCE_ID} FILE"


def key(session: Session, name: str, scope: Scope) -> dict[str, str]:
    _, token = create_key(session=session, name=name, scope=scope)
    session.commit()  # so that a request that fails and rolls back keeps the key
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def curator(session: Session) -> dict[str, str]:
    return key(session, "curator", Scope.curator)


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    return key(session, "archivist", Scope.admin)


def forget_the_text(session: Session) -> None:
    """The seed source as a new installation has it: no registered text."""
    session.execute(delete(SourceParagraph).where(SourceParagraph.source_id == SOURCE_ID))
    session.commit()


def etag(client: TestClient, path: str) -> str:
    return client.get(path).headers["etag"]


# Quotes on every write path.


def test_a_created_record_whose_quote_is_not_in_its_paragraph_is_refused(
    client: TestClient, curator: dict[str, str]
) -> None:
    citations = [
        cite("name", "organization_ids"),
        cite("status", quote="LY9项目签约"),
        cite("status_date", quote=NOT_IN_PARAGRAPH_7),
    ]
    response = client.post(
        "/api/v1/projects", json=new_project(citations=citations), headers=curator
    )
    problem = assert_problem(response, 422)
    assert problem["errors"] == [
        {
            "loc": ["body", "citations", 2, "quote"],
            "msg": f"not found verbatim in paragraph 7 of {SOURCE_ID!r}",
        }
    ]
    assert client.get("/api/v1/projects/chang-zhou-guang-fu-shi-fan-xiang-mu").status_code == 404


def test_a_patch_whose_new_quote_is_not_in_its_paragraph_is_refused(
    client: TestClient, curator: dict[str, str]
) -> None:
    path = "/api/v1/projects/catl-ly9"
    patch = {"sector": "锂电池", "citations": [cite("sector", quote=NOT_IN_PARAGRAPH_7)]}
    response = client.patch(path, json=patch, headers={**curator, "If-Match": etag(client, path)})
    problem = assert_problem(response, 422)
    # Where the patch has it: its first citation (the record's own three come before it).
    assert [error["loc"] for error in problem["errors"]] == [["body", "citations", 0, "quote"]]
    assert "citations[0].quote" in problem["detail"]
    good = {"sector": "新能源", "citations": [cite("sector", quote="共同擘画产业高质量发展")]}
    response = client.patch(path, json=good, headers={**curator, "If-Match": etag(client, path)})
    assert response.status_code == 200, response.text


def test_an_import_whose_quote_is_not_in_its_paragraph_is_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    bad = [{**cite("name", "organization_ids"), "quote": NOT_IN_PARAGRAPH_7}]
    body = jsonl(project_line(1), project_line(2, citations=bad))
    problem = assert_problem(client.post("/api/v1/import", content=body, headers=admin), 422)
    assert problem["errors"] == [
        {
            "loc": ["body", "line 2", "projects[imported-00002].citations[0].quote"],
            "msg": f"not found verbatim in paragraph 7 of {SOURCE_ID!r}",
        }
    ]
    assert client.get("/api/v1/projects/imported-00001").status_code == 404


def source_line(**changes: Any) -> str:
    """The seed's source record as an import line, with `changes`."""
    data = yaml.safe_load(get_settings().seed_path.read_text(encoding="utf-8"))
    source = next(record for record in data["sources"] if record["id"] == SOURCE_ID)
    citations = [{"source_id": SOURCE_ID, **citation} for citation in source["citations"]]
    record = {**source, "citations": citations, **changes}
    return orjson.dumps({"collection": "sources", "record": record}, default=str).decode()


def test_an_import_cannot_move_a_source_off_its_registered_text(
    client: TestClient, admin: dict[str, str]
) -> None:
    """A paragraph count other than the registered text's would leave citations of paragraphs
    with no text, which no quote check could read (or of paragraphs cut off)."""
    registered = client.get(f"/api/v1/sources/{SOURCE_ID}").json()["paragraph_count"]
    for count in (registered + 6, registered - 10):
        body = jsonl(source_line(paragraph_count=count))
        problem = assert_problem(client.post("/api/v1/import", content=body, headers=admin), 422)
        assert problem["errors"][0]["loc"] == [
            "body",
            "line 1",
            f"sources[{SOURCE_ID}].paragraph_count",
        ], problem
    assert client.get(f"/api/v1/sources/{SOURCE_ID}").json()["paragraph_count"] == registered
    body = jsonl(source_line(paragraph_count=registered))
    assert client.post("/api/v1/import", content=body, headers=admin).status_code == 200


def test_a_quote_of_a_paragraph_with_no_registered_text_is_refused(
    client: TestClient, session: Session, curator: dict[str, str]
) -> None:
    """Were a source ever longer than its text, a quote of a paragraph past it is refused: there
    is nothing to find it in."""
    session.execute(
        update(Source)
        .where(Source.id == SOURCE_ID)
        .values(paragraph_count=Source.paragraph_count + 6)
    )
    beyond = session.scalar(select(Source.paragraph_count).where(Source.id == SOURCE_ID))
    record = {
        "name": "编造区",
        "citations": [{**cite("name"), "paragraph": beyond, "quote": "原文中没有"}],
    }
    problem = assert_problem(client.post("/api/v1/districts", json=record, headers=curator), 422)
    assert [error["loc"][-1] for error in problem["errors"]] == ["paragraph"], problem


def broken_seed(tmp_path: Path, quote: str) -> Path:
    data = yaml.safe_load(get_settings().seed_path.read_text(encoding="utf-8"))
    project = next(record for record in data["projects"] if record["id"] == "catl-ly9")
    project["citations"][1]["quote"] = quote
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_seeding_checks_quotes_once_the_text_is_registered(
    session: Session, tmp_path: Path
) -> None:
    path = broken_seed(tmp_path, NOT_IN_PARAGRAPH_7)
    with pytest.raises(SeedError) as caught:
        seed_database(session=session, path=path)
    assert caught.value.problems == [
        f"projects[catl-ly9].citations[1].quote: not found verbatim in paragraph 7 of {SOURCE_ID!r}"
    ]
    # A new installation starts on the shipped seed with no text registered: seeding passes.
    forget_the_text(session)
    assert seed_database(session=session, path=path).updated == {"projects": 1}


def test_citykb_seed_names_the_record_and_citation_of_a_stray_quote(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    prepare(engine, get_settings().seed_path)
    engine.dispose()
    assert citykb("sources", "text", SOURCE_ID, str(SOURCE_TEXT), url=url).returncode == 0
    result = citykb("seed", "--path", str(broken_seed(tmp_path, NOT_IN_PARAGRAPH_7)), url=url)
    assert result.returncode == 1
    assert "projects[catl-ly9].citations[1].quote: not found verbatim" in result.stderr


def test_a_write_citing_a_source_without_text_says_how_to_register_it(
    client: TestClient, session: Session, curator: dict[str, str], admin: dict[str, str]
) -> None:
    forget_the_text(session)
    response = client.post("/api/v1/projects", json=new_project(), headers=curator)
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body", "citations", 0, "source_id"]
    assert HOW_TO_REGISTER in problem["detail"]
    assert f"PUT /api/v1/sources/{SOURCE_ID}/text" in problem["detail"]
    path = "/api/v1/parks/songjianhu-optoelectronics-harbor"
    patch = {"description": "Edited.", "citations": [cite(quote="城市")]}
    response = client.patch(path, json=patch, headers={**curator, "If-Match": etag(client, path)})
    assert HOW_TO_REGISTER in assert_problem(response, 422)["detail"]
    response = client.post("/api/v1/import", content=jsonl(project_line(1)), headers=admin)
    assert HOW_TO_REGISTER in assert_problem(response, 422)["detail"]
    # What needs no new quote still goes: the record's citations were checked when added.
    response = client.patch(
        path, json={"description": "Edited."}, headers={**curator, "If-Match": etag(client, path)}
    )
    assert response.status_code == 200, response.text


# Typed fields and their figures.


STATING = {100: "总投资100亿元", 8: "投资了8个百亿项目"}
"""Quotes of paragraph 7 that state these numbers (of 亿元, or not: what is checked here is
that a typed field agrees with its figure)."""


def investment_figure(project_id: str, value: int, **changes: Any) -> dict[str, Any]:
    figure = {
        "subject": {"type": "project", "id": project_id},
        "metric": "investment_cny",
        "label": "Total investment",
        "value": value,
        "value_stated": str(value),
        "unit": "亿元",
        "qualifier": "exact",
        "kind": "actual",
        "citation": cite(quote=STATING[value]),
    }
    return {**figure, **changes}


def test_a_typed_field_needs_its_figure_through_the_api(
    client: TestClient, curator: dict[str, str]
) -> None:
    investment = cite("investment_cny", "investment_qualifier", quote="总投资100亿元")
    stated = {
        "investment_cny": 10_000_000_000,
        "investment_qualifier": "exact",
        "citations": [cite("name", "organization_ids", "status", "status_date"), investment],
    }
    response = client.post("/api/v1/projects", json=new_project(**stated), headers=curator)
    problem = assert_problem(response, 422, "investment_cny")
    assert "POST the figure" in problem["detail"]
    assert "then PATCH" in problem["detail"]
    # The order that works: the record without it, its figure, then the field.
    created = client.post("/api/v1/projects", json=new_project(), headers=curator)
    assert created.status_code == 201, created.text
    path = created.headers["location"]
    project_id = created.json()["id"]
    figure = investment_figure(project_id, 100)
    posted = client.post("/api/v1/figures", json=figure, headers=curator)
    assert posted.status_code == 201, posted.text
    patched = client.patch(path, json=stated, headers={**curator, "If-Match": etag(client, path)})
    assert patched.status_code == 200, patched.text
    wrong = {"investment_cny": 800_000_000, "citations": [investment]}
    refused = client.patch(path, json=wrong, headers={**curator, "If-Match": etag(client, path)})
    assert_problem(refused, 422, "investment_cny")
    # The figure now backs the field: changing or deleting it would leave the field unstated.
    figure_path = posted.headers["location"]
    new_value = {"value": 8, "value_stated": "8", "citation": cite(quote=STATING[8])}
    changed = client.patch(
        figure_path, json=new_value, headers={**curator, "If-Match": etag(client, figure_path)}
    )
    assert f"projects[{project_id}].investment_cny" in assert_problem(changed, 409)["detail"]
    deleted = client.delete(figure_path, headers={**curator, "If-Match": etag(client, figure_path)})
    assert f"projects[{project_id}].investment_cny" in assert_problem(deleted, 409)["detail"]
    # Cleared first, the figure goes.
    cleared = client.patch(
        path,
        json={"investment_cny": None, "investment_qualifier": None},
        headers={**curator, "If-Match": etag(client, path)},
    )
    assert cleared.status_code == 200, cleared.text
    deleted = client.delete(figure_path, headers={**curator, "If-Match": etag(client, figure_path)})
    assert deleted.status_code == 204, deleted.text


def test_a_seeded_typed_field_keeps_its_figure(client: TestClient, curator: dict[str, str]) -> None:
    path = "/api/v1/figures/catl-ly9-investment"
    deleted = client.delete(path, headers={**curator, "If-Match": etag(client, path)})
    assert "figures.restates_id" in assert_problem(deleted, 409)["detail"]
    # The 超百亿 figure restates this one; once it stands alone, what is left is the backing.
    over = "/api/v1/figures/catl-ly9-investment-over"
    alone = client.patch(
        over, json={"restates_id": None}, headers={**curator, "If-Match": etag(client, over)}
    )
    assert alone.status_code == 200, alone.text
    deleted = client.delete(path, headers={**curator, "If-Match": etag(client, path)})
    assert "projects[catl-ly9].investment_cny" in assert_problem(deleted, 409)["detail"]
    # Its other figure says "more than": no backing for an exact amount.
    qualifier = {"investment_qualifier": "more_than"}
    project = "/api/v1/projects/catl-ly9"
    response = client.patch(
        project, json=qualifier, headers={**curator, "If-Match": etag(client, project)}
    )
    assert response.status_code == 422  # a new fact needs its citation first
    with_citation = {**qualifier, "citations": [cite("investment_qualifier", quote="超百亿元")]}
    response = client.patch(
        project, json=with_citation, headers={**curator, "If-Match": etag(client, project)}
    )
    assert response.status_code == 200, response.text
    deleted = client.delete(path, headers={**curator, "If-Match": etag(client, path)})
    assert deleted.status_code == 204, deleted.text


def figure_line(project_id: str, value: int) -> str:
    record = {"id": f"{project_id}-investment", **investment_figure(project_id, value)}
    return orjson.dumps({"collection": "figures", "record": record}).decode()


def test_an_import_checks_typed_fields_against_its_figures(
    client: TestClient, admin: dict[str, str]
) -> None:
    stated = {
        "investment_cny": 10_000_000_000,
        "investment_qualifier": "exact",
        "citations": [
            {**cite("name", "organization_ids")},
            {**cite("investment_cny", "investment_qualifier", quote="总投资100亿元")},
        ],
    }
    alone = jsonl(project_line(1, **stated))
    problem = assert_problem(client.post("/api/v1/import", content=alone, headers=admin), 422)
    assert any("investment_cny" in str(error["loc"]) for error in problem["errors"])
    disagreeing = jsonl(project_line(1, **stated), figure_line("imported-00001", 8))
    problem = assert_problem(client.post("/api/v1/import", content=disagreeing, headers=admin), 422)
    assert "projects[imported-00001].investment_cny" in problem["detail"]
    agreeing = jsonl(project_line(1, **stated), figure_line("imported-00001", 100))
    response = client.post("/api/v1/import", content=agreeing, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == {"projects": 1, "figures": 1}
    # A later import that changes the figure alone would leave the field unstated.
    changed = jsonl(figure_line("imported-00001", 8))
    problem = assert_problem(client.post("/api/v1/import", content=changed, headers=admin), 422)
    assert "projects[imported-00001].investment_cny" in problem["detail"]


# An organization's full name.


def organization(**changes: Any) -> dict[str, Any]:
    body = {
        "id": "changzhou-development-commission",
        "name": "市发改委",
        "kind": "government_agency",
        "full_name": "常州市发展和改革委员会",
        "citations": [cite("name", "kind", quote="常州")],
    }
    return {**body, **changes}


def test_a_full_name_of_citykbs_own_needs_no_citation(
    client: TestClient, session: Session, curator: dict[str, str]
) -> None:
    response = client.post("/api/v1/organizations", json=organization(), headers=curator)
    assert_problem(response, 422, "full_name")  # not said to be CityKB's: a fact to cite
    sourced = organization(full_name_from_source=True)
    response = client.post("/api/v1/organizations", json=sourced, headers=curator)
    assert_problem(response, 422, "full_name")
    ours = organization(full_name_from_source=False)
    response = client.post("/api/v1/organizations", json=ours, headers=curator)
    assert response.status_code == 201, response.text
    stored = session.get(Organization, "changzhou-development-commission")
    assert stored is not None
    assert stored.full_name_from_source is False
    # Said to be the source's words now, it needs a citation.
    path = response.headers["location"]
    response = client.patch(
        path,
        json={"full_name_from_source": True},
        headers={**curator, "If-Match": response.headers["etag"]},
    )
    assert_problem(response, 422, "full_name")


# Registering a text.


def test_paragraphs_are_lines(source_text: str) -> None:
    assert split_paragraphs(text="\ufeff一 \r\n\n三\t\n\n \n") == ["一", "", "三"]
    paragraphs = split_paragraphs(text=source_text)
    assert len(paragraphs) == 24
    assert paragraphs == source_text.splitlines()


def test_a_text_of_another_length_is_refused(
    client: TestClient, admin: dict[str, str], source_text: str
) -> None:
    short = "\n".join(source_text.splitlines()[:23])
    response = client.put(
        TEXT_PATH, content=short.encode(), headers={**admin, "Content-Type": "text/plain"}
    )
    problem = assert_problem(response, 422)
    assert "23 paragraphs" in problem["detail"]
    assert "has 24" in problem["detail"]


def test_a_text_that_would_orphan_a_quote_is_refused_listing_it(
    client: TestClient, session: Session, admin: dict[str, str], source_text: str
) -> None:
    lines = source_text.splitlines()
    lines[6] = lines[6].replace("江苏时代新能源灯塔工厂LY9项目签约落地", "项目签约")
    response = client.put(
        TEXT_PATH,
        content="\n".join(lines).encode(),
        headers={**admin, "Content-Type": "text/plain; charset=utf-8"},
    )
    problem = assert_problem(response, 422)
    assert (
        "project 'catl-ly9' quotes '江苏时代新能源灯塔工厂LY9项目签约落地', which paragraph 7 of "
        "the text does not hold"
    ) in [error["msg"] for error in problem["errors"]]
    texts = session.scalars(
        select(SourceParagraph.text).where(
            SourceParagraph.source_id == SOURCE_ID, SourceParagraph.number == 7
        )
    ).all()
    assert texts == [source_text.splitlines()[6]]  # the registered text stays


def test_putting_a_text_needs_an_admin_and_plain_text(
    client: TestClient,
    session: Session,
    curator: dict[str, str],
    admin: dict[str, str],
    source_text: str,
) -> None:
    body = source_text.encode()
    plain = {"Content-Type": "text/plain; charset=utf-8"}
    assert_problem(client.put(TEXT_PATH, content=body, headers=plain), 401)
    assert_problem(client.put(TEXT_PATH, content=body, headers={**curator, **plain}), 403)
    as_json = {**admin, "Content-Type": "application/json"}
    assert_problem(client.put(TEXT_PATH, content=body, headers=as_json), 415)
    latin = {**admin, "Content-Type": "text/plain; charset=latin-1"}
    assert_problem(client.put(TEXT_PATH, content=body, headers=latin), 415)
    unknown = "/api/v1/sources/no-such-source/text"
    assert_problem(client.put(unknown, content=body, headers={**admin, **plain}), 404)
    not_utf8 = "城市".encode("gbk")
    assert_problem(client.put(TEXT_PATH, content=not_utf8, headers={**admin, **plain}), 422)
    forget_the_text(session)
    assert client.get(PARAGRAPH_7).json()["text"] is None
    revision = session.scalar(select(Revision.value))
    response = client.put(TEXT_PATH, content=body, headers={**admin, **plain})
    assert response.status_code == 200, response.text
    assert response.json() == {"source_id": SOURCE_ID, "paragraphs": 24}
    # Cached answers are dropped: the revision moved on.
    assert session.scalar(select(Revision.value)) == (revision or 0) + 1
    assert client.get(PARAGRAPH_7).json()["text"] == source_text.splitlines()[6]


def test_the_command_registers_a_text(fresh_database_url: str, tmp_path: Path) -> None:
    # On a new database: the command migrates and seeds it first, as `citykb serve` does.
    registered = citykb("sources", "text", SOURCE_ID, str(SOURCE_TEXT), url=fresh_database_url)
    assert registered.returncode == 0, registered.stderr
    assert f"registered the text of {SOURCE_ID!r}: 24 paragraphs" in registered.stdout
    engine = make_engine(fresh_database_url)
    try:
        with Session(engine) as session:
            count = select(func.count()).select_from(SourceParagraph)
            assert session.scalar(count) == 24
    finally:
        engine.dispose()
    short = tmp_path / "short.txt"
    short.write_text("城市\n", encoding="utf-8")
    refused = citykb("sources", "text", SOURCE_ID, str(short), url=fresh_database_url)
    assert refused.returncode == 1
    assert "the text has 1 paragraphs" in refused.stderr
    unknown = citykb("sources", "text", "no-such-source", str(short), url=fresh_database_url)
    assert unknown.returncode == 1
    assert "No source with id 'no-such-source'" in unknown.stderr


def citykb(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, check=False
    )


def test_register_text_refuses_a_nul(session: Session) -> None:
    with pytest.raises(AppError) as caught:
        register_text(session=session, source_id=SOURCE_ID, text="城市\x00\n")
    assert "NUL" in caught.value.detail


# Reading a paragraph.


def test_a_paragraph_gives_its_text_and_the_records_citing_it(
    client: TestClient, source_text: str
) -> None:
    response = client.get(PARAGRAPH_7)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["source_id"], body["paragraph"]) == (SOURCE_ID, 7)
    assert body["text"] == source_text.splitlines()[6]
    citing = {(item["type"], item["id"]) for item in body["citations"]}
    assert {("project", "catl-ly9"), ("figure", "catl-ly9-investment")} <= citing
    ly9 = next(item for item in body["citations"] if item["id"] == "catl-ly9")
    assert ly9["name"] == "江苏时代新能源灯塔工厂LY9项目"
    assert ly9["url"] == "/api/v1/projects/catl-ly9"
    assert ly9["quote"] in body["text"]
    figure = next(item for item in body["citations"] if item["id"] == "catl-ly9-investment")
    assert figure["name"] == "Total investment"  # a figure's label
    for item in body["citations"]:
        assert item["quote"] in body["text"]
    again = client.get(PARAGRAPH_7, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_a_paragraph_lists_a_new_citation_at_once(
    client: TestClient, curator: dict[str, str]
) -> None:
    before = client.get(PARAGRAPH_7)
    created = client.post("/api/v1/projects", json=new_project(), headers=curator)
    assert created.status_code == 201, created.text
    after = client.get(PARAGRAPH_7, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert created.json()["id"] in {item["id"] for item in after.json()["citations"]}


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/sources/{SOURCE_ID}/paragraphs/0",
        f"/api/v1/sources/{SOURCE_ID}/paragraphs/25",
        f"/api/v1/sources/{SOURCE_ID}/paragraphs/999",
        f"/api/v1/sources/{SOURCE_ID}/paragraphs/-1",
        "/api/v1/sources/no-such-source/paragraphs/7",
    ],
)
def test_a_paragraph_that_does_not_exist_is_a_404(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 404)


def test_a_paragraph_number_beyond_64_bits_is_refused(client: TestClient) -> None:
    assert_problem(client.get(f"/api/v1/sources/{SOURCE_ID}/paragraphs/{2**64}"), 422)
