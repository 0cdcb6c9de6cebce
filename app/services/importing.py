"""Bulk import: a seed file (YAML or JSON) or JSON Lines, all or nothing in one transaction,
each changed record kept in the history."""

import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import yaml
from sqlalchemy.orm import Session

from app.models import Action
from app.seeding import SEED_MODELS, SeedError, SeedReport, apply_seed, validate_seed
from app.services.writes import MODELS, WriteSpec, record_change, source_paragraphs

Render = Callable[[Any], dict[str, Any]]
RECORD = re.compile(r"^([a-z_]+\[[^\]]+\])")


class ImportProblemError(SeedError):
    """The import breaks a rule; each problem names its line and field."""


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
        if key not in SEED_MODELS:
            problems.append(f"line {number}: unknown collection {key!r}")
            continue
        records = raw.setdefault(key, [])
        record = entry["record"]
        record_id = record.get("id") if isinstance(record, dict) else None
        lines[f"{key}[#{len(records)}]"] = number
        if record_id is not None:
            lines[f"{key}[{record_id}]"] = number
        records.append(record)
    return raw, lines, problems


def _document(text: str) -> tuple[Any, dict[str, int]]:
    # Parse once: the node tree gives each record's line, and the same tree its values.
    loader = yaml.SafeLoader(text)
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
                            if field_node.value == "id":
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

    def __init__(
        self,
        session: Session,
        actor: str,
        renders: Mapping[str, Render],
        progress: Callable[[], None],
    ) -> None:
        self.session, self.actor, self.renders, self.progress = session, actor, renders, progress

    def snapshot(self, key: str, record: Any) -> Any:
        return self.renders[key](record)

    def changed(self, key: str, record: Any, before: Any) -> None:
        action = Action.create if before is None else Action.update
        after = self.renders[key](record)
        record_change(self.session, WriteSpec(key), record.id, action, self.actor, before, after)

    def advance(self) -> None:
        self.progress()


def import_records(
    *,
    session: Session,
    text: str,
    actor: str,
    renders: Mapping[str, Render],
    dry_run: bool = False,
    on_validated: Callable[[int], None] = lambda _: None,
    progress: Callable[[], None] = lambda: None,
) -> SeedReport:
    """Validate every record (against the file and the database), then write them all in the
    session's transaction; a dry run writes nothing and reports what would change."""
    raw, lines = parse(text)

    def outside(collection: str, record_id: str) -> bool:
        return session.get(MODELS[collection], record_id) is not None

    try:
        seed = validate_seed(raw, outside, source_paragraphs(session))
    except SeedError as error:
        raise ImportProblemError(_with_lines(error.problems, lines)) from None
    on_validated(sum(len(getattr(seed, key)) for key in SEED_MODELS))
    savepoint = session.begin_nested() if dry_run else None
    report = apply_seed(session=session, seed=seed, log=_History(session, actor, renders, progress))
    if savepoint is not None:
        savepoint.rollback()
    return report
