import os
import uuid
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

# The app under test works on the test database only; nothing prepares ./citykb.db behind it.
os.environ["PREPARE_ON_START"] = "false"
# Requests share each test's rolled-back transaction, which a cache reading committed
# revisions cannot see; the cache is tested on its own database (tests/test_cache.py).
os.environ["RESPONSE_CACHE_MB"] = "0"

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import make_engine
from app.main import app
from app.migrate import prepare, upgrade
from app.services.seeding import seed_database
from tests.factories import MISSING_TEXT, SOURCE_TEXT, register_source_text, serve_sessions


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """TEST_DATABASE_URL when set (e.g. PostgreSQL), else a fresh SQLite file."""
    return os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'citykb-test.db'}"
    )


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """A database built by `alembic upgrade head` and seeded once."""
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_database(session=session, path=get_settings().seed_path)
    register_source_text(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    """An HTTP client whose requests share the test's rolled-back transaction."""

    serve_sessions(app, lambda: nullcontext(session))
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()


@pytest.fixture
def source_text() -> str:
    """The seed source's text, registered in every test database: what a test that writes
    quotes needs. The test is skipped where the text is missing."""
    if not SOURCE_TEXT.exists():
        pytest.skip(MISSING_TEXT)
    return SOURCE_TEXT.read_text(encoding="utf-8")


@pytest.fixture
def source_paragraphs(source_text: str) -> list[str]:
    """The seed source's paragraphs; the test is skipped where the text is missing."""
    return source_text.splitlines()


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind under test."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"citykb_scratch_{uuid.uuid4().hex[:10]}"
    # pre_ping: a test may stop and start the server in between (tests/test_faults.py).
    admin = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def shared_database(fresh_database_url: str) -> Iterator[Engine]:
    """A fresh, seeded database that several clients (and processes) use at once, outside any
    test transaction."""
    engine = make_engine(fresh_database_url)
    prepare(engine, get_settings().seed_path)
    register_source_text(engine)
    yield engine
    engine.dispose()
