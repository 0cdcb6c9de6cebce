"""The whole knowledge base in one file, read from one snapshot of the database: a SQLite
database, or a zip of CSVs described by a Frictionless data package (`datapackage.json`).

Its tables derive from the catalog: one per collection with the scalar fields of its read
schema (the rows as the API reads them), one per collection's links (`project_organizations`),
and `citations`, one row per citation of any record."""

import contextlib
import csv
import datetime as dt
import hashlib
import io
import sqlite3
import types
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, Protocol, Union, get_args, get_origin

import orjson
from pydantic.fields import FieldInfo
from sqlalchemy import Engine, Row, Select, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import KeyedColumnElement

from app.collections.base import Collection
from app.collections.catalog import BY_KEY, CATALOG, DOCUMENTED, REFERENCES, SOURCES
from app.models import Citation
from app.models.enums import BaseUnit
from app.projections.rendering import stored_or_fresh
from app.records.read import CitationOut
from app.services.revision import current_revision

BATCH = 500
"""Rows read per statement: each statement stays well inside the statement timeout."""
CITATIONS = "citations"


class ExportFormat(StrEnum):
    """What the export is written as."""

    sqlite = "sqlite"
    zip = "zip"


MEDIA_TYPES = {ExportFormat.sqlite: "application/vnd.sqlite3", ExportFormat.zip: "application/zip"}


@dataclass(frozen=True)
class ExportField:
    """A column of an exported table, described as a Frictionless field."""

    name: str
    type: str
    """Its Frictionless type: string, integer, number, boolean, date, or array (JSON text)."""
    description: str
    required: bool
    unit: str | None = None
    values: tuple[str, ...] = ()
    """The values an enumerated field takes."""


@dataclass(frozen=True)
class ExportTable:
    """A table of the export: its fields, keys, and the statement that reads its rows."""

    name: str
    description: str
    fields: tuple[ExportField, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str], ...]
    """(field, the table whose `id` it names)."""
    read: Callable[[Session], Iterator[list[tuple[Any, ...]]]]
    """Its rows in batches, each value in the order of `fields`."""


_PHYSICAL_UNITS = tuple(
    unit
    for unit in BaseUnit
    if unit not in (BaseUnit.ratio, BaseUnit.count, BaseUnit.rank, BaseUnit.year)
)
_SQLITE_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "array": "TEXT",
}


def _unit_of(name: str) -> str | None:
    """A numeric field's unit, which its name ends with (`investment_cny`: CNY)."""
    return next((unit.value for unit in _PHYSICAL_UNITS if name.endswith(f"_{unit.lower()}")), None)


def _field(name: str, info: FieldInfo) -> ExportField:
    annotation = info.annotation
    options = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()
    required = type(None) not in options
    (kind,) = [option for option in options if option is not type(None)] or [annotation]
    values: tuple[str, ...] = ()
    if isinstance(kind, type) and issubclass(kind, Enum):
        type_, values = "string", tuple(str(member.value) for member in kind)
    elif kind is bool:
        type_ = "boolean"
    elif kind is int:
        type_ = "integer"
    elif kind is float:
        type_ = "number"
    elif kind is dt.date:
        type_ = "date"
    elif kind is str:
        type_ = "string"
    else:
        raise TypeError(f"no export type for field {name!r}: {annotation!r}")
    numeric = type_ in ("integer", "number")
    return ExportField(
        name=name,
        type=type_,
        description=info.description or name,
        required=required,
        unit=_unit_of(name) if numeric else None,
        values=values,
    )


def _is_scalar(info: FieldInfo) -> bool:
    return get_origin(info.annotation) is not list


def _keyset(
    statement: Select[*tuple[Any, ...]], key: Sequence[KeyedColumnElement[Any]], session: Session
) -> Iterator[Sequence[Row[*tuple[Any, ...]]]]:
    """The rows of `statement` in the order of `key` (unique), a batch per statement."""
    last: tuple[Any, ...] | None = None
    ordered = statement.order_by(*key).limit(BATCH)
    while True:
        batch = ordered
        if last is not None:
            batch = batch.where(tuple_(*key) > tuple_(*last) if len(key) > 1 else key[0] > last[0])
        rows = session.execute(batch).all()
        if rows:
            yield rows
        if len(rows) < BATCH:
            return
        last = tuple(rows[-1][: len(key)])


def _records_table(collection: Collection) -> ExportTable:
    scalar = {
        name: info for name, info in collection.schema.model_fields.items() if _is_scalar(info)
    }
    fields = tuple(_field(name, info) for name, info in scalar.items())
    names = [field.name for field in fields]
    table = collection.table

    def read(session: Session) -> Iterator[list[tuple[Any, ...]]]:
        statement = select(table.c.id, table.c.rendered)
        for rows in _keyset(statement, [table.c.id], session):
            rendered = stored_or_fresh(session.connection(), collection.subject, rows)
            records = map(orjson.loads, rendered)
            yield [tuple(record[name] for name in names) for record in records]

    return ExportTable(
        name=collection.key,
        description=collection.description,
        fields=fields,
        primary_key=("id",),
        foreign_keys=tuple(
            (name, BY_KEY[target].key)
            for name, target in REFERENCES[collection.key]
            if name in scalar
        ),
        read=read,
    )


def _links_table(collection: Collection) -> ExportTable | None:
    links = collection.links
    if links is None:
        return None
    target = BY_KEY[links.target]
    described_by = collection.schema.model_fields[links.field].description
    own, other = links.own, links.other

    def read(session: Session) -> Iterator[list[tuple[Any, ...]]]:
        for rows in _keyset(select(own, other), [own, other], session):
            yield [tuple(row) for row in rows]

    return ExportTable(
        name=links.table.name,
        description=f"{collection.singular.capitalize()}s' `{links.field}`: {described_by}",
        fields=(
            ExportField(
                own.key,
                "string",
                f"The {collection.singular} (`{collection.key}.id`).",
                required=True,
            ),
            ExportField(
                other.key,
                "string",
                f"One of its {target.plural} (`{target.key}.id`).",
                required=True,
            ),
        ),
        primary_key=(own.key, other.key),
        foreign_keys=((own.key, collection.key), (other.key, target.key)),
        read=read,
    )


def _citations_table() -> ExportTable:
    described = CitationOut.model_fields
    kinds = ", ".join(f"`{item.subject}` (`{item.key}`)" for item in DOCUMENTED)

    def read(session: Session) -> Iterator[list[tuple[Any, ...]]]:
        columns = Citation.__table__.c
        statement = select(
            columns.subject_type,
            columns.subject_id,
            columns.id,
            columns.source_id,
            columns.paragraph,
            columns.quote,
            columns.fields,
        )
        key = [columns.subject_type, columns.subject_id, columns.id]
        subject, position = None, 0
        for rows in _keyset(statement, key, session):
            batch = []
            for subject_type, subject_id, _, source_id, paragraph, quote, fields in rows:
                position = position + 1 if (subject_type, subject_id) == subject else 1
                subject = (subject_type, subject_id)
                named = orjson.dumps(fields.split(",") if fields else []).decode()
                batch.append(
                    (subject_type, subject_id, position, source_id, paragraph, quote, named)
                )
            yield batch

    return ExportTable(
        name=CITATIONS,
        description=(
            "Every citation of every record: the paragraph of a source, and the short quote in "
            "it, that states the record's facts."
        ),
        fields=(
            ExportField(
                "subject_type",
                "string",
                f"Kind of record cited for, and so the table of `subject_id`: {kinds}.",
                required=True,
                values=tuple(item.subject for item in CATALOG),
            ),
            ExportField("subject_id", "string", "Id of that record.", required=True),
            ExportField(
                "position",
                "integer",
                "Its place among the record's citations, from 1, as the API lists them.",
                required=True,
            ),
            *(_field(name, described[name]) for name in ("source_id", "paragraph", "quote")),
            ExportField(
                "fields",
                "array",
                f"{described['fields'].description} A JSON array of names.",
                required=True,
            ),
        ),
        primary_key=("subject_type", "subject_id", "position"),
        foreign_keys=(("source_id", BY_KEY[SOURCES].key),),
        read=read,
    )


def _tables() -> tuple[ExportTable, ...]:
    links = [_links_table(collection) for collection in DOCUMENTED]
    return (
        *map(_records_table, DOCUMENTED),
        *(table for table in links if table is not None),
        _citations_table(),
    )


TABLES = _tables()
"""Every table of the export, in the order it is written."""


def _schema(table: ExportTable) -> dict[str, Any]:
    fields = []
    for field in table.fields:
        described: dict[str, Any] = {
            "name": field.name,
            "type": field.type,
            "description": field.description,
        }
        constraints: dict[str, Any] = {}
        if field.required:
            constraints["required"] = True
        if field.values:
            constraints["enum"] = list(field.values)
        if constraints:
            described["constraints"] = constraints
        if field.unit is not None:
            described["unit"] = field.unit
        fields.append(described)
    return {
        "fields": fields,
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
        "foreignKeys": [
            {
                "fields": [name],
                # A reference to the table itself names no resource.
                "reference": {"resource": "" if target == table.name else target, "fields": ["id"]},
            }
            for name, target in table.foreign_keys
        ],
    }


def datapackage(*, revision: int) -> dict[str, Any]:
    """The Frictionless data package that describes the zip export of this revision."""
    return {
        "profile": "tabular-data-package",
        "name": "citykb",
        "title": "CityKB",
        "description": (
            "A cited knowledge base of a city's development: every fact cites the paragraph of "
            "its source and a short quote that states it (table `citations`)."
        ),
        "version": f"0.{revision}.0",
        "citykb_revision": revision,
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": table.name,
                "path": f"{table.name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": table.description,
                "dialect": {"delimiter": ",", "quoteChar": '"', "doubleQuote": True},
                "schema": _schema(table),
            }
            for table in TABLES
        ],
    }


LAYOUT_DIGEST = hashlib.blake2b(
    orjson.dumps(datapackage(revision=0), option=orjson.OPT_SORT_KEYS), digest_size=8
).hexdigest()
"""Changes when the export's tables or fields do, so that an ETag keyed on the revision alone
never names the files of an older layout."""


class _Writer(Protocol):
    def begin(self, table: ExportTable) -> None: ...

    def add(self, table: ExportTable, rows: list[tuple[Any, ...]]) -> None: ...

    def finish(self, revision: int) -> None: ...

    def abort(self) -> None: ...


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _SqliteWriter:
    def __init__(self, path: Path) -> None:
        self.database = sqlite3.connect(path, isolation_level=None)
        self.database.execute("BEGIN")

    def begin(self, table: ExportTable) -> None:
        columns = [
            f"{_quoted(field.name)} {_SQLITE_TYPES[field.type]}"
            + (" NOT NULL" if field.required else "")
            for field in table.fields
        ]
        keys = [f"PRIMARY KEY ({', '.join(map(_quoted, table.primary_key))})"] + [
            f"FOREIGN KEY ({_quoted(name)}) REFERENCES {_quoted(target)} (id)"
            for name, target in table.foreign_keys
        ]
        self.database.execute(f"CREATE TABLE {_quoted(table.name)} ({', '.join(columns + keys)})")

    def add(self, table: ExportTable, rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * len(table.fields))
        self.database.executemany(f"INSERT INTO {_quoted(table.name)} VALUES ({marks})", rows)

    def finish(self, revision: int) -> None:
        for table in TABLES:
            for name, _ in table.foreign_keys:  # what Datasette's facets and joins look up
                self.database.execute(
                    f"CREATE INDEX {_quoted(f'ix_{table.name}_{name}')} "
                    f"ON {_quoted(table.name)} ({_quoted(name)})"
                )
        self.database.execute(f"PRAGMA user_version = {int(revision)}")
        self.database.execute("COMMIT")
        self.database.close()

    def abort(self) -> None:
        self.database.close()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class _ZipWriter:
    def __init__(self, path: Path) -> None:
        self.archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.member: io.TextIOWrapper | None = None
        self.csv: Any = None

    def _close_member(self) -> None:
        if self.member is not None:
            self.member.close()
            self.member = None

    def begin(self, table: ExportTable) -> None:
        self._close_member()
        binary = self.archive.open(f"{table.name}.csv", "w", force_zip64=True)
        self.member = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        self.csv = csv.writer(self.member, lineterminator="\r\n")
        self.csv.writerow([field.name for field in table.fields])

    def add(self, table: ExportTable, rows: list[tuple[Any, ...]]) -> None:
        self.csv.writerows([[_cell(value) for value in row] for row in rows])

    def finish(self, revision: int) -> None:
        self._close_member()
        document = orjson.dumps(datapackage(revision=revision), option=orjson.OPT_INDENT_2)
        self.archive.writestr("datapackage.json", document)
        self.archive.close()

    def abort(self) -> None:
        # The file is deleted next: closing it only frees what it holds.
        with contextlib.suppress(Exception):
            self._close_member()
        with contextlib.suppress(Exception):
            self.archive.close()


ExportProgress = Callable[[str, int], None]
"""Called after each table is written, with its name and row count."""


def write_export(
    *,
    session: Session,
    export_format: ExportFormat,
    path: Path,
    progress: ExportProgress | None = None,
) -> int:
    """Write every table, from one snapshot of the database, to `path`; the revision it holds."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and isinstance(bind, Engine):
        # Every table, and the revision, from one snapshot. (A session joined to a transaction
        # already begun keeps that transaction's isolation.) On SQLite, the session's one read
        # transaction sees one snapshot from its first read on.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    revision = current_revision(session=session)
    writer: _Writer = (
        _SqliteWriter(path) if export_format is ExportFormat.sqlite else _ZipWriter(path)
    )
    try:
        for table in TABLES:
            writer.begin(table)
            count = 0
            for rows in table.read(session):
                writer.add(table, rows)
                count += len(rows)
            if progress is not None:
                progress(table.name, count)
        writer.finish(revision)
    except BaseException:
        writer.abort()
        path.unlink(missing_ok=True)
        raise
    return revision
