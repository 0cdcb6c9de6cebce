"""Bringing a database to the current schema, and seeding it when it is empty."""

import logging
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import OperationalError, SAWarning
from sqlalchemy.orm import Session
from starlette._utils import get_route_path  # as the application's router reads the path
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import PROJECT_ROOT
from app.db import UNTIMED_OPTION
from app.errors import problem_response, unavailable
from app.models import Source
from app.projections.rendering import fill_missing
from app.services.installation import ensure_cursor_key
from app.services.seed_file import SeedReport
from app.services.seeding import seed_database

log = logging.getLogger("citykb")
MIGRATION_LOCK = 7_401_520_251_126
"""PostgreSQL advisory lock that serializes preparation across workers and replicas."""
STARTING = "starting: migrating the database"
"""What a request that needs the database is told while this process prepares it."""
WAITS_FOR_PREPARATION = ("/api/", "/readyz")

# SQLite cannot reflect the expression indexes behind nulls-last sorting; the migrations that
# look at its indexes keep those by name (migrations/versions/*_0007_*), so the warning that
# SQLAlchemy skipped them says nothing to whoever starts the server.
warnings.filterwarnings(
    "ignore", "Skipped unsupported reflection of expression-based index", SAWarning
)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration; it migrates `connection`, or else the configured database."""
    config = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)
    if revision == "head":
        # Records migrated from before stored renderings (or bulk-loaded) get theirs now.
        ensure_cursor_key(connection=connection)
        count = fill_missing(connection)
        if count:
            log.info("rendered %d records", count)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction, holding the migration lock, for changing the schema.

    SQLite alters a table by copying it to a new one and dropping the old (Alembic's batch
    mode); with foreign keys enforced, dropping a table that other rows refer to fails. So on
    SQLite they are off while the schema changes, checked whole before the commit, and on
    again after."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _enforce_foreign_keys(connection, False)
        try:
            with connection.begin():
                _untimed(connection)
                _lock(connection)
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration broke references: {broken[:5]}")
        finally:
            if sqlite:
                _enforce_foreign_keys(connection, True)


def _untimed(connection: Connection) -> None:
    """No statement timeout for this transaction: a migration may copy millions of rows, and
    waits for another process's migration to end."""
    connection.execution_options(**{UNTIMED_OPTION: True})
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL statement_timeout = 0"))


def _enforce_foreign_keys(connection: Connection, enforce: bool) -> None:
    """SQLite's pragma, on the driver's connection: through SQLAlchemy it would begin a
    transaction first, inside which the pragma does nothing."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys = {'ON' if enforce else 'OFF'}")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to `revision`, one preparer at a time."""
    with _migrating(engine) as connection:
        _upgrade(connection, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to `revision`."""
    with _migrating(engine) as connection:
        command.downgrade(alembic_config(connection), revision)


def prepare(engine: Engine, seed_path: Path) -> SeedReport | None:
    """Migrate to head and seed the database if it has no source yet; all in one transaction."""
    with _migrating(engine) as connection:
        _upgrade(connection, "head")
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            if session.scalar(select(Source.id).limit(1)) is not None:
                return None
            report = seed_database(session=session, path=seed_path)
            session.commit()  # releases the savepoint; the outer transaction commits below
            return report


def prepare_in_background(
    engine: Engine, seed_path: Path, *, retry_s: float = 2.0
) -> threading.Event:
    """Prepare the database from a thread, retrying while it is unreachable; the event is set
    once it is prepared."""
    prepared = threading.Event()

    def run() -> None:
        while True:
            try:
                report = prepare(engine, seed_path)
            except OperationalError as error:
                log.warning("database not ready (%s); retrying in %ss", error.orig, retry_s)
                time.sleep(retry_s)
                continue
            log.info("database ready%s", f"; {report.summary()}" if report else "")
            prepared.set()
            return

    threading.Thread(target=run, name="citykb-prepare", daemon=True).start()
    return prepared


class AnswerWhilePreparing:
    """While the process prepares its database (`app.state.prepared` is not yet set), every
    request that would need the database, `/api/...` and `/readyz`, is a 503 saying so, with
    `Retry-After`, and never reaches the database half migrated: no query of a table not yet
    created, nothing logged as an error. `/healthz`, `/` and the docs are served as ever."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and get_route_path(scope).startswith(WAITS_FOR_PREPARATION):
            prepared = getattr(scope["app"].state, "prepared", None)
            if prepared is not None and not prepared.is_set():
                await problem_response(unavailable(STARTING))(scope, receive, send)
                return
        await self.app(scope, receive, send)
