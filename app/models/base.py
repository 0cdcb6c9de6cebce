from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import ColumnElement, Dialect, Index, LargeBinary, MetaData, String, Table, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from app.models.citation import Citation

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SLUG_LENGTH = 80
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
"""A record's id: lower-case words of letters and digits, joined by hyphens."""
SEARCH_TEXT_LENGTH = 4000
SUBJECT_TYPE_LENGTH = 40


class _Utf8Bytes(FunctionElement[bytes]):
    """A text column read as its UTF-8 bytes."""

    type = LargeBinary()
    inherit_cache = True


@compiles(_Utf8Bytes, "sqlite")
def _utf8_bytes_sqlite(element: _Utf8Bytes, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS BLOB)"


@compiles(_Utf8Bytes, "postgresql")
def _utf8_bytes_postgresql(element: _Utf8Bytes, compiler: SQLCompiler, **kw: Any) -> str:
    # Not `CAST(... AS bytea)`, which reads a backslash in the text as an escape.
    return f"convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')"


class StoredJson(TypeDecorator[bytes]):
    """JSON kept as text and read as bytes: the database hands over the stored UTF-8 as it is,
    for a response body, where text would be decoded by the driver and encoded again."""

    impl = Text
    cache_ok = True

    def column_expression(self, column: ColumnElement[Any]) -> ColumnElement[bytes]:
        return _Utf8Bytes(column)

    def process_bind_param(self, value: bytes | str | None, dialect: Dialect) -> str | None:
        return value.decode() if isinstance(value, bytes) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else bytes(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Cited:
    """A record with a slug id whose facts are backed by citations."""

    citation_subject: ClassVar[str]
    """The kind of record, as citations, figures and the history name it."""

    id: Mapped[str] = mapped_column(String(SLUG_LENGTH), primary_key=True)
    search_text: Mapped[str] = mapped_column(String(SEARCH_TEXT_LENGTH), default="")
    """The record's text folded for search (simplified script, lower case); see
    app/projections/search_index.py."""
    rendered: Mapped[bytes | None] = mapped_column(StoredJson, deferred=True)
    """The record as the API reads it (JSON), rewritten by every flush that touches the record,
    so that reads serve it as it is; see app/projections/rendering.py."""

    @declared_attr
    def citations(cls) -> Mapped[list["Citation"]]:
        return relationship(
            "Citation",
            primaryjoin=(
                f"and_(foreign(Citation.subject_id) == {cls.__name__}.id, "  # type: ignore[attr-defined]
                f"Citation.subject_type == '{cls.citation_subject}')"
            ),
            viewonly=True,
            lazy="selectin",
            order_by="Citation.id",
        )


class NamedRecord(Cited):
    """A cited record with names in three scripts."""

    name: Mapped[str] = mapped_column(String(200))
    name_zh_hant: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))


def add_unrendered_index(model: type[Cited]) -> None:
    """A partial index of the records with no stored rendering: empty once all are rendered,
    so that start-up finds none to render without reading the table."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    unrendered = table.c.rendered.is_(None)
    Index(
        f"ix_{table.name}_unrendered",
        table.c.id,
        sqlite_where=unrendered,
        postgresql_where=unrendered,
    )


def add_sort_indexes(model: type[Base], *names: str) -> None:
    """Indexes that let `ORDER BY name [DESC], id` with nulls last read in index order.

    A nullable column sorts as `(column IS NULL), column, id` (see app/listing/statements.py),
    which needs one index per direction; a column that cannot be null needs one index read
    either way."""
    table = model.__table__
    assert isinstance(table, Table)
    id_column = table.c.id
    for name in names:
        column = table.c[name]
        if not column.nullable:
            Index(f"ix_{table.name}_{name}_sort", column, id_column)
            continue
        Index(f"ix_{table.name}_{name}_asc", column.is_(None), column, id_column)
        Index(f"ix_{table.name}_{name}_desc", column.is_(None), column.desc(), id_column.desc())


def add_filtered_sort_indexes(model: type[Base], filter_name: str, *names: str) -> None:
    """Sort indexes led by an equality filter's column: a page of `?{filter}=X&sort=name`
    then reads just its rows, in order, instead of sorting every record that matches."""
    table = model.__table__
    assert isinstance(table, Table)
    id_column, filter_column = table.c.id, table.c[filter_name]
    for name in names:
        column = table.c[name]
        prefix = f"ix_{table.name}_{filter_name}_{name}"
        if not column.nullable:
            Index(f"{prefix}_sort", filter_column, column, id_column)
            continue
        Index(f"{prefix}_asc", filter_column, column.is_(None), column, id_column)
        Index(f"{prefix}_desc", filter_column, column.is_(None), column.desc(), id_column.desc())
