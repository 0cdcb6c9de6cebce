import asyncio
import contextlib
import math
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import SingletonThreadPool

from app.config import get_settings
from app.errors import unavailable
from app.projections.upkeep import install as keep_projections_current
from app.reader import Reader

keep_projections_current(Session)
"""Every flush of every session keeps the search index, renderings and revision current."""

SQLITE_BUSY_TIMEOUT_S = 5
PROGRESS_STEPS = 10_000
"""SQLite calls the timeout check every this many virtual-machine steps."""
UNTIMED_OPTION = "citykb_untimed"
"""An execution option: a connection given it runs statements past the statement timeout (a
migration copying a large table). On PostgreSQL, set `statement_timeout` too."""
WRITE_OPTION = "citykb_write"
"""An execution option: this connection's transaction writes (SQLite: BEGIN IMMEDIATE)."""
SNAPSHOT_PER_STATEMENT = "citykb_snapshot_per_statement"
"""An execution option (SQLite): no transaction is begun, so that each statement reads a
snapshot of its own (`for_reads`)."""


def make_engine(
    database_url: str,
    *,
    statement_timeout_ms: int | None = None,
    lock_wait_ms: int | None = None,
    one_connection_per_thread: bool = False,
) -> Engine:
    """Create an engine with the configured statement and connection timeouts.

    `lock_wait_ms` bounds how long a statement waits for another's lock (default: SQLite's busy
    timeout, PostgreSQL's statement timeout). `one_connection_per_thread` gives each thread a
    connection of its own that it never waits for (see `Sessions`)."""
    settings = get_settings()
    timeout_ms = statement_timeout_ms or settings.statement_timeout_ms
    lock_options = "" if lock_wait_ms is None else f" -c lock_timeout={lock_wait_ms}"
    pool: dict[str, Any] = (
        {"poolclass": SingletonThreadPool}
        if one_connection_per_thread
        else {"pool_timeout": settings.connect_timeout_s, "pool_size": settings.database_pool_size}
    )
    if not database_url.startswith("sqlite"):
        if not one_connection_per_thread:
            # More requests at once than the pool holds wait for one of its connections. An
            # overflow connection was closed again as soon as it was returned: under load a new
            # server process every few requests, whose first statements took 40 to 140 ms
            # while it filled its catalog caches (bench/README.md, "Connections").
            pool["max_overflow"] = 0
        engine = create_engine(
            database_url,
            **pool,
            connect_args={
                "connect_timeout": settings.connect_timeout_s,
                "options": f"-c statement_timeout={timeout_ms}{lock_options}",
            },
        )
        _ping_when_idle(engine)
        return engine
    engine = create_engine(
        database_url,
        connect_args={
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_S if lock_wait_ms is None else lock_wait_ms / 1000,
        },
        **({"poolclass": SingletonThreadPool} if one_connection_per_thread else {}),
    )
    limit_s = timeout_ms / 1000

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        # Readers never wait for a writer, and a writer waits (busy timeout) for another.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
        started = [time.monotonic()]
        record.info["statement_started"] = started
        # SQLite has no statement timeout: a progress handler interrupts a statement that runs
        # past the limit, which raises OperationalError("interrupted").
        dbapi_connection.set_progress_handler(
            lambda: int(time.monotonic() - started[0] > limit_s), PROGRESS_STEPS
        )

    @event.listens_for(engine, "before_cursor_execute")
    def _on_statement(connection: Any, *_args: Any) -> None:
        started = connection.connection.info.get("statement_started")
        if started is not None:
            untimed = connection.get_execution_options().get(UNTIMED_OPTION)
            started[0] = math.inf if untimed else time.monotonic()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(SNAPSHOT_PER_STATEMENT):
            return
        # A write takes SQLite's write lock up front, so two read-modify-write requests queue
        # (busy timeout) instead of failing with "database is locked" when the second upgrades.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN")

    return engine


PING_AFTER_IDLE_S = 1.0
"""A pooled PostgreSQL connection back in the pool for this long is pinged before use."""


def _ping_when_idle(engine: Engine) -> None:
    """Check a connection that sat in the pool (`PING_AFTER_IDLE_S`) before lending it: after
    the server restarted, the first request then reconnects instead of failing. A connection
    in steady use is not pinged (a round trip that cost 7% of a list's throughput, and 20 ms of
    its p99); should its server have gone, its request fails (503). A failed ping, like a
    failed statement, has the pool replace every connection it had."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _lent(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_S:
            return  # just connected, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise InvalidatePoolError("the connection was lost while in the pool") from error


@lru_cache
def get_engine() -> Engine:
    """Return the process-wide engine for the configured database."""
    return make_engine(get_settings().database_url)


@lru_cache
def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def committing(session: Session) -> Iterator[Session]:
    """Yield the session; commit when the request succeeds, roll back when it fails."""
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise


def get_session() -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error."""
    with _session_factory()() as session:
        yield from committing(session)


_WRITE_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def taking_write_turn() -> AsyncIterator[None]:
    """One writing request of this process at a time, in arrival order.

    Writes go one at a time in the database anyway: SQLite has one write lock, and on
    PostgreSQL every write advances the revision row in its transaction. A write holds its
    lock across several hops between the event loop and worker threads. A writer that waited
    in the database would hold a worker thread (SQLite) or a pooled connection (PostgreSQL),
    which the writer holding the lock may need to finish: here writers wait on the event loop
    instead, holding neither. Other processes still meet at the database's lock."""
    loop = asyncio.get_running_loop()
    turn = _WRITE_TURNS.setdefault(loop, asyncio.Lock())
    async with turn:
        yield


async def write_turn() -> AsyncIterator[None]:
    """`taking_write_turn`, as a dependency."""
    async with taking_write_turn():
        yield


def begin_write(session: Session) -> None:
    """Begin the session's transaction as a write's: on SQLite, IMMEDIATE, which takes the write
    lock up front. A session whose transaction has begun already (tests share one) keeps it."""
    if not session.in_transaction():
        session.connection(execution_options={WRITE_OPTION: True})


def get_write_session(
    _turn: Annotated[None, Depends(write_turn, scope="function")],
) -> Iterator[Session]:
    """Like `get_session`, for requests that write: on SQLite the transaction is IMMEDIATE."""
    with _session_factory()() as session:
        begin_write(session)
        yield from committing(session)


LOOP_LOCK_WAIT_MS = 100
"""A read on the event loop holds up every request of the process while it waits: it waits
this long at most for another's lock (a migration's, another process's exclusive lock), then
answers 503."""


class LoopConnection:
    """One DBAPI connection kept open on the event loop for its primary-key reads (the response
    cache's revision, the front path's records), where a read costs less than a hop to a worker
    thread. In autocommit: each read sees the latest commit.

    A failure (the database down, a schema not yet migrated) closes it and raises; for
    `RETRY_S` after, `read` raises at once rather than hold the loop trying again. Its
    connection comes from `engine`, which should never make it wait (`loop_engine`): it is
    opened on the loop."""

    RETRY_S = 5.0

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine
        self._driver: Any = None
        self._started: list[float] | None = None
        self._failed_at = -self.RETRY_S

    def read(self, sql: str, parameters: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        """The first row `sql` selects, or None."""
        if time.monotonic() - self._failed_at < self.RETRY_S:
            raise ConnectionError(f"the database failed less than {self.RETRY_S:g} s ago")
        try:
            if self._driver is None:
                self._open()
            if self._started is not None:
                self._started[0] = time.monotonic()  # SQLite's statement timeout starts now
            cursor = self._driver.cursor()
            try:
                cursor.execute(sql, parameters)
                row: tuple[Any, ...] | None = cursor.fetchone()
                return row
            finally:
                cursor.close()
        except Exception:
            self._failed_at = time.monotonic()
            self.close()
            raise

    def placeholder(self) -> str:
        """How a statement read here marks its parameter."""
        return "?" if self._engine().dialect.paramstyle == "qmark" else "%s"

    def _open(self) -> None:
        engine = self._engine()
        pooled = engine.raw_connection()
        started = pooled.info.get("statement_started")
        pooled.detach()  # kept here, not returned to the pool
        driver = pooled.dbapi_connection
        assert driver is not None
        if hasattr(driver, "autocommit"):
            driver.autocommit = True  # PostgreSQL
            driver.execute(f"SET lock_timeout = {LOOP_LOCK_WAIT_MS}")
        else:
            driver.execute(f"PRAGMA busy_timeout = {LOOP_LOCK_WAIT_MS}")
        self._started = started
        # Closed by `close`, or else when this is collected (an application dropped without
        # its shutdown), never left for the driver to complain of.
        self._closer = weakref.finalize(self, _close_quietly, driver)
        self._driver = driver

    def close(self) -> None:
        if self._driver is not None:
            self._closer()
            self._driver = None


def _close_quietly(connection: Any) -> None:
    with contextlib.suppress(Exception):  # it is being discarded
        connection.close()


TOO_MANY_STREAMS = (
    "Too many CSV downloads are streaming from this server at once. Retry after "
    "`Retry-After` seconds, or read the list in pages: `limit`, then the `Link` header's next "
    "page, each a whole answer."
)


@lru_cache
def _stream_turns() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(max(1, get_settings().database_pool_size // 2))


@contextlib.contextmanager
def streaming_turn() -> Iterator[None]:
    """A turn to hold a pooled connection for a streamed body, which a slow client keeps for as
    long as it takes to read: at most half the pool's connections at once, per process, so
    that the other half always serves everything else. With no turn left, a 503 at once."""
    turns = _stream_turns()
    if not turns.acquire(blocking=False):
        raise unavailable(TOO_MANY_STREAMS)
    try:
        yield
    finally:
        turns.release()


@lru_cache
def loop_engine() -> Engine:
    """The engine of reads on the event loop: one connection per thread, never waited for."""
    return make_engine(
        get_settings().database_url, lock_wait_ms=LOOP_LOCK_WAIT_MS, one_connection_per_thread=True
    )


OpenReader = Callable[[], AbstractContextManager[Reader]]
OpenSession = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class Sessions:
    """Where a read route gets its database access.

    `loop` is for short reads done on the event loop, start to finish with no `await` between:
    the hop to a worker thread and back costs more than such a query. It gives a plain
    connection (cheaper to open than a session) from a pool of one connection per thread, so
    the loop never waits for a connection that only a waiting request could give back.
    `pooled` gives sessions for everything else: work in worker threads and streamed bodies."""

    loop: OpenReader
    pooled: OpenSession
    read: OpenSession
    """`pooled`, for reads only: outside a transaction (`for_reads`)."""
    reader: OpenReader
    """`read`, as a plain connection: cheaper to open and close than a session, for the Core
    statements of lists and stats in worker threads."""


async def get_sessions() -> Sessions:
    """The read routes' database access (async, so that FastAPI resolves it on the loop)."""
    return Sessions(
        loop=loop_engine().connect,
        pooled=_session_factory(),
        read=_read_session_factory(),
        reader=_read_engine().connect,
    )


def for_reads(engine: Engine) -> Engine:
    """`engine`, for reads outside a transaction, each statement reading a snapshot of its own.

    Under READ COMMITTED each PostgreSQL statement reads a snapshot of its own, in a
    transaction or not: in autocommit, BEGIN and ROLLBACK were two round trips that changed
    nothing. SQLite is given the same: no BEGIN, and nothing to roll back (about 40 µs of a
    read's CPU, a twentieth of a list page's). A list's page, its count and the revision they
    were read at are one statement (`app.services.lists.paginate`); a read whose statements
    must agree takes a transaction of its own (a CSV export, REPEATABLE READ)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine.execution_options(**{SNAPSHOT_PER_STATEMENT: True})


@lru_cache
def _read_engine() -> Engine:
    """The engine of reads (`for_reads`)."""
    return for_reads(get_engine())


@lru_cache
def _read_session_factory() -> sessionmaker[Session]:
    """Sessions for reads (`_read_engine`)."""
    return sessionmaker(bind=_read_engine(), expire_on_commit=False)


# scope="function": the session commits when the route returns, before the answer is sent, so
# no client hears of a write that then fails to commit (by default FastAPI runs the code after
# `yield` once the response has gone out).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SessionsDep = Annotated[Sessions, Depends(get_sessions)]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
