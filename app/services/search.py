from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Citation
from app.models.enums import SubjectType
from app.search import documents, matches, snippet
from app.text import fold

CANDIDATES_PER_KIND = 1000
"""How many matches of each kind are ranked; `total` still counts them all."""


@dataclass(frozen=True)
class Hit:
    subject: SubjectType
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
    *, session: Session, q: str, subjects: list[SubjectType], limit: int, offset: int
) -> tuple[list[Hit], int]:
    """Rank the records of these kinds that match `q`, best first; one page and the total."""
    folded = fold(q.strip())
    ranked: list[tuple[tuple[Any, ...], SubjectType, Any]] = []
    total = 0
    for subject in subjects:
        document = documents()[subject]
        model = document.model
        condition = matches(session, subject, model.id, model.search_text, q)
        total += session.scalar(select(func.count()).select_from(model).where(condition)) or 0
        rows = session.execute(
            document.select().where(condition).order_by(model.id).limit(CANDIDATES_PER_KIND)
        ).all()
        for row in rows:
            record_id, name = row[0], row[1]
            score = _score(folded, name, _english_name(subject, row))
            ranked.append(((-score, len(name), subject.value, record_id), subject, row))
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


def _english_name(subject: SubjectType, row: Any) -> str | None:
    english = documents()[subject].english
    return None if english is None else row[1 + english]  # row[0] is the id


def _quotes(
    session: Session, records: list[tuple[SubjectType, str]]
) -> dict[tuple[SubjectType, str], list[str]]:
    if not records:
        return {}
    ids = sorted({record_id for _, record_id in records})
    wanted = set(records)
    found: dict[tuple[SubjectType, str], list[str]] = {}
    for subject, subject_id, quote in session.execute(
        select(Citation.subject_type, Citation.subject_id, Citation.quote)
        .where(Citation.subject_id.in_(ids))
        .order_by(Citation.id)
    ):
        if (subject, subject_id) in wanted:
            found.setdefault((subject, subject_id), []).append(quote)
    return found
