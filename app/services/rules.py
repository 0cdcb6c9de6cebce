"""The rules every record follows, however it is written (seed file, import, API): each
stated fact named by a citation of a known source and paragraph whose quote that paragraph's
registered text holds, references to records that exist, units the normalizer knows, and
typed fields that agree with their figures."""

import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from app.collections.catalog import BY_KEY, BY_SUBJECT, BY_TABLE, CATALOG, REFERENCES, SOURCES
from app.collections.figures import COLLECTION as FIGURE_COLLECTION
from app.collections.figures import FigureSeed
from app.models.base import Cited
from app.models.enums import BaseUnit, Qualifier
from app.records.formats import CitationIdentity, CitationSeed
from app.text import to_traditional
from app.units import normalize

Exists = Callable[[str, str], bool]
"""Whether the collection (a seed file key such as "districts") holds a record with this id."""
Paragraphs = Callable[[str], int | None]
"""How many paragraphs a source has; None for a source not known."""
FIGURES = FIGURE_COLLECTION.key

# Fields that state no fact of the source and so need no citation.
# A source's language and length describe the document itself rather than a stated fact;
# `full_name_from_source` says where a full name comes from, which is no fact of the source;
# a figure's `restates_id` is CityKB's reading that two of its figures state one fact.
UNCITED_FIELDS = {
    "id",
    "citations",
    "name_zh_hant",
    "name_en",
    "description",
    "title_en",
    "language",
    "paragraph_count",
    "full_name_from_source",
    "restates_id",
}


def uncited_fields(values: Mapping[str, Any]) -> set[str]:
    """The fields of a record (as its values) that need no citation: `UNCITED_FIELDS`, and an
    organization's `full_name` where `full_name_from_source` is false (CityKB's expansion, not
    the source's words)."""
    if values.get("full_name_from_source") is False:
        return UNCITED_FIELDS | {"full_name"}
    return UNCITED_FIELDS


def fact_fields(record: BaseModel) -> set[str]:
    uncited = uncited_fields(dict(record))
    return {
        name for name, value in record if name not in uncited and value is not None and value != []
    }


NO_TEXT = (
    "source {0!r} has no registered text to check quotes against; register it with "
    "`citykb sources text {0} FILE` or `PUT /api/v1/sources/{0}/text`"
)


@dataclass(frozen=True)
class Passages:
    """The registered text of the paragraphs a write cites, by (source id, paragraph), and
    which of the cited sources have a registered text at all."""

    texts: Mapping[tuple[str, int], str]
    registered: Collection[str]
    required: bool = True
    """Whether citing a source with no registered text is refused (API writes and imports) or
    passes unchecked (seeding: the API starts on the shipped seed with no setup)."""

    def problem(self, source_id: str, paragraph: int, quote: str) -> tuple[str, str] | None:
        """What is wrong with this quote of this paragraph, as (field, problem); None if it is
        the source's text, or the source has no text to check it against (seeding)."""
        if source_id not in self.registered:
            return ("source_id", NO_TEXT.format(source_id)) if self.required else None
        text = self.texts.get((source_id, paragraph))
        if text is None:
            return "paragraph", f"the registered text of {source_id!r} has no paragraph {paragraph}"
        if quote not in text:
            return "quote", f"not found verbatim in paragraph {paragraph} of {source_id!r}"
        return None


PassagesFor = Callable[[set[tuple[str, int]]], Passages]
"""The registered text of these (source id, paragraph) pairs, read in one go."""


def citations_of(record: Any) -> list[CitationSeed]:
    """A record's citations (a figure has one)."""
    return [record.citation] if isinstance(record, FigureSeed) else list(record.citations)


def cited_paragraphs(
    records: Iterable[Any],
    default_source: str | None = None,
    known: Collection[CitationIdentity] = (),
) -> set[tuple[str, int]]:
    """The (source id, paragraph) pairs the records' citations cite, but for `known` ones."""
    return {
        (source, citation.paragraph)
        for record in records
        for citation in citations_of(record)
        if citation.identity not in known
        and (source := citation.source_id or default_source) is not None
    }


def unsourced_citations(record: BaseModel) -> Iterable[str]:
    """Where a record's citations name no source."""
    if isinstance(record, FigureSeed):
        if record.citation.source_id is None:
            yield "citation.source_id"
        return
    for index, citation in enumerate(getattr(record, "citations", [])):
        if citation.source_id is None:
            yield f"citations[{index}].source_id"


def check_record(
    record: BaseModel,
    model: type[Cited],
    exists: Exists,
    paragraphs: Paragraphs,
    default_source: str | None = None,
    known_citations: Collection[CitationIdentity] = (),
    passages: Passages | None = None,
) -> Iterable[tuple[str, str]]:
    """Each (field, problem) of one record against the rules; references through `exists`,
    cited paragraphs against their source's length and quotes against `passages`, but for
    `known_citations` (checked when they were added)."""
    yield from _check_references(record, model, exists)
    cite = _Citing(exists, paragraphs, default_source, known_citations, passages)
    if isinstance(record, FigureSeed):
        yield from _check_figure(record, exists)
        yield from cite.check([record.citation], set(), "citation")
        return
    citations = record.citations  # type: ignore[attr-defined]
    yield from cite.check(citations, set(type(record).model_fields), "citations")
    cited = {name for citation in citations for name in citation.fields}
    for name in sorted(fact_fields(record) - cited):
        yield name, "no citation names this field"


def named_records(record: BaseModel, model: type[Cited]) -> Iterable[tuple[str, str, str]]:
    """The records a record names by reference or link: (field, collection key, id)."""
    collection = BY_TABLE[model.__table__.name]  # type: ignore[attr-defined]
    for field, target in REFERENCES[collection.key]:
        value = getattr(record, field, None)
        for record_id in value if isinstance(value, list) else [value]:
            if record_id is not None:
                yield field, target, record_id


def _check_references(
    record: BaseModel, model: type[Cited], exists: Exists
) -> Iterable[tuple[str, str]]:
    for field, target, record_id in named_records(record, model):
        if not exists(target, record_id):
            yield field, f"unknown {target} id {record_id!r}"


@dataclass(frozen=True)
class _Citing:
    exists: Exists
    paragraphs: Paragraphs
    default_source: str | None
    known: Collection[CitationIdentity]
    passages: Passages | None

    def check(
        self, citations: list[CitationSeed], field_names: set[str], path: str
    ) -> Iterable[tuple[str, str]]:
        for index, citation in enumerate(citations):
            where = path if path == "citation" else f"{path}[{index}]"
            source = citation.source_id or self.default_source
            if citation.identity in self.known:
                pass  # checked when it was added
            elif citation.source_id is not None and not self.exists(SOURCES, citation.source_id):
                yield f"{where}.source_id", f"unknown {SOURCES} id {citation.source_id!r}"
            elif source is not None:
                count = self.paragraphs(source)
                if count is not None and citation.paragraph > count:
                    yield (
                        f"{where}.paragraph",
                        f"source {source!r} has {count} paragraphs, not {citation.paragraph}",
                    )
                elif count is not None and self.passages is not None:
                    problem = self.passages.problem(source, citation.paragraph, citation.quote)
                    if problem is not None:
                        yield f"{where}.{problem[0]}", problem[1]
            for name in citation.fields:
                if name not in field_names or name in UNCITED_FIELDS:
                    yield f"{where}.fields", f"{name!r} is not a citable field"


def _check_figure(figure: FigureSeed, exists: Exists) -> Iterable[tuple[str, str]]:
    target = BY_SUBJECT.get(figure.subject.type)
    if target is None or not exists(target.key, figure.subject.id):
        yield "subject", f"unknown {figure.subject.type} id {figure.subject.id!r}"
    try:
        normalized_value(figure)
    except ValueError as exc:
        yield "unit", str(exc)
    if (figure.period_start is None) != (figure.period_end is None):
        yield "period_start", "give both period_start and period_end, or neither"
    elif figure.period_start and figure.period_end and figure.period_start > figure.period_end:
        yield "period_start", "after period_end"
    yield from _check_multipliers(figure)
    yield from _check_stated_number(figure)
    if figure.restates_id == figure.id:
        yield "restates_id", "a figure cannot restate itself"


UNIT_MULTIPLIERS = "十百千万亿兆"
"""What a unit may start with to scale its number (万平方米, 亿元, 兆瓦)."""
CARRIED_MULTIPLIERS = "万亿"
"""The multipliers a unit carries, never the number: 超百|亿元 keeps 百 as the number (one
hundred), while 100|亿元 and 2多|万平方米 leave 亿 and 万 to the unit."""


def _check_multipliers(figure: FigureSeed) -> Iterable[tuple[str, str]]:
    """A figure's `value_stated` gives its number in `unit`: where the unit starts with a
    multiplier, the stated number repeats none (2万多 with 万平方米 would read 2万多万平方米)."""
    unit = figure.unit or ""
    if not unit.startswith(tuple(UNIT_MULTIPLIERS)):
        return
    repeated = sorted(set(figure.value_stated) & set(CARRIED_MULTIPLIERS + unit[0]))
    if repeated:
        yield (
            "value_stated",
            f"{figure.value_stated!r} carries the multiplier {''.join(repeated)}, which unit "
            f"{unit!r} already holds: state the number in that unit, without it "
            "(2万多平方米 is value_stated '2多' with unit '万平方米')",
        )


DIGITS = re.compile(r"\d+(?:\.\d+)?")


def _check_stated_number(figure: FigureSeed) -> Iterable[tuple[str, str]]:
    """Where `value_stated` writes its number in digits (`580`, `约700`, `60以上`), the value is
    that number, and the quote states it: a quote is what supports a figure. (A range, `3至6层`,
    has its numbers in the quote; words, `五分之一`, are left to the curator.)"""
    numbers = DIGITS.findall(figure.value_stated)
    if len(numbers) == 1 and float(numbers[0]) != figure.value:
        yield "value", f"{figure.value!r} is not {numbers[0]}, the number value_stated states"
    unstated = [number for number in numbers if number not in figure.citation.quote]
    if unstated:
        yield (
            "citation.quote",
            f"states no {' or '.join(unstated)}, the number value_stated "
            f"{figure.value_stated!r} gives: quote the words that state it",
        )


def normalized_value(figure: FigureSeed) -> tuple[float, BaseUnit]:
    """The figure's value in base units; a figure with no stated unit names its base unit."""
    if figure.unit is None:
        if figure.unit_normalized is None:
            raise ValueError("a figure with no unit must name unit_normalized")
        return figure.value, figure.unit_normalized
    value, base = normalize(figure.value, figure.unit)
    if figure.unit_normalized is not None and figure.unit_normalized != base:
        raise ValueError(f"unit {figure.unit!r} normalizes to {base}, not {figure.unit_normalized}")
    return value, base


def figure_backing(
    figures: Iterable[FigureSeed],
) -> dict[tuple[str, str, str], list[tuple[float, Qualifier]]]:
    """What these figures state: (normalized value, qualifier) by the (subject type, subject
    id, metric) they describe."""
    backing: dict[tuple[str, str, str], list[tuple[float, Qualifier]]] = {}
    for figure in figures:
        try:
            value = normalized_value(figure)[0]
        except ValueError:
            continue  # reported with the figure itself
        described = (figure.subject.type, figure.subject.id, figure.metric)
        backing.setdefault(described, []).append((value, figure.qualifier))
    return backing


def backs(
    value: float, qualifier: Qualifier | None, figures: Iterable[tuple[float, Qualifier]]
) -> bool:
    """Whether one of these figures states a typed field's value (and its qualifier, if it has
    one)."""
    return any(
        math.isclose(figure_value, value, rel_tol=1e-9) and qualifier in (None, figure_qualifier)
        for figure_value, figure_qualifier in figures
    )


def check_figure_backed_fields(records: Mapping[str, Sequence[Any]]) -> Iterable[str]:
    """Where a typed field disagrees with the figures, among `records` by collection key."""
    figures = figure_backing(records.get(FIGURES, ()))
    for key, collection in BY_KEY.items():
        for record in records.get(key, ()):
            for name, qualifier_field in collection.figure_backed.items():
                value = getattr(record, name)
                backing = figures.get((collection.subject, record.id, name), [])
                where = f"{key}[{record.id}].{name}"
                if value is None:
                    if backing:
                        yield f"{where}: null, but a figure with metric {name!r} states it"
                    continue
                qualifier = getattr(record, qualifier_field) if qualifier_field else None
                if not backs(value, qualifier, backing):
                    yield f"{where}: no figure with metric {name!r} agrees with {value!r}"


def record_values(record: BaseModel) -> dict[str, Any]:
    if isinstance(record, FigureSeed):
        value_normalized, unit_normalized = normalized_value(record)
        values = record.model_dump(exclude={"subject", "citation", "unit_normalized"})
        values.update(
            subject_type=record.subject.type,
            subject_id=record.subject.id,
            value_normalized=value_normalized,
            unit_normalized=unit_normalized,
        )
        return values
    links = {links.field for item in CATALOG if (links := item.links) is not None}
    values = record.model_dump(exclude={"citations", *links})
    if "name" in values and values.get("name_zh_hant") is None:
        values["name_zh_hant"] = to_traditional(values["name"])
    return values


def citation_rows(record: Any, default_source_id: str) -> list[tuple[str | None, str, int, str]]:
    citations = citations_of(record)
    return [
        (
            ",".join(citation.fields) or None,
            citation.source_id or default_source_id,
            citation.paragraph,
            citation.quote,
        )
        for citation in citations
    ]
