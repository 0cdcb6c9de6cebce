"""Text search: each record's folded document, its bigram index, and the `q` condition.

A record's document is its names and text fields plus the quotes of its citations, folded
(traditional to simplified, case-folded). Its bigrams go to `search_grams`, which a query's
bigrams are looked up in; the few candidates are then checked for the whole phrase.
`app.changes` rewrites the index for every record a flush touches."""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    false,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import (
    Citation,
    District,
    Figure,
    Organization,
    Park,
    Project,
    RenewalCase,
    SearchGram,
    SearchGramCount,
    Source,
    ZeroCarbonFactory,
)
from app.models.base import Cited
from app.models.enums import SubjectType
from app.text import fold, search_text

TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Document:
    """Which columns make up one kind of record's searchable text; names come first."""

    model: type[Cited]
    columns: tuple[InstrumentedAttribute[Any], ...]
    english: int | None = 2
    """Which of `columns` is the English name, if any; the first is always the name."""

    def select(self) -> Select[Any]:
        statement = select(self.model.id, *self.columns)
        if self.model is ZeroCarbonFactory:
            statement = statement.join(
                Organization, ZeroCarbonFactory.organization_id == Organization.id
            )
        return statement


@cache
def documents() -> dict[SubjectType, Document]:
    """The document definition of every searchable kind of record."""
    return {
        SubjectType.project: Document(
            Project,
            (
                Project.name,
                Project.name_zh_hant,
                Project.name_en,
                Project.sector,
                Project.description,
            ),
        ),
        SubjectType.park: Document(
            Park, (Park.name, Park.name_zh_hant, Park.name_en, Park.location, Park.description)
        ),
        SubjectType.renewal_case: Document(
            RenewalCase,
            (
                RenewalCase.name,
                RenewalCase.name_zh_hant,
                RenewalCase.name_en,
                RenewalCase.former_site,
                RenewalCase.new_use,
                RenewalCase.approach,
                RenewalCase.description,
            ),
        ),
        SubjectType.zero_carbon_factory: Document(
            ZeroCarbonFactory,
            (
                Organization.name,
                Organization.name_zh_hant,
                Organization.name_en,
                ZeroCarbonFactory.list_name,
            ),
        ),
        SubjectType.organization: Document(
            Organization, (Organization.name, Organization.name_zh_hant, Organization.name_en)
        ),
        SubjectType.district: Document(
            District, (District.name, District.name_zh_hant, District.name_en)
        ),
        SubjectType.figure: Document(
            Figure, (Figure.label, Figure.value_stated, Figure.unit, Figure.period), english=None
        ),
        SubjectType.source: Document(
            Source, (Source.title, Source.title_en, Source.description), english=1
        ),
    }


def grams(folded: str) -> set[str]:
    """The bigrams of each token of folded text, plus each token's last character."""
    result: set[str] = set()
    for token in TOKEN.findall(folded):
        result.update(token[i : i + 2] for i in range(len(token) - 1))
        result.add(token[-1])
    return result


CANDIDATE_GRAMS = 3
"""How many of a query's bigrams, the rarest, pick the candidates that the phrase is checked on."""


def matches(
    connection: Connection | Session,
    subject: SubjectType,
    id_column: ColumnElement[str] | InstrumentedAttribute[str],
    text_column: Any,
    q: str,
) -> ColumnElement[bool]:
    """Records of this kind whose document contains `q`, found through the bigram index.

    The query's rarest bigrams (by `search_gram_counts`) select candidates through the index;
    the whole phrase is then checked on those few. A bigram no record holds means no match."""
    folded = fold(q.strip())
    condition: ColumnElement[bool] = text_column.contains(folded, autoescape=True)
    tokens = TOKEN.findall(folded)
    pairs = sorted({token[i : i + 2] for token in tokens for i in range(len(token) - 1)})
    singles = sorted({token for token in tokens if len(token) == 1})
    of_subject = SearchGram.subject_type == subject
    if pairs:
        counted = select(SearchGramCount.gram, SearchGramCount.records).where(
            SearchGramCount.subject_type == subject, SearchGramCount.gram.in_(pairs)
        )
        counts: dict[str, int] = dict(connection.execute(counted).all())
        if any(counts.get(pair, 0) <= 0 for pair in pairs):
            return false()
        rarest = sorted(pairs, key=lambda pair: (counts[pair], pair))[:CANDIDATE_GRAMS]
        candidates = (
            select(SearchGram.subject_id)
            .where(of_subject, SearchGram.gram.in_(rarest))
            .group_by(SearchGram.subject_id)
            .having(func.count() == len(rarest))
        )
        condition = and_(id_column.in_(candidates), condition)
    elif singles:
        single = singles[0]
        starting = select(SearchGram.subject_id).where(
            of_subject, SearchGram.gram >= single, SearchGram.gram < chr(ord(single) + 1)
        )
        condition = and_(id_column.in_(starting), condition)
    return condition


def snippet(parts: Iterable[str | None], q: str, *, width: int = 24) -> str | None:
    """The stretch of the first part that contains `q`, with a little context."""
    folded_q = fold(q.strip())
    for part in parts:
        if not part:
            continue
        at = fold(part).find(folded_q)
        if at < 0:
            continue
        start, end = max(0, at - width), min(len(part), at + len(folded_q) + width)
        return ("…" if start else "") + part[start:end] + ("…" if end < len(part) else "")
    return None


def reindex(connection: Connection, subject: SubjectType, ids: Sequence[str]) -> None:
    """Rewrite the folded document and the grams of these records (gone ones: drop grams),
    and move the gram counts by the difference."""
    texts = index_grams(connection, subject, ids)
    if texts:
        table = documents()[subject].model.__table__  # type: ignore[attr-defined]
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("record_id"))
            .values(search_text=bindparam("text")),
            [{"record_id": record_id, "text": text} for record_id, text in texts.items()],
        )


def index_grams(connection: Connection, subject: SubjectType, ids: Sequence[str]) -> dict[str, str]:
    """Rewrite the grams of these records (gone ones: drop them) and move the gram counts by
    the difference; each record's folded document, by id, for its `search_text`."""
    document = documents()[subject]
    quotes: dict[str, list[str]] = defaultdict(list)
    for subject_id, quote in connection.execute(
        select(Citation.subject_id, Citation.quote)
        .where(Citation.subject_type == subject, Citation.subject_id.in_(ids))
        .order_by(Citation.id)
    ):
        quotes[subject_id].append(quote)
    held: dict[str, set[str]] = defaultdict(set)
    for subject_id, gram in connection.execute(
        select(SearchGram.subject_id, SearchGram.gram).where(
            SearchGram.subject_type == subject, SearchGram.subject_id.in_(ids)
        )
    ):
        held[subject_id].add(gram)
    rows = connection.execute(document.select().where(document.model.id.in_(ids))).all()
    texts: dict[str, str] = {}
    added: list[tuple[str, str, str]] = []
    removed: list[tuple[str, str, str]] = []
    change: Counter[str] = Counter()
    # Only the grams that differ are written: an edit changes a few of a record's dozens.
    for record_id, *parts in rows:
        text = search_text(*parts, *quotes[record_id])
        texts[record_id] = text
        new, old = grams(text), held.pop(record_id, set())
        added.extend((gram, subject.value, record_id) for gram in new - old)
        removed.extend((gram, subject.value, record_id) for gram in old - new)
        change.update(new - old)
        change.subtract(old - new)
    for record_id, old in held.items():  # records gone
        removed.extend((gram, subject.value, record_id) for gram in old)
        change.subtract(old)
    _write_grams(connection, removed, insert=False)
    _write_grams(connection, added, insert=True)
    add_gram_counts(connection, subject, change)
    return texts


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


def add_gram_counts(connection: Connection, subject: SubjectType, change: Counter[str]) -> None:
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
