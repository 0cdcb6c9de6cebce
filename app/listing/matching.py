"""The `q` condition: records whose search document contains a phrase, found through the
search index's grams (kept by `app.projections.search_index`)."""

from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, select

from app.models import SearchGram, SearchGramCount
from app.reader import Reader
from app.text import TOKEN, fold

CANDIDATE_GRAMS = 3
"""How many of a query's bigrams, the rarest, pick the candidates that the phrase is checked on."""


def matches(
    reader: Reader, subject: str, id_column: Any, text_column: Any, q: str
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
        counts: dict[str, int] = {gram: records for gram, records in reader.execute(counted)}  # noqa: C416
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
