"""Search across every collection: matches ranked by how their names meet the query."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import False_

from app.collections.catalog import BY_SUBJECT
from app.listing.matching import matches
from app.models import Citation
from app.text import fold

CANDIDATES_PER_KIND = 1000
"""How many matches of each kind are ranked; `total` still counts them all."""


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


def search_all(
    *, session: Session, q: str, subjects: list[str], limit: int, offset: int
) -> tuple[list[Hit], int]:
    """Rank the records of these kinds that match `q`, best first; one page and the total."""
    folded = fold(q.strip())
    ranked: list[tuple[tuple[Any, ...], str, Any]] = []
    total = 0
    for subject in subjects:
        collection = BY_SUBJECT[subject]
        model = collection.model
        condition = matches(session, subject, model.id, model.search_text, q)
        if isinstance(condition, False_):
            continue  # a bigram of the query is in no record of this kind
        total += session.scalar(select(func.count()).select_from(model).where(condition)) or 0
        rows = session.execute(
            collection.document_select()
            .where(condition)
            .order_by(model.id)
            .limit(CANDIDATES_PER_KIND)
        ).all()
        for row in rows:
            record_id, name = row[0], row[1]
            score = _score(folded, name, _english_name(subject, row))
            ranked.append(((-score, len(name), subject, record_id), subject, row))
    ranked.sort(key=lambda entry: entry[0])
    page = ranked[offset : offset + limit]
    quotes = _quotes(session, [(subject, row[0]) for _, subject, row in page])
    hits = []
    for (negative_score, *_), subject, row in page:
        record_id, name, *parts = row
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
    return hits, total


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
