"""Coverage of a source: paragraph by paragraph, what cites it, every number in its text and
what holds it, and whether the entities a ledger enumerates are records that cite it.

The ledger (`seed/*.ledger.yaml`) is an enumeration of the source made apart from the seed: per
paragraph, the entities it names, with the record that holds each, and its numbers (each a
token of `NUMBER`, by its occurrence), each held by a figure or a record, or waived with a
reason. A number is held when a citation in its paragraph quotes it: a figure's, or a record's
whose cited fields hold the number (2016 in `settled_year`, LY9 in a project's `name`). An
entity is held when its record holds the name (in its name or a cited field), cites the
paragraph (or a record citing it names the entity's record in a cited field: 常州 through a
`district_id`), and is on the first page of a search for the name. The text is the source's
registered one (`source_paragraphs`). Services never commit."""

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.collections.catalog import BY_KEY, BY_SUBJECT, DOCUMENTED, REFERENCES
from app.models import Citation, Source, SourceParagraph
from app.projections.rendering import record_rows
from app.services.rules import FIGURES
from app.services.search import search_all
from app.services.seed_file import PlainYamlLoader
from app.services.source_texts import register_text, split_paragraphs

NUMERALS = "零一二两三四五六七八九十百千万亿"
MULTIPLIERS = "万亿"
NUMBER = re.compile(
    rf"(?P<fraction>[{NUMERALS}]+分之[{NUMERALS}]+)"
    rf"|(?P<arabic>[A-Za-z]*\d+(?:\.\d+)?)(?P<multiplier>[{MULTIPLIERS}]*)"
    rf"|(?P<chinese>[{NUMERALS}]+)"
)
"""A number in a text: a fraction (五分之一); Arabic digits with their decimals, and any letters
that prefix them (LY9, an identifier, stays whole); or a run of Chinese numerals. A trailing 万
or 亿 is the start of the unit (100|亿元, 超百|亿元), as figures state units; a run that is all
multipliers (万亿) is the token itself."""
UNIT_WORDS = (
    *("元", "平方米", "兆瓦", "千瓦时", "千瓦", "度", "吨", "公里", "米", "亩", "%", "倍"),
    *("个", "家", "强", "年度", "年", "月", "日", "层", "次", "号", "条", "场", "企", "栋"),
    *("批", "束"),
)
"""Units, longest first where one starts another: what a number's unit is read as, after its
multiplier (万, 亿) and a 多 or 余 ("more than")."""
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
"""A date as a read schema renders it."""
SEARCH_PAGE = 20
"""An entity's record must be on the first page (the API's default) of a search for its name."""

EntityKind = Literal[
    "person",
    "organization",
    "project",
    "site",
    "venue",
    "recognition",
    "event",
    "programme",
    "goal",
    "scenario",
    "district",
    "place",
]
RECORD = r"^[a-z_]+/[a-z0-9][a-z0-9-]*$"


class LedgerError(Exception):
    """The ledger cannot be read; each message says where."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LedgerEntity(_Strict):
    kind: EntityKind
    name: str = Field(min_length=1)
    """As the article writes it."""
    record: str = Field(pattern=RECORD)
    """`collection_key/id` of the record that holds it."""
    waive: str | None = Field(None, min_length=1)
    """Why the record need not cite this paragraph (a mere re-mention)."""


class LedgerNumber(_Strict):
    token: str = Field(min_length=1)
    occurrence: int = Field(1, ge=1)
    """Which of the token's matches in the paragraph, from 1."""
    held_by: str | None = Field(None, pattern=RECORD)
    why: str | None = Field(None, min_length=1)
    """Why a record's field, not a figure, holds it: a date, a year, a numeral in a name."""
    waive: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_of(self) -> "LedgerNumber":
        if (self.held_by is None) == (self.waive is None):
            raise ValueError("give either held_by or waive")
        by_figure = self.held_by is not None and self.held_by.startswith(f"{FIGURES}/")
        if self.held_by is not None and not by_figure and self.why is None:
            raise ValueError("a number a record holds, not a figure, needs `why`")
        if self.why is not None and (self.held_by is None or by_figure):
            raise ValueError("`why` is for a number a record, not a figure, holds")
        return self


class LedgerParagraph(_Strict):
    paragraph: int = Field(ge=1)
    entities: list[LedgerEntity] = Field(default_factory=list)
    numbers: list[LedgerNumber] = Field(default_factory=list)


class TermWaiver(_Strict):
    term: str = Field(min_length=1)
    """A word whose numerals are never quantities, wherever it occurs (零碳)."""
    reason: str = Field(min_length=1)


class ParagraphWaiver(_Strict):
    paragraph: int = Field(ge=1)
    reason: str = Field(min_length=1)


class Unrecorded(_Strict):
    """Something the article names that is held in a field rather than as a record."""

    paragraph: int = Field(ge=1)
    kind: EntityKind
    name: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class Ledger(_Strict):
    source: str
    term_waivers: list[TermWaiver] = Field(default_factory=list)
    paragraph_waivers: list[ParagraphWaiver] = Field(default_factory=list)
    paragraphs: list[LedgerParagraph] = Field(default_factory=list)
    unrecorded: list[Unrecorded] = Field(default_factory=list)
    """What the article names that is no record of its own, with the reason."""


@dataclass(frozen=True)
class Token:
    """One number in a paragraph's text."""

    text: str
    start: int
    end: int
    unit: str
    occurrence: int

    @property
    def label(self) -> str:
        return self.text if self.occurrence == 1 else f"{self.text}#{self.occurrence}"


@dataclass(frozen=True)
class _Cite:
    subject: str
    record_id: str
    fields: tuple[str, ...]
    quote: str

    @property
    def ref(self) -> str:
        return f"{BY_SUBJECT[self.subject].key}/{self.record_id}"


@dataclass
class NumberLine:
    token: Token
    holders: list[str] = field(default_factory=list)
    waiver: str | None = None
    why: str | None = None
    """Why a record's field, not a figure, holds it."""
    from_ledger: bool = False

    @property
    def status(self) -> str:
        if any(holder.startswith(f"{FIGURES}/") for holder in self.holders):
            return "held"
        if self.holders and self.why is not None:
            return "in a record"
        return "waived" if self.waiver else "unheld"


@dataclass
class ParagraphReport:
    number: int
    records: list[tuple[str, list[str]]] = field(default_factory=list)
    """`collection/id` of each record citing it, with the fields it cites."""
    numbers: list[NumberLine] = field(default_factory=list)
    entities: list[tuple[LedgerEntity, str]] = field(default_factory=list)
    """Each ledger entity, with how the record is tied to the paragraph."""
    waiver: str | None = None


@dataclass
class CoverageReport:
    source_id: str
    paragraphs: list[ParagraphReport] = field(default_factory=list)
    unrecorded: list[Unrecorded] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many numbers are held, waived or unheld."""
        return sum(line.status == status for p in self.paragraphs for line in p.numbers)

    def records(self) -> int:
        """How many records cite the source."""
        return len({ref for p in self.paragraphs for ref, _ in p.records})

    def summary(self) -> str:
        """One line: paragraphs, records, numbers, entities, problems."""
        waived = sum(p.waiver is not None for p in self.paragraphs)
        entities = sum(len(p.entities) for p in self.paragraphs)
        return (
            f"coverage of {self.source_id}: {len(self.paragraphs)} paragraphs ({waived} waived), "
            f"{self.records()} records; numbers: {self.count('held')} held by figures, "
            f"{self.count('in a record')} in a record's field, "
            f"{self.count('waived')} waived, {self.count('unheld')} unheld; "
            f"{entities} entities, {len(self.unrecorded)} named but no record; "
            f"{len(self.problems)} problems"
        )

    def lines(self) -> Iterator[str]:
        """The report, paragraph by paragraph, then what is named but no record, the problems
        and the summary."""
        yield from self.notes
        for paragraph in self.paragraphs:
            head = f"¶{paragraph.number}"
            yield head + (f"  waived: {paragraph.waiver}" if paragraph.waiver else "")
            for ref, fields in paragraph.records:
                yield f"    record  {ref} [{', '.join(fields)}]"
            for entity, tie in paragraph.entities:
                yield f"    entity  {entity.kind} {entity.name} → {entity.record} ({tie})"
            for line in paragraph.numbers:
                token = f"{line.token.label}{' ' + line.token.unit if line.token.unit else ''}"
                if line.holders:
                    what = "held by " + ", ".join(line.holders)
                    what += f" ({line.why})" if line.why else ""
                elif line.waiver:
                    what = f"waived: {line.waiver}"
                else:
                    what = "UNHELD"
                yield f"    number  {token}: {what}"
        for item in self.unrecorded:
            yield f"no record: ¶{item.paragraph} {item.kind} {item.name} ({item.reason})"
        for problem in self.problems:
            yield f"PROBLEM {problem}"
        yield self.summary()


def number_tokens(*, text: str) -> list[Token]:
    """Every number in a text (`NUMBER`), with its unit and its occurrence among equal tokens."""
    tokens: list[Token] = []
    seen: defaultdict[str, int] = defaultdict(int)
    for match in NUMBER.finditer(text):
        start = match.start()
        if match["arabic"]:
            end = match.end("arabic")
        elif match["chinese"] and match["chinese"].rstrip(MULTIPLIERS):
            end = start + len(match["chinese"].rstrip(MULTIPLIERS))
        else:
            end = match.end()
        token = text[start:end]
        seen[token] += 1
        unit = "" if match["arabic"] and not token[0].isdigit() else _unit(text[end:])
        tokens.append(Token(token, start, end, unit, seen[token]))
    return tokens


def _unit(after: str) -> str:
    multiplier = after[: len(after) - len(after.lstrip(MULTIPLIERS))]
    rest = after[len(multiplier) :].lstrip("多余")
    unit = next((word for word in UNIT_WORDS if rest.startswith(word)), "")
    return multiplier + unit


def load_ledger(*, path: Path) -> Ledger:
    """Read and validate a ledger file; LedgerError names what is wrong and where."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=PlainYamlLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise LedgerError([f"{path}: cannot read the ledger: {exc}"]) from exc
    try:
        return Ledger.model_validate(raw)
    except ValidationError as exc:
        raise LedgerError(
            [
                f"{path}: {'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                for error in exc.errors()
            ]
        ) from exc


def registered_paragraphs(*, session: Session, source_id: str) -> list[str]:
    """A source's registered paragraphs, in order; empty when it has none."""
    rows = session.execute(
        select(SourceParagraph.text)
        .where(SourceParagraph.source_id == source_id)
        .order_by(SourceParagraph.number)
    )
    return [text for (text,) in rows]


def _spans(quote: str, text: str) -> Iterator[tuple[int, int]]:
    at = text.find(quote)
    while at >= 0:
        yield at, at + len(quote)
        at = text.find(quote, at + 1)


def _covers(quote: str, text: str, token: Token) -> bool:
    return any(start <= token.start and token.end <= end for start, end in _spans(quote, text))


def _holds(value: Any, token: str) -> bool:
    """Whether a field's value states the token: a text by containing it, a number by equal
    digits, a date by its year, month or day, a list by any item."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, list | tuple):
        return any(_holds(item, token) for item in value)
    if isinstance(value, int | float):
        return token in {str(value), f"{value:g}"}
    if isinstance(value, date):
        return token in {str(value.year), str(value.month), str(value.day)}
    text = str(value)
    if ISO_DATE.fullmatch(text):
        return _holds(date.fromisoformat(text), token)
    return token in text


class _Checker:
    def __init__(
        self, session: Session, source_id: str, ledger: Ledger, problems: list[str]
    ) -> None:
        self.session = session
        self.source_id = source_id
        self.ledger = ledger
        self.problems = problems
        self.by_paragraph: defaultdict[int, list[_Cite]] = defaultdict(list)
        for subject, record_id, paragraph, fields, quote in session.execute(
            select(
                Citation.subject_type,
                Citation.subject_id,
                Citation.paragraph,
                Citation.fields,
                Citation.quote,
            )
            .where(Citation.source_id == source_id)
            .order_by(Citation.subject_type, Citation.subject_id, Citation.id)
        ):
            cite = _Cite(subject, record_id, tuple(fields.split(",")) if fields else (), quote)
            self.by_paragraph[paragraph].append(cite)
        self._rows: dict[tuple[str, str], dict[str, Any] | None] = {}
        wanted: defaultdict[str, set[str]] = defaultdict(set)
        for cites in self.by_paragraph.values():
            for cite in cites:
                wanted[BY_SUBJECT[cite.subject].key].add(cite.record_id)
        for key, ids in wanted.items():
            self._load(key, ids)

    def _load(self, key: str, ids: Iterable[str]) -> None:
        ids = sorted(ids)
        rows = record_rows(self.session.connection(), BY_KEY[key], ids)
        found = {row["id"]: row for row in rows}
        for record_id in ids:
            self._rows[(key, record_id)] = found.get(record_id)

    def row(self, ref: str) -> dict[str, Any] | None:
        """The record `collection/id` as the API reads it; None if there is none."""
        key, _, record_id = ref.partition("/")
        if key not in BY_KEY:
            return None
        if (key, record_id) not in self._rows:
            self._load(key, [record_id])
        return self._rows[(key, record_id)]

    def holders(self, number: int, text: str, token: Token) -> list[str]:
        """The figures and records whose citations in this paragraph hold the token."""
        found: list[str] = []
        for cite in self.by_paragraph.get(number, []):
            if cite.ref in found or not _covers(cite.quote, text, token):
                continue
            if cite.subject == "figure" or self._cited_value_holds(cite, token):
                found.append(cite.ref)
        return found

    def _cited_value_holds(self, cite: _Cite, token: Token) -> bool:
        row = self.row(cite.ref)
        return row is not None and any(_holds(row.get(name), token.text) for name in cite.fields)

    def check_holder(self, number: int, text: str, token: Token, ref: str) -> str | None:
        """What is wrong with the ledger's holder of a token; None if it holds it."""
        if self.row(ref) is None:
            return f"held_by {ref}: no such record"
        cites = [c for c in self.by_paragraph.get(number, []) if c.ref == ref]
        if not cites:
            return f"held_by {ref}: it does not cite paragraph {number}"
        covering = [c for c in cites if _covers(c.quote, text, token)]
        if not covering:
            return f"held_by {ref}: none of its quotes in paragraph {number} covers the token"
        if ref.startswith("figures/") or any(self._cited_value_holds(c, token) for c in covering):
            return None
        return f"held_by {ref}: its quote covers the token, but no field it cites holds it"

    def tie(self, number: int, entity: LedgerEntity) -> str | None:
        """How the entity's record is tied to the paragraph: it cites it, or a record citing it
        names the entity's record in a cited field; None if neither."""
        cites = self.by_paragraph.get(number, [])
        if any(cite.ref == entity.record for cite in cites):
            return "cites it"
        key, _, record_id = entity.record.partition("/")
        for cite in cites:
            row = self.row(cite.ref)
            if row is None:
                continue
            for name, target in REFERENCES[BY_SUBJECT[cite.subject].key]:
                value = row.get(name)
                named = value if isinstance(value, list) else [value]
                if target == key and name in cite.fields and record_id in named:
                    return f"through {cite.ref}.{name}"
        return None

    def holds_name(self, ref: str, name: str) -> bool:
        """Whether the record's name, or a field its citations name, holds the entity's name
        (or its name is part of the entity's: 湖塘科技产业园 of 湖塘科技产业园项目)."""
        row = self.row(ref)
        if row is None:
            return False
        own = str(row.get("name") or "")
        if own and own in name:
            return True
        cited = {"name"} | {
            cited_field
            for cite in row["citations"]
            for cited_field in (cite["fields"] or "").split(",")
        }
        values = [row.get(cited_field) for cited_field in sorted(cited)]
        texts = [v for value in values for v in (value if isinstance(value, list) else [value])]
        return any(isinstance(text, str) and name in text for text in texts)

    def search(self, name: str) -> list[str]:
        """`collection/id` of the records on the first page of a search for the name, as
        `/api/v1/search` answers it; those named exactly so first."""
        found = search_all(
            session=self.session,
            q=name,
            subjects=[item.subject for item in DOCUMENTED],
            limit=SEARCH_PAGE,
            offset=0,
        )
        refs = [(hit.name != name, f"{BY_SUBJECT[hit.subject].key}/{hit.id}") for hit in found.hits]
        return [ref for _, ref in sorted(refs, key=lambda pair: pair[0])]

    def exact_hit(self, name: str) -> str | None:
        """A record named exactly so, if a search for the name finds one."""
        for ref in self.search(name):
            row = self.row(ref)
            if row is not None and row.get("name") == name:
                return ref
        return None


def check_source(
    *, session: Session, source_id: str, ledger_path: Path, text: str | None = None
) -> CoverageReport:
    """Check a source against the ledger at `ledger_path`; `text` is registered first when the
    source has none (uncommitted: roll back to use it for this run only)."""
    ledger = load_ledger(path=ledger_path)
    notes = [f"ledger: {ledger_path}"]
    if text is not None:
        registered = registered_paragraphs(session=session, source_id=source_id)
        if not registered:
            register_text(session=session, source_id=source_id, text=text)
            notes.append("text: the given file (the database has none), for this run only")
        elif registered != split_paragraphs(text=text):
            notes.append("text: the registered one, which differs from the given file")
        else:
            notes.append("text: the registered one, the same as the given file")
    report = check_coverage(session=session, source_id=source_id, ledger=ledger)
    report.notes[:0] = notes
    return report


def check_coverage(*, session: Session, source_id: str, ledger: Ledger) -> CoverageReport:
    """Check a source's registered text against the records citing it and the ledger."""
    report = CoverageReport(source_id=source_id, unrecorded=list(ledger.unrecorded))
    problems = report.problems
    count = session.scalar(select(Source.paragraph_count).where(Source.id == source_id))
    if count is None:
        problems.append(f"no source {source_id!r}")
        return report
    if ledger.source != source_id:
        problems.append(f"the ledger is of source {ledger.source!r}, not {source_id!r}")
    texts = registered_paragraphs(session=session, source_id=source_id)
    if not texts:
        problems.append(
            f"source {source_id!r} has no registered text: register it "
            f"(`citykb sources text {source_id} FILE`), or give one for this run (--text FILE)"
        )
        return report
    if len(texts) != count:
        problems.append(f"the text has {len(texts)} paragraphs; the source says {count}")
    checker = _Checker(session, source_id, ledger, problems)
    entries: dict[int, LedgerParagraph] = {}
    for entry in ledger.paragraphs:
        if entry.paragraph in entries:
            problems.append(f"¶{entry.paragraph}: listed twice in the ledger")
        entries[entry.paragraph] = entry
    waivers = {waiver.paragraph: waiver.reason for waiver in ledger.paragraph_waivers}
    for number in sorted(set(entries) | set(waivers)):
        if number > len(texts):
            problems.append(f"¶{number}: the ledger names it, but the text has {len(texts)}")
    for number, text in enumerate(texts, start=1):
        report.paragraphs.append(
            _paragraph(
                checker,
                number,
                text,
                entries.get(number, LedgerParagraph(paragraph=number)),
                waivers.get(number),
            )
        )
    for number, cites in sorted(checker.by_paragraph.items()):
        for cite in cites:
            if number > len(texts) or cite.quote not in texts[number - 1]:
                problems.append(f"¶{number}: {cite.ref} quotes {cite.quote!r}, not in it")
    for entity in ledger.unrecorded:
        held = checker.exact_hit(entity.name)
        if held is not None:
            problems.append(
                f"¶{entity.paragraph}: {entity.name} is listed as no record, but {held} holds it"
            )
    return report


def _paragraph(
    checker: _Checker, number: int, text: str, entry: LedgerParagraph, waiver: str | None
) -> ParagraphReport:
    problems = checker.problems
    report = ParagraphReport(number=number, waiver=waiver)
    fields: defaultdict[str, list[str]] = defaultdict(list)
    for cite in checker.by_paragraph.get(number, []):
        fields[cite.ref] += [name for name in cite.fields if name not in fields[cite.ref]]
    report.records = list(fields.items())
    if not report.records and waiver is None:
        problems.append(f"¶{number}: no record cites it, and the ledger does not waive it")
    if report.records and waiver is not None:
        problems.append(
            f"¶{number}: waived, but {len(report.records)} records cite it "
            f"({report.records[0][0]}, ...): drop the waiver"
        )

    for entity in entry.entities:
        where = f"¶{number} {entity.kind} {entity.name}"
        if entity.name not in text:
            problems.append(f"{where}: the paragraph does not write this name")
        if checker.row(entity.record) is None:
            problems.append(f"{where}: its record {entity.record} does not exist")
            report.entities.append((entity, "no record"))
            continue
        if not checker.holds_name(entity.record, entity.name):
            problems.append(f"{where}: {entity.record} holds no such name in its cited fields")
        tie = checker.tie(number, entity)
        if tie is None and entity.waive is None:
            problems.append(f"{where}: {entity.record} does not cite paragraph {number}")
        report.entities.append((entity, tie or f"waived: {entity.waive}"))
        if entity.record not in checker.search(entity.name):
            problems.append(f"{where}: a search for the name does not find {entity.record}")

    tokens = number_tokens(text=text)
    by_key = {(token.text, token.occurrence): token for token in tokens}
    listed: dict[tuple[str, int], LedgerNumber] = {}
    for listed_number in entry.numbers:
        key = (listed_number.token, listed_number.occurrence)
        where = f"¶{number} {listed_number.token}#{listed_number.occurrence}"
        if key in listed:
            problems.append(f"{where}: listed twice")
        listed[key] = listed_number
        if key not in by_key:
            problems.append(
                f"{where}: no such number in the text "
                f"(it has {', '.join(t.label for t in tokens) or 'none'})"
            )
    for token in tokens:
        line = NumberLine(token=token)
        report.numbers.append(line)
        where = f"¶{number} {token.label}"
        term = _term(checker.ledger, text, token)
        item = listed.get((token.text, token.occurrence))
        if term is not None:
            line.waiver = f"{term.term}: {term.reason}"
            if item is not None:
                problems.append(f"{where}: the term waiver {term.term} covers it; drop the entry")
            continue
        found = checker.holders(number, text, token)
        if item is None:
            line.holders = found
            if not found:
                problems.append(f"{where}: no figure or record holds it, and nothing waives it")
            elif line.status != "held":
                problems.append(
                    f"{where}: only {', '.join(found)} holds it, in a field: list it in the "
                    "ledger with `why` (a date, a year, a numeral in a name) or give it a figure"
                )
            continue
        line.from_ledger = True
        if item.waive is not None:
            line.waiver = item.waive
            if found:
                problems.append(
                    f"{where}: waived, but {', '.join(found)} holds it: say held_by instead"
                )
            continue
        assert item.held_by is not None
        wrong = checker.check_holder(number, text, token, item.held_by)
        if wrong is not None:
            problems.append(f"{where}: {wrong}")
            continue
        line.holders = [item.held_by, *(ref for ref in found if ref != item.held_by)]
        line.why = item.why
    return report


def _term(ledger: Ledger, text: str, token: Token) -> TermWaiver | None:
    for waiver in ledger.term_waivers:
        if _covers(waiver.term, text, token):
            return waiver
    return None
