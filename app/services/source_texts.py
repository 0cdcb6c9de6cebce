"""A source's text, registered at run time (the repository holds none): its paragraphs, what
every citation's quote is checked against, and what cites each paragraph.

A text is split into paragraphs one a line, so that a source's paragraph N is line N of its
text: a byte order mark and each line's trailing whitespace (a carriage return included) go,
and so do blank lines at the end of the text; a blank line inside it stays a paragraph of its
own, with no text, so that the lines after it keep their numbers. Services never commit."""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.orm import Session

from app.collections.catalog import BY_SUBJECT
from app.errors import AppError, ProblemError
from app.models import Citation, Source, SourceParagraph
from app.services.revision import advance_revision
from app.services.rules import Passages

LOOKUP_BATCH = 500
"""Ids (or numbers) looked up a statement at a time."""
PROBLEMS_SHOWN = 20
"""Citations a refused registration lists; it counts the rest."""


def split_paragraphs(*, text: str) -> list[str]:
    """The paragraphs of a text, one a line, numbered by line (see the module's docstring)."""
    lines = [line.rstrip() for line in text.removeprefix("\ufeff").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _chunks(items: Iterable[Any]) -> Iterable[list[Any]]:
    ordered = sorted(items)
    for start in range(0, len(ordered), LOOKUP_BATCH):
        yield ordered[start : start + LOOKUP_BATCH]


def cited_text(
    *, session: Session, cited: Collection[tuple[str, int]], required: bool = True
) -> tuple[dict[str, int], Passages]:
    """The paragraph count of each cited source that exists, and the registered text of the
    cited paragraphs: one query (a few, for hundreds of sources or paragraphs)."""
    counts: dict[str, int] = {}
    texts: dict[tuple[str, int], str] = {}
    # Every registered text has a paragraph 1: it is read too, and tells which sources have one.
    numbers = {number for _, number in cited} | {1}
    for sources in _chunks({source for source, _ in cited}):
        for wanted in _chunks(numbers):
            statement = (
                select(
                    Source.id, Source.paragraph_count, SourceParagraph.number, SourceParagraph.text
                )
                .outerjoin(
                    SourceParagraph,
                    and_(
                        SourceParagraph.source_id == Source.id, SourceParagraph.number.in_(wanted)
                    ),
                )
                .where(Source.id.in_(sources))
            )
            for source_id, count, number, text in session.execute(statement):
                counts[source_id] = count
                if number is not None:
                    texts[(source_id, number)] = text
    registered = {source_id for source_id, number in texts if number == 1}
    return counts, Passages(texts, registered, required)


def registered_lengths(*, session: Session, source_ids: Collection[str]) -> dict[str, int]:
    """How many paragraphs the registered text of each of these sources has (those with one)."""
    lengths: dict[str, int] = {}
    for sources in _chunks(set(source_ids)):
        counted = (
            select(SourceParagraph.source_id, func.count())
            .where(SourceParagraph.source_id.in_(sources))
            .group_by(SourceParagraph.source_id)
        )
        lengths.update((source_id, count) for source_id, count in session.execute(counted))
    return lengths


def passages_for_seeding(*, session: Session, cited: set[tuple[str, int]]) -> Passages:
    """The registered text a seed's quotes are checked against: a source with none passes."""
    return cited_text(session=session, cited=cited, required=False)[1]


def passages_for_import(*, session: Session, cited: set[tuple[str, int]]) -> Passages:
    """The registered text an import's quotes are checked against: a source needs one."""
    return cited_text(session=session, cited=cited, required=True)[1]


def _source_count(session: Session, source_id: str) -> int:
    count = session.scalar(select(Source.paragraph_count).where(Source.id == source_id))
    if count is None:
        raise AppError(404, f"No source with id {source_id!r}.")
    return count


def register_text(*, session: Session, source_id: str, text: str) -> int:
    """Replace a source's paragraphs with those of `text`, once it fits; how many there are."""
    count = _source_count(session, source_id)
    if "\x00" in text:
        raise _refused(source_id, ["the text holds a NUL character"])
    paragraphs = split_paragraphs(text=text)
    if len(paragraphs) != count:
        raise _refused(
            source_id,
            [
                f"the text has {len(paragraphs)} paragraphs (its lines, up to the last that is "
                f"not blank), but the source has {count}: paragraph N is line N of the text"
            ],
        )
    citations = session.execute(
        select(Citation.subject_type, Citation.subject_id, Citation.paragraph, Citation.quote)
        .where(Citation.source_id == source_id)
        .order_by(Citation.subject_type, Citation.subject_id, Citation.id)
    )
    orphans = [
        f"{subject_type} {subject_id!r} quotes {quote!r}, which paragraph {paragraph} of the "
        "text does not hold"
        for subject_type, subject_id, paragraph, quote in citations
        if paragraph > count or quote not in paragraphs[paragraph - 1]
    ]
    if orphans:
        raise _refused(source_id, orphans)
    session.execute(delete(SourceParagraph).where(SourceParagraph.source_id == source_id))
    session.execute(
        insert(SourceParagraph),
        [
            {"source_id": source_id, "number": number, "text": paragraph}
            for number, paragraph in enumerate(paragraphs, start=1)
        ],
    )
    advance_revision(session=session)
    return len(paragraphs)


def _refused(source_id: str, problems: list[str]) -> AppError:
    shown = problems[:PROBLEMS_SHOWN]
    if len(problems) > PROBLEMS_SHOWN:
        shown.append(f"{len(problems) - PROBLEMS_SHOWN} more citations do not fit either")
    return AppError(
        422,
        f"The text of source {source_id!r} was not registered: " + "; ".join(shown),
        errors=[ProblemError(loc=["body"], msg=problem) for problem in shown],
    )


@dataclass(frozen=True)
class CitingRecord:
    """A citation of a paragraph, and the record that makes it."""

    subject_type: str
    subject_id: str
    name: str
    fields: list[str]
    quote: str


def read_paragraph(
    *, session: Session, source_id: str, number: int
) -> tuple[str | None, list[CitingRecord]]:
    """A paragraph's registered text (None when the source has none) and every citation of it,
    with the citing record's name (a figure's label); a 404 for no such source or paragraph."""
    count = _source_count(session, source_id)
    if not 1 <= number <= count:
        raise AppError(404, f"Source {source_id!r} has no paragraph {number}: it has {count}.")
    text = session.scalar(
        select(SourceParagraph.text).where(
            SourceParagraph.source_id == source_id, SourceParagraph.number == number
        )
    )
    citations = session.execute(
        select(Citation.subject_type, Citation.subject_id, Citation.fields, Citation.quote)
        .where(Citation.source_id == source_id, Citation.paragraph == number)
        .order_by(Citation.subject_type, Citation.subject_id, Citation.id)
    ).all()
    wanted: defaultdict[str, set[str]] = defaultdict(set)
    for subject_type, subject_id, _, _ in citations:
        wanted[subject_type].add(subject_id)
    names: dict[tuple[str, str], str] = {}
    for subject_type, ids in wanted.items():
        collection = BY_SUBJECT[subject_type]
        for chunk in _chunks(ids):
            rows = session.execute(
                collection.document_select().where(collection.model.id.in_(chunk))
            )
            # A document's first column is the record's name (a figure's label).
            names.update(((subject_type, row[0]), row[1]) for row in rows)
    return text, [
        CitingRecord(
            subject_type=subject_type,
            subject_id=subject_id,
            name=names.get((subject_type, subject_id), subject_id),
            fields=fields.split(",") if fields else [],
            quote=quote,
        )
        for subject_type, subject_id, fields, quote in citations
    ]
