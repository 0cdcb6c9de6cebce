"""Synthetic data at scale: deterministic, searchable like any record, and every documented
list query served by an index on both databases."""

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, delete, select, text, update

from app.collections.catalog import BY_SUBJECT, DOCUMENTED
from app.db import make_engine
from app.migrate import upgrade
from app.models import Citation, Project, SearchGram, SourceParagraph
from app.projections.rendering import render
from app.projections.search_index import reindex
from app.services.plans import query_plans
from app.services.synth import QUOTE, AlreadySynthesizedError, synthesize
from tests.factories import app_on
from tests.test_rollups import KEPT, RECOUNTED, rows


@pytest.fixture
def synthetic(fresh_database_url: str) -> Iterator[Engine]:
    """A fresh database with 3,000 synthetic projects and their companions."""
    engine = make_engine(fresh_database_url)
    upgrade(engine)
    synthesize(engine, projects=3000, seed=7)
    yield engine
    engine.dispose()


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every synthetic record of every collection, as the API renders it."""
    with engine.connect() as connection:
        return {
            subject: [
                tuple(row)
                for row in connection.execute(
                    select(collection.model.id, collection.model.rendered)
                    .where(collection.model.id.like("syn%"))
                    .order_by(collection.model.id)
                )
            ]
            for subject, collection in BY_SUBJECT.items()
        }


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


def test_synthetic_renderings_are_what_rendering_writes(synthetic: Engine) -> None:
    """The load renders each record as it writes it; a write renders it from its rows."""
    with synthetic.connect() as connection:
        for subject, collection in BY_SUBJECT.items():
            model = collection.model
            stored = {
                record_id: rendered or b"unrendered"
                for record_id, rendered in connection.execute(
                    select(model.id, model.rendered).where(
                        model.id.like("syn7-%") | model.id.like("synthetic-%")
                    )
                )
            }
            assert stored, subject
            assert render(connection, subject, list(stored)) == stored, subject


def test_a_load_leaves_the_rollup_counted_and_kept(synthetic: Engine) -> None:
    """PostgreSQL's load writes the projects with the rollup's triggers off and counts it after;
    SQLite's with them on. Either way it holds what the projects give, and follows the next
    write."""
    with synthetic.connect() as connection, connection.begin():
        assert rows(connection, KEPT) == rows(connection, RECOUNTED)
        connection.execute(
            update(Project)
            .where(Project.id.in_(["syn7-p0000000", "syn7-p0000001"]))
            .values(status=None, district_id=None, investment_cny=7)
        )
        connection.execute(delete(Citation).where(Citation.subject_id == "syn7-p0000002"))
        connection.execute(delete(Project).where(Project.id == "syn7-p0000002"))
        assert rows(connection, KEPT) == rows(connection, RECOUNTED)
        connection.rollback()


def test_synthetic_rows_keep_every_constraint(synthetic: Engine) -> None:
    """SQLite's load writes with CHECK constraints off; the rows keep them all the same, and
    the pooled connections still enforce them."""
    if synthetic.dialect.name != "sqlite":
        pytest.skip("PostgreSQL checks every constraint as the load writes")
    with synthetic.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
        assert connection.exec_driver_sql("PRAGMA ignore_check_constraints").scalar() == 0


def test_a_loaded_file_is_back_in_write_ahead_mode(synthetic: Engine) -> None:
    """SQLite's load writes through a rollback journal; the file it leaves keeps the
    write-ahead log, in which a server's readers never wait for a writer."""
    if synthetic.dialect.name != "sqlite":
        pytest.skip("a SQLite journal")
    with contextlib.closing(sqlite3.connect(str(synthetic.url.database))) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_load_beside_another_connection_keeps_the_log(fresh_database_url: str) -> None:
    """With the file open elsewhere (a server running), the load cannot leave the write-ahead
    log: it loads through it, and the other connection reads the new records."""
    if not fresh_database_url.startswith("sqlite"):
        pytest.skip("a SQLite journal")
    engine = make_engine(fresh_database_url, lock_wait_ms=50)
    upgrade(engine)
    path = str(engine.url.database)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
        assert other.execute("SELECT count(*) FROM projects").fetchone() == (0,)
        synthesize(engine, projects=20, seed=3)
        assert other.execute("SELECT count(*) FROM projects").fetchone() == (20,)
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    engine.dispose()


def test_every_synthetic_record_is_cited_by_the_registered_text(synthetic: Engine) -> None:
    with synthetic.connect() as connection:
        for subject, collection in BY_SUBJECT.items():
            model = collection.model
            cited = select(Citation.subject_id).where(Citation.subject_type == subject)
            uncited = connection.scalars(
                select(model.id).where(model.id.like("syn%"), model.id.not_in(cited)).limit(3)
            ).all()
            assert uncited == [], subject
        text = connection.scalar(
            select(SourceParagraph.text).where(
                SourceParagraph.source_id == "synthetic-7", SourceParagraph.number == 1
            )
        )
    assert text is not None
    assert QUOTE in text


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


def test_synthetic_records_name_each_other_as_real_ones_do(synthetic: Engine) -> None:
    """The references the later collections and columns brought: a park's cluster, an
    organization's site, a factory's list, an event's and a programme's parent, a figure's
    programme and place."""
    client = app_on(synthetic)

    def total(path: str, **params: str) -> int:
        answer = client.get(f"/api/v1/{path}", params=params)
        assert answer.status_code == 200, answer.text
        count: int = answer.json()["total"]
        return count

    assert total("parks", group_id="syn7-k0") == 8
    assert total("parks", kind="site_cluster") == 2
    assert total("organizations", park_id="null") == 100
    assert total("organizations", parent_id="syn7-o0") == 2
    assert total("zero-carbon-factories", recognition_id="syn7-g0") == 1
    assert total("recognitions", kind="list") == 15
    assert total("recognitions", stage="awarded") == 20
    assert total("events", parent_id="syn7-e0") == 9
    assert total("events", kind="recurring_activity", cadence="null") == 0
    assert total("programmes", parent_id="syn7-m0") == 9
    assert total("figures", programme_id="syn7-m0") == 1
    assert total("figures", qualifier="at_most") == total("figures", unit_normalized="rank")
    assert total("figures", district_id="null") < total("figures")
    assert total("people") == 75
    assert total("scenarios", field="光伏") == 6
    target = client.get("/api/v1/figures/syn7-m2-output-target").json()
    programme = client.get("/api/v1/programmes/syn7-m2").json()
    assert target["programme_id"] == programme["id"]
    assert target["district_id"] == programme["district_id"]
    assert target["period_start"] == programme["period_start"]


def test_every_documented_list_query_uses_an_index(synthetic: Engine) -> None:
    """Each filter of each collection finds records to select, so that its plan is the one
    a real list gets; and however few its rows, an index serves it."""
    plans = query_plans(synthetic, avoid_sequential_scans=True, small_table_rows=0)
    assert {plan.collection for plan in plans} == {item.tag for item in DOCUMENTED}
    planned = {
        (plan.collection, name.removesuffix("_min")) for plan in plans for name in plan.params
    }
    unplanned = [
        f"{item.tag}?{name}"
        for item in DOCUMENTED
        for name in (*item.list_spec.equality, *item.list_spec.custom, *item.list_spec.ranges)
        if (item.tag, name) not in planned
    ]
    assert unplanned == [], "synth leaves these filters nothing to select"
    assert len(plans) > 400
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
                params = {"sort": [sort], **filters}
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
