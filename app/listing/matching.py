"""The `q` condition: records whose search document contains a phrase, found through the
search index's grams (kept by `app.projections.search_index`)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, select

from app.models import SearchGram, SearchGramCount
from app.reader import Reader
from app.text import TOKEN, fold

CANDIDATE_GRAMS = 3
"""How many of a query's bigrams, the rarest, pick the candidates that the phrase is checked on."""


@dataclass(frozen=True)
class Matching:
    """The `q` condition for one kind of record, and how many records it can match at most."""

    condition: ColumnElement[bool]
    holders: int | None
    """How many records hold the query's rarest bigram, no fewer than can match; for a single
    character, how many grams begin with it (with `scan` only). None: the condition reads no
    index (a query with no word), and `scan` does not bound it."""
    exact: bool
    """Whether every holder matches: the query is one bigram and nothing else."""


def matches(
    reader: Reader, subject: str, id_column: Any, text_column: Any, q: str
) -> ColumnElement[bool]:
    """Records of this kind whose document contains `q`, found through the bigram index.

    The query's rarest bigrams (by `search_gram_counts`) select candidates through the index;
    the whole phrase is then checked on those few. A bigram no record holds means no match."""
    return matching(reader, subject, id_column, text_column, q).condition


def matching(
    reader: Reader,
    subject: str,
    id_column: Any,
    text_column: Any,
    q: str,
    *,
    scan: int | None = None,
) -> Matching:
    """`matches`, with what it knows of the count. With `scan`, the candidates are only the
    first `scan` records, by id, that hold the query's rarest bigram (an index range read in
    order): a search's work stays bounded however common its words are."""
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
            return Matching(false(), 0, exact=True)
        rarest = sorted(pairs, key=lambda pair: (counts[pair], pair))[:CANDIDATE_GRAMS]
        if scan is None:
            candidates = (
                select(SearchGram.subject_id)
                .where(of_subject, SearchGram.gram.in_(rarest))
                .group_by(SearchGram.subject_id)
                .having(func.count() == len(rarest))
            )
        else:
            candidates = (
                select(SearchGram.subject_id)
                .where(SearchGram.gram == rarest[0], of_subject)
                .order_by(SearchGram.subject_id)
                .limit(scan)
            )
        one_bigram = tokens == [folded] and len(folded) == 2
        return Matching(
            and_(id_column.in_(candidates), condition), counts[rarest[0]], exact=one_bigram
        )
    if singles:
        single, following = singles[0], chr(ord(singles[0]) + 1)
        starting = select(SearchGram.subject_id).where(
            of_subject, SearchGram.gram >= single, SearchGram.gram < following
        )
        postings = None
        if scan is not None:
            starting = starting.order_by(SearchGram.gram, SearchGram.subject_id).limit(scan)
            postings = reader.execute(
                select(func.coalesce(func.sum(SearchGramCount.records), 0)).where(
                    SearchGramCount.subject_type == subject,
                    SearchGramCount.gram >= single,
                    SearchGramCount.gram < following,
                )
            ).scalar_one()
        return Matching(and_(id_column.in_(starting), condition), postings, exact=False)
    return Matching(condition, None, exact=False)
