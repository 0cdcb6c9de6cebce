"""Search across every collection: matches ranked by how their names meet the query."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import False_

from app.collections.base import Collection
from app.collections.catalog import BY_SUBJECT
from app.listing.matching import matching
from app.models import Citation
from app.text import fold

CANDIDATES_PER_KIND = 200
"""How many matches of each kind are ranked, at most: a search pages this deep per kind."""
SCAN_PER_KIND = 2000
"""How many records holding a query's rarest pair of characters each kind reads, by id, at
most: past that, `total` is an estimate (see `search_all`)."""
HIGHEST = "\U0010ffff"


@dataclass(frozen=True)
class Hit:
    subject: str
    id: str
    name: str
    name_en: str | None
    snippet: str | None
    score: int


def _score(q: str, name: str, name_en: str | None) -> int:
    for candidate in (name, name_en):
        if candidate and fold(candidate) == q:
            return 3
    for candidate in (name, name_en):
        if candidate and fold(candidate).startswith(q):
            return 2
    for candidate in (name, name_en):
        if candidate and q in fold(candidate):
            return 1
    return 0


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    total: int
    total_is_estimate: bool
    ranked: int
    """How many matches were ranked: the pages go no further."""


def search_all(*, session: Session, q: str, subjects: list[str], limit: int, offset: int) -> Found:
    """Rank the records of these kinds that match `q`, best first; one page and the total.

    The work is bounded whatever `q` is: of each kind, the candidates are the records whose
    name begins with `q` (an index range) and the matches among the first `SCAN_PER_KIND`
    records holding its rarest pair of characters, by id. The total is exact where that scan
    saw every holder, and for a query that is one pair of characters (whose holders are its
    matches). Otherwise it is an upper bound, the matches scanned plus the holders not
    scanned, and `total_is_estimate` says so."""
    folded = fold(q.strip())
    ranked: dict[tuple[str, str], tuple[tuple[Any, ...], Any]] = {}
    total = 0
    estimate = False
    for subject in subjects:
        collection = BY_SUBJECT[subject]
        model = collection.model
        found = matching(session, subject, model.id, model.search_text, q, scan=SCAN_PER_KIND)
        if isinstance(found.condition, False_):
            continue  # a bigram of the query is in no record of this kind
        if found.exact and found.holders is not None:
            total += found.holders
        else:
            counted = select(func.count()).select_from(model).where(found.condition)
            total += session.scalar(counted) or 0
            if found.holders is not None and found.holders > SCAN_PER_KIND:
                estimate = True
                total += found.holders - SCAN_PER_KIND
        rows = [*_named(session, collection, folded)]
        rows += session.execute(
            collection.document_select()
            .where(found.condition)
            .order_by(model.id)
            .limit(CANDIDATES_PER_KIND)
        ).all()
        for row in rows:
            record_id, name = row[0], row[1]
            score = _score(folded, name, _english_name(subject, row))
            ranked.setdefault((subject, record_id), ((-score, len(name), subject, record_id), row))
    ordered = sorted(ranked.values(), key=lambda entry: entry[0])
    page = ordered[offset : offset + limit]
    quotes = _quotes(session, [(key[2], row[0]) for key, row in page])
    hits = []
    for (negative_score, _, subject, record_id), row in page:
        _, name, *parts = row
        hits.append(
            Hit(
                subject=subject,
                id=record_id,
                name=name,
                name_en=_english_name(subject, row),
                snippet=snippet([name, *parts, *quotes.get((subject, record_id), [])], q),
                score=-negative_score,
            )
        )
    return Found(hits, total, estimate, len(ordered))


def _named(session: Session, collection: Collection, folded: str) -> Sequence[Any]:
    """The records whose name begins with `folded` and whose document holds it, through the
    name's sort index."""
    name = collection.document.columns[0]
    if collection.named_by is not None or name.key != "name" or not folded:
        return []
    model = collection.model
    return session.execute(
        collection.document_select()
        # The range reads the index; LIKE keeps the meaning under any collation.
        .where(name >= folded, name < folded + HIGHEST, name.startswith(folded, autoescape=True))
        .where(model.search_text.contains(folded, autoescape=True))  # as every match does
        .order_by(name, model.id)
        .limit(CANDIDATES_PER_KIND)
    ).all()


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


def _english_name(subject: str, row: Any) -> str | None:
    english = BY_SUBJECT[subject].document.english
    return None if english is None else row[1 + english]  # row[0] is the id


def _quotes(session: Session, records: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    if not records:
        return {}
    ids = sorted({record_id for _, record_id in records})
    wanted = set(records)
    found: dict[tuple[str, str], list[str]] = {}
    for subject, subject_id, quote in session.execute(
        select(Citation.subject_type, Citation.subject_id, Citation.quote)
        .where(Citation.subject_id.in_(ids))
        .order_by(Citation.id)
    ):
        if (subject, subject_id) in wanted:
            found.setdefault((subject, subject_id), []).append(quote)
    return found
