"""Bulk import: a seed file (YAML or JSON) or JSON Lines, all or nothing in one transaction,
each changed record kept in the history. Its quotes are checked against the registered text
of their sources (a source with none cannot be cited yet), and its typed fields against the
figures it and the database hold, together."""

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
import yaml
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.collections.catalog import BY_KEY, BY_SUBJECT, REFERENCES, SOURCES
from app.models import Action, RecordHistory, Source
from app.models.base import SLUG_LENGTH
from app.services.backing import unbacked_fields
from app.services.seed_file import (
    PlainYamlLoader,
    SeedError,
    SeedReport,
    YamlRefusedError,
    validate_seed,
)
from app.services.seeding import Change, apply_seed
from app.services.source_texts import passages_for_import

RECORD = re.compile(r"^([a-z_]+\[[^\]]+\])")
PROBLEM_LENGTH = 300
"""A problem may quote the input (an id, a collection's name, a YAML line): no more than this."""
PROBLEMS_SHOWN = 100
LOOKUP_BATCH = 500


def bounded(problems: Sequence[str]) -> list[str]:
    """The first problems, each cut to a few hundred characters, and how many more there are."""
    shown = [
        problem if len(problem) <= PROBLEM_LENGTH else problem[: PROBLEM_LENGTH - 1] + "…"
        for problem in problems[:PROBLEMS_SHOWN]
    ]
    if len(problems) > PROBLEMS_SHOWN:
        shown.append(f"(file): {len(problems) - PROBLEMS_SHOWN} more problems not shown")
    return shown


class ImportProblemError(SeedError):
    """The import breaks a rule; each problem names its line and field, in few words."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(bounded(problems))


def _jsonl(text: str) -> tuple[dict[str, Any], dict[str, int], list[str]]:
    raw: dict[str, Any] = {}
    lines: dict[str, int] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            problems.append(f"line {number}: not a JSON object")
            continue
        if isinstance(entry, dict) and set(entry) == {"default_source_id"}:
            raw["default_source_id"] = entry["default_source_id"]
            continue
        if not isinstance(entry, dict) or set(entry) != {"collection", "record"}:
            problems.append(f'line {number}: expected {{"collection": ..., "record": {{...}}}}')
            continue
        key = entry["collection"]
        if not isinstance(key, str) or key not in BY_KEY:
            problems.append(f"line {number}: unknown collection {key!r}")
            continue
        records = raw.setdefault(key, [])
        record = entry["record"]
        record_id = record.get("id") if isinstance(record, dict) else None
        lines[f"{key}[#{len(records)}]"] = number
        if isinstance(record_id, str):
            lines[f"{key}[{record_id}]"] = number
        records.append(record)
    return raw, lines, problems


def _document(text: str) -> tuple[Any, dict[str, int]]:
    # Parse once: the node tree gives each record's line, and the same tree its values.
    loader = PlainYamlLoader(text)
    try:
        root = loader.get_single_node()
        raw = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            if isinstance(value_node, yaml.SequenceNode):
                for index, item in enumerate(value_node.value):
                    lines[f"{key_node.value}[#{index}]"] = item.start_mark.line + 1
                    if isinstance(item, yaml.MappingNode):
                        for field_node, field_value in item.value:
                            # An id that is no scalar is refused anyway; its node is not text.
                            if field_node.value == "id" and isinstance(
                                field_value, yaml.ScalarNode
                            ):
                                lines[f"{key_node.value}[{field_value.value}]"] = (
                                    item.start_mark.line + 1
                                )
    return raw, lines


def parse(text: str) -> tuple[Any, dict[str, int]]:
    """The records of an import and the line each starts on: JSON Lines when its first line
    is a whole JSON object, else a seed document (YAML, or JSON)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        head = orjson.loads(first)
    except orjson.JSONDecodeError:
        head = None
    is_jsonl = isinstance(head, dict) and set(head) in (
        {"collection", "record"},
        {"default_source_id"},
    )
    if is_jsonl:
        raw, lines, problems = _jsonl(text)
        if problems:
            raise ImportProblemError(problems)
        return raw, lines
    try:
        return _document(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}: (file)" if mark is not None else "(file)"
        what = "" if isinstance(error, YamlRefusedError) else "not YAML or JSON: "
        raise ImportProblemError([f"{where}: {what}{error.problem}"]) from None
    except yaml.YAMLError as error:
        raise ImportProblemError([f"(file): not YAML or JSON: {error}"]) from None


def _with_lines(problems: list[str], lines: Mapping[str, int]) -> list[str]:
    located = []
    for problem in problems:
        match = RECORD.match(problem)
        line = lines.get(match.group(1)) if match else None
        located.append(f"line {line}: {problem}" if line else problem)
    return located


class _History:
    """Keeps each changed record in the history, attributed to the importer."""

    def __init__(self, session: Session, actor: str, progress: Callable[[], None]) -> None:
        self.session, self.actor, self.progress = session, actor, progress

    def changed(self, key: str, changes: Sequence[Change]) -> None:
        at = dt.datetime.now(dt.UTC)
        subject = BY_KEY[key].subject
        self.session.execute(
            insert(RecordHistory),
            [
                {
                    "subject_type": subject,
                    "subject_id": change.record_id,
                    "action": Action.create if change.before is None else Action.update,
                    "actor": self.actor,
                    "at": at,
                    "before": change.before,
                    "after": change.after,
                }
                for change in changes
            ],
        )

    def advance(self, records: int) -> None:
        for _ in range(records):
            self.progress()


def _references(raw: Any) -> dict[str, set[str]]:
    """The ids a file's records may refer to, by collection, read from the records as given
    (validation comes later: anything odd is skipped here, and refused there)."""
    found: dict[str, set[str]] = {collection: set() for collection in BY_KEY}

    def note(collection: str | None, value: Any) -> None:
        for item in value if isinstance(value, list) else [value]:
            # A longer id, or one with a NUL (which PostgreSQL cannot even compare), is refused
            # by validation; it is looked up by itself if validation ever asks.
            if (
                collection
                and isinstance(item, str)
                and len(item) <= SLUG_LENGTH
                and "\x00" not in item
            ):
                found[collection].add(item)

    if not isinstance(raw, dict):
        return found
    note("sources", raw.get("default_source_id"))
    for key, records in raw.items():
        if key not in REFERENCES or not isinstance(records, list):
            continue
        for record in records:
            if not isinstance(record, dict):
                continue
            for name, collection in REFERENCES[key]:
                note(collection, record.get(name))
            subject = record.get("subject")
            if isinstance(subject, dict) and isinstance(subject.get("type"), str):
                described = BY_SUBJECT.get(subject["type"])
                note(None if described is None else described.key, subject.get("id"))
            citations = record.get("citations", [record.get("citation")])
            for citation in citations if isinstance(citations, list) else []:
                if isinstance(citation, dict):
                    note(SOURCES, citation.get("source_id"))
    return found


class _Stored:
    """Which of the records a file refers to the database holds, and the length of each
    source: read up front, a few queries for the whole file, not one per reference."""

    def __init__(self, session: Session, raw: Any) -> None:
        self.session = session
        self.known: dict[str, dict[str, bool]] = {collection: {} for collection in BY_KEY}
        self.lengths: dict[str, int] = {}
        for collection, ids in _references(raw).items():
            model, wanted = BY_KEY[collection].model, sorted(ids)
            for start in range(0, len(wanted), LOOKUP_BATCH):
                chunk = wanted[start : start + LOOKUP_BATCH]
                held = set(session.scalars(select(model.id).where(model.id.in_(chunk))))
                self.known[collection].update((record_id, record_id in held) for record_id in chunk)
                if model is Source:
                    lengths = select(Source.id, Source.paragraph_count).where(Source.id.in_(held))
                    self.lengths.update(
                        (row.id, row.paragraph_count) for row in session.execute(lengths)
                    )

    def exists(self, collection: str, record_id: str) -> bool:
        known = self.known[collection]
        if record_id not in known:
            model = BY_KEY[collection].model
            held = self.session.scalar(select(model.id).where(model.id == record_id))
            known[record_id] = held is not None
        return known[record_id]

    def paragraphs(self, source_id: str) -> int | None:
        if source_id not in self.lengths and self.exists("sources", source_id):
            self.lengths[source_id] = self.session.scalars(
                select(Source.paragraph_count).where(Source.id == source_id)
            ).one()
        return self.lengths.get(source_id)


def import_records(
    *,
    session: Session,
    text: str,
    actor: str,
    dry_run: bool = False,
    on_validated: Callable[[int], None] = lambda _: None,
    progress: Callable[[], None] = lambda: None,
) -> SeedReport:
    """Validate every record (against the file and the database), then write them all in the
    session's transaction; a dry run only reads, and reports what would change."""
    raw, lines = parse(text)
    stored = _Stored(session, raw)
    try:
        seed = validate_seed(
            raw,
            stored.exists,
            stored.paragraphs,
            lambda cited: passages_for_import(session=session, cited=cited),
        )
    except SeedError as error:
        raise ImportProblemError(_with_lines(error.problems, lines)) from None
    records = {key: getattr(seed, key) for key in BY_KEY}
    unbacked = unbacked_fields(session=session, records=records)
    if unbacked:
        problems = [
            f"{item.key}[{item.record_id}].{item.field}: no figure with metric {item.field!r} "
            f"agrees with {item.value!r}, among the import's figures and those stored"
            for item in unbacked
        ]
        raise ImportProblemError(_with_lines(problems, lines))
    on_validated(sum(len(getattr(seed, key)) for key in BY_KEY))
    try:
        return apply_seed(
            session=session, seed=seed, log=_History(session, actor, progress), dry_run=dry_run
        )
    except SeedError as error:  # a parent cycle, or a source moved off its registered text
        raise ImportProblemError(_with_lines(error.problems, lines)) from None
