"""Each record's search document, folded, and its grams in the index that `q` looks
phrases up by (`app.listing.matching`).

A record's document is its collection's document columns plus the quotes of its citations,
folded (traditional to simplified, case-folded). Its bigrams go to `search_grams`, with a
count per gram and kind of record in `search_gram_counts`."""

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from app.collections.base import Collection
from app.collections.catalog import BY_SUBJECT
from app.models import SearchGram, SearchGramCount
from app.projections.rendering import record_rows
from app.text import grams, search_text


def document_texts(collection: Collection, rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Each record's folded search document, by id, from its rows (`record_rows`): its
    collection's document columns, then its quotes."""
    keys = [column.key for column in collection.document.columns]
    return {
        row["id"]: search_text(
            *(row[key] for key in keys), *(citation["quote"] for citation in row["citations"])
        )
        for row in rows
    }


def reindex(connection: Connection, subject: str, ids: Sequence[str]) -> None:
    """Rewrite the folded document and the grams of these records (gone ones: drop grams),
    and move the gram counts by the difference."""
    collection = BY_SUBJECT[subject]
    texts = document_texts(collection, record_rows(connection, collection, ids))
    index_grams(connection, subject, ids, texts)
    if texts:
        table = collection.table
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("record_id"))
            .values(search_text=bindparam("text")),
            [{"record_id": record_id, "text": text} for record_id, text in texts.items()],
        )


def index_grams(
    connection: Connection, subject: str, ids: Sequence[str], texts: dict[str, str]
) -> None:
    """Rewrite the grams of these records to those of their documents in `texts` (those not in
    it are gone: their grams are dropped), and move the gram counts by the difference.

    The grams a record holds are those of its stored document (`search_text`), which is
    written with them, every time: so they are read from the record's own row, by its key,
    and search_grams needs no index by record (one index fewer to build in a bulk load, and
    to keep on every write). A record's row must still be there: `drop_grams` before it is
    deleted. (A change to `grams` itself would need every gram written again.)"""
    table = BY_SUBJECT[subject].table
    held: dict[str, set[str]] = {
        record_id: grams(document)
        for record_id, document in connection.execute(
            select(table.c.id, table.c.search_text).where(table.c.id.in_(ids))
        )
        if document
    }
    added: list[tuple[str, str, str]] = []
    removed: list[tuple[str, str, str]] = []
    change: Counter[str] = Counter()
    # Only the grams that differ are written: an edit changes a few of a record's dozens.
    for record_id, text in texts.items():
        new, old = grams(text), held.pop(record_id, set())
        added.extend((gram, subject, record_id) for gram in new - old)
        removed.extend((gram, subject, record_id) for gram in old - new)
        change.update(new - old)
        change.subtract(old - new)
    for record_id, old in held.items():  # records gone
        removed.extend((gram, subject, record_id) for gram in old)
        change.subtract(old)
    _write_grams(connection, removed, insert=False)
    _write_grams(connection, added, insert=True)
    add_gram_counts(connection, subject, change)


def drop_grams(connection: Connection, subject: str, ids: Sequence[str]) -> None:
    """Drop the grams of these records, and their counts, while their rows are still there:
    before they are deleted."""
    index_grams(connection, subject, ids, {})


def _write_grams(connection: Connection, rows: list[tuple[str, str, str]], *, insert: bool) -> None:
    """Insert, or delete, (gram, subject_type, subject_id) rows, many at a time."""
    if not rows:
        return
    # In key order, each gram's rows are together in the index; and through the driver, for
    # SQLAlchemy's handling of each row's parameters costs more than writing the row.
    rows.sort()
    table, columns = SearchGram.__tablename__, "gram, subject_type, subject_id"
    postgresql = connection.dialect.name == "postgresql"
    if insert and postgresql:
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    mark = "%s" if postgresql else "?"
    statement = (
        f"INSERT INTO {table} ({columns}) VALUES ({mark}, {mark}, {mark})"
        if insert
        else f"DELETE FROM {table} WHERE gram = {mark} AND subject_type = {mark} "
        f"AND subject_id = {mark}"
    )
    connection.exec_driver_sql(statement, rows)


def add_gram_counts(connection: Connection, subject: str, change: Counter[str]) -> None:
    """Add `change` to the stored count of records of this kind that hold each gram."""
    rows = [
        {"subject_type": subject, "gram": gram, "records": delta}
        for gram, delta in sorted(change.items())
        if delta
    ]
    if not rows:
        return
    dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(SearchGramCount)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[SearchGramCount.subject_type, SearchGramCount.gram],
            set_={"records": SearchGramCount.records + statement.excluded.records},
        ),
        rows,
    )
