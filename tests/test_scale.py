"""Synthetic data at scale: deterministic, searchable like any record, and every documented
list query served by an index on both databases."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, select, text

from app.collections.catalog import BY_SUBJECT
from app.db import make_engine
from app.migrate import upgrade
from app.models import Project, SearchGram
from app.projections.search_index import reindex
from app.services.plans import query_plans
from app.services.synth import AlreadySynthesizedError, synthesize
from tests.factories import app_on


@pytest.fixture
def synthetic(fresh_database_url: str) -> Iterator[Engine]:
    """A fresh database with 3,000 synthetic projects and their companions."""
    engine = make_engine(fresh_database_url)
    upgrade(engine)
    synthesize(engine, projects=3000, seed=7)
    yield engine
    engine.dispose()


def snapshot(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(
                    Project.id,
                    Project.name,
                    Project.status,
                    Project.status_date,
                    Project.investment_cny,
                    Project.district_id,
                ).order_by(Project.id)
            )
        ]


def test_the_same_seed_gives_the_same_records(synthetic: Engine, tmp_path: Path) -> None:
    again = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    upgrade(again)
    synthesize(again, projects=3000, seed=7)
    assert snapshot(again) == snapshot(synthetic)
    with pytest.raises(AlreadySynthesizedError):
        synthesize(again, projects=10, seed=7)
    again.dispose()


def indexed_state(connection: Connection, subject: str, ids: list[str]) -> object:
    """The folded documents and the grams of these records."""
    model = BY_SUBJECT[subject].model
    texts = connection.execute(
        select(model.id, model.search_text).where(model.id.in_(ids)).order_by(model.id)
    ).all()
    grams = connection.execute(
        select(SearchGram.subject_id, SearchGram.gram)
        .where(SearchGram.subject_type == subject, SearchGram.subject_id.in_(ids))
        .order_by(SearchGram.subject_id, SearchGram.gram)
    ).all()
    return texts, grams


def test_synthetic_documents_and_grams_are_what_reindexing_writes(synthetic: Engine) -> None:
    with synthetic.begin() as connection:
        for subject, collection in BY_SUBJECT.items():
            model = collection.model
            ids = list(
                connection.scalars(
                    select(model.id)
                    .where(model.id.like("syn7-%") | model.id.like("synthetic-%"))
                    .order_by(model.id)
                    .limit(25)
                )
            )
            assert ids, subject
            before = indexed_state(connection, subject, ids)
            reindex(connection, subject, ids)
            assert indexed_state(connection, subject, ids) == before, subject
        connection.rollback()


def test_the_api_reads_synthetic_records(synthetic: Engine) -> None:
    client = app_on(synthetic)
    page = client.get("/api/v1/projects", params={"q": "光伏", "sort": "-investment_cny"}).json()
    assert page["total"] == 375
    assert all("光伏" in item["name"] for item in page["items"])
    amounts = [item["investment_cny"] for item in page["items"]]
    assert amounts == sorted(amounts, reverse=True)
    found = client.get("/api/v1/search", params={"q": "示范光伏企业", "type": "organization"})
    assert found.json()["total"] == 19
    stats = client.get("/api/v1/stats/zero-carbon-factories", params={"group_by": "level"})
    assert sum(group["count"] for group in stats.json()["groups"]) == 15


def test_every_documented_list_query_uses_an_index(synthetic: Engine) -> None:
    plans = query_plans(synthetic, avoid_sequential_scans=True)
    collections = {plan.collection for plan in plans}
    assert len(collections) == 8
    assert len(plans) > 150
    scans = [plan.describe() for plan in plans if plan.full_scan]
    assert scans == [], "\n".join(scans)


def test_a_search_is_answered_from_the_gram_index(synthetic: Engine) -> None:
    from app.listing.matching import matches

    with synthetic.connect() as connection:
        statement = select(Project.id).where(
            matches(connection, Project.citation_subject, Project.id, Project.search_text, "光伏")
        )
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))
        sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN" if connection.dialect.name == "sqlite" else "EXPLAIN"
        plan = "\n".join(str(row[-1]) for row in connection.execute(text(f"{prefix} {sql}")))
    assert "search_grams" in plan
    assert "Seq Scan" not in plan
    assert "SCAN search_grams\n" not in plan + "\n"


def test_the_synth_command_reports_and_refuses_a_repeat(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}")
    command = [sys.executable, "-m", "app", "synth", "--projects", "500", "--seed", "3"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert "synth: 500 projects in" in first.stdout
    assert "projects: 500" in first.stdout
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert second.returncode == 1
    assert "already holds the synthetic data of seed 3" in second.stderr


SORT_NODES = {"Sort", "Incremental"}
"""PostgreSQL plan nodes that sort rows (`Sort`, `Incremental Sort`)."""
HOT_SORTS = ("name", "-name", "investment_cny", "-investment_cny", "status_date", "-status_date")


def test_hot_pages_read_in_index_order_without_sorting(synthetic: Engine) -> None:
    """Page one and a later page (the cursor's seek) of each one-key sort, alone and within a
    district, are read in the order of an index: the database sorts nothing, so page 500
    costs what page 1 does."""
    from app.collections.projects import COLLECTION
    from app.listing.cursor import decode_cursor, encode_cursor
    from app.listing.params import parse_sort
    from app.listing.statements import page_statements
    from app.services.installation import cursor_key
    from app.services.plans import _explain

    with synthetic.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))
            connection.execute(text("SET enable_sort = off"))
        district = connection.scalar(select(Project.district_id).limit(1))
        sorting = []
        for sort in HOT_SORTS:
            within = {"district_id": [district]}
            for filters in ({}, within, {**within, "investment_cny_min": 1, "status_year_min": 1}):
                params = {"sort": sort, **filters}
                spec = COLLECTION.list_spec
                query = COLLECTION.list_query.model_validate(params)
                keys = parse_sort(sort, spec)
                first = page_statements(connection, spec, query, keys, None, query.limit)
                seeks = [first.bound(seek) for seek in first.seeks]
                middle = connection.execute(seeks[0].offset(30).limit(1)).first()
                assert middle is not None
                key = cursor_key(session=connection)
                cursor = encode_cursor(keys, middle, key=key, scope=COLLECTION.subject)
                after = decode_cursor(cursor, keys, scope=COLLECTION.subject, key=key)
                page = page_statements(connection, spec, query, keys, after, query.limit)
                later_seeks = [page.bound(seek) for seek in page.seeks]
                for statement in (*seeks, *later_seeks):
                    plan = _explain(connection, statement.limit(21))
                    nodes = [line.strip().removeprefix("->").strip() for line in plan.splitlines()]
                    if any(
                        "TEMP B-TREE" in node or node.split(" ")[0] in SORT_NODES for node in nodes
                    ):
                        sorting.append(f"{params} ->\n{plan}")
        connection.rollback()
    assert sorting == [], "\n\n".join(sorting)
