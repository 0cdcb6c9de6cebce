"""What a read runs on: a plain connection on the event loop, a session elsewhere; and the
hot reads' kept statements, run on the driver's own cursor."""

import weakref
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

Reader = Session | Connection
Processor = Callable[[Any], Any] | None


def connection_of(reader: Reader) -> Connection:
    """The connection under a reader, for Core statements."""
    return reader if isinstance(reader, Connection) else reader.connection()


@dataclass
class _Compiled:
    """A statement compiled once for one dialect, with what running it on a driver's cursor
    takes: how its parameters are bound and in which order, and how its columns are read."""

    compiled: SQLCompiler
    binds: dict[str, Processor]
    row: type
    columns: list[Any]
    reads: dict[tuple[Any, ...], list[Processor]] = field(default_factory=dict)
    """The columns' result processors, by the types the driver describes them with."""

    def parameters(self, values: dict[str, Any]) -> Any:
        named = self.compiled.construct_params(values)
        for name, process in self.binds.items():
            if process is not None and named.get(name) is not None:
                named[name] = process(named[name])
        positions = self.compiled.positiontup
        return named if positions is None else tuple(named[name] for name in positions)

    def processors(self, dialect: Dialect, description: Sequence[Any]) -> list[Processor]:
        codes = tuple(column[1] for column in description)
        found = self.reads.get(codes)
        if found is None:
            found = self.reads[codes] = [
                column.type.dialect_impl(dialect).result_processor(dialect, code)
                for column, code in zip(self.columns, codes, strict=True)
            ]
        return found


_KEPT: weakref.WeakKeyDictionary[Select[Any], dict[Dialect, _Compiled | None]] = (
    weakref.WeakKeyDictionary()
)
"""The statements `compile_once` was told of, with their compiled forms by dialect; each goes
when its statement does (a shape's statements are kept in bounded caches)."""


def compile_once(*statements: Select[Any]) -> None:
    """Have `fetch_all` compile these statements once per dialect, and run them on the driver's
    cursor: statements built once and run many times, with values given as they run."""
    for statement in statements:
        _KEPT.setdefault(statement, {})


def _compiled(statement: Select[Any], dialect: Dialect) -> _Compiled | None:
    """`statement` compiled for `dialect`, if `compile_once` was told of it; None otherwise, or
    where its SQL depends on the values (an `IN` of a list, expanded as it runs)."""
    forms = _KEPT.get(statement)
    if forms is None:
        return None
    if dialect in forms:
        return forms[dialect]
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    usable = None
    if not compiled.post_compile_params and not compiled.literal_execute_params:
        columns = list(statement.selected_columns)
        usable = _Compiled(
            compiled,
            binds={
                name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                for bind, name in compiled.bind_names.items()
            },
            row=namedtuple("Row", [column.key for column in columns], rename=True),  # type: ignore[misc]
            columns=columns,
        )
    forms[dialect] = usable
    return usable


def fetch_all(connection: Connection, statement: Select[Any], values: dict[str, Any]) -> list[Any]:
    """The rows `connection.execute(statement, values).all()` gives, as it gives them (by
    attribute or position).

    A statement `compile_once` was told of runs on the driver's cursor, compiled once:
    SQLAlchemy's execution (a context, a result and its rows, the compiled cache's key worked
    out from the statement on every run) cost a SQLite list page about a sixth of its CPU, half
    as much as its SQL (bench/README.md). What SQLAlchemy does around a statement is still
    done: its events (the statement timeout, the tests' counts), its errors, and a connection
    found dead invalidated."""
    dialect = connection.dialect
    compiled = _compiled(statement, dialect)
    if compiled is None:
        return list(connection.execute(statement, values).all())
    sql = compiled.compiled.string
    parameters = compiled.parameters(values)
    pooled = connection.connection
    driver = pooled.dbapi_connection
    cursor = pooled.cursor()
    try:
        for listener in connection.dispatch.before_cursor_execute:
            sql, parameters = listener(connection, cursor, sql, parameters, None, False)
        cursor.execute(sql, parameters)
        found = cursor.fetchall()
        processors = compiled.processors(dialect, cursor.description)
    except dialect.loaded_dbapi.Error as error:
        invalidated = dialect.is_disconnect(error, driver, cursor)
        if invalidated:
            connection.invalidate(error)
        raise DBAPIError.instance(
            sql,
            parameters,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=invalidated,
            dialect=dialect,
        ) from error
    finally:
        cursor.close()
    make = compiled.row._make  # type: ignore[attr-defined]
    if not any(processors):
        return [make(row) for row in found]
    return [
        make(
            value if process is None or value is None else process(value)
            for process, value in zip(processors, row, strict=True)
        )
        for row in found
    ]
