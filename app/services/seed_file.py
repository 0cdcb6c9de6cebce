"""Seed files: read, parsed and checked whole against the rules, naming every record and field
that breaks one."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, create_model

from app.collections.catalog import SEEDING_ORDER
from app.records.formats import RecordFormat, Reference
from app.services.rules import (
    Exists,
    Paragraphs,
    Passages,
    PassagesFor,
    check_figure_backed_fields,
    check_record,
    cited_paragraphs,
    unsourced_citations,
)


class SeedError(Exception):
    """The seed file breaks a rule; each message names the record and the field."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


_RECORDS: dict[str, Any] = {
    collection.key: (list[collection.record], Field(default_factory=list))  # type: ignore[name-defined]
    for collection in SEEDING_ORDER
}
SeedFile: type[RecordFormat] = create_model(
    "SeedFile",
    __base__=RecordFormat,
    __doc__="A seed file: records by collection, each collection after those it may name.",
    default_source_id=(Reference | None, None),
    **_RECORDS,
)
"""`default_source_id` is the source of every citation that names none."""


@dataclass
class SeedReport:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values())

    def summary(self) -> str:
        if not self.changes:
            return "seed: nothing to change"
        parts = [
            f"{key}: {self.inserted.get(key, 0)} inserted, {self.updated.get(key, 0)} updated"
            for key in sorted(set(self.inserted) | set(self.updated))
        ]
        return "seed: " + "; ".join(parts)


class YamlRefusedError(yaml.MarkedYAMLError):
    """A YAML document uses what a seed does not take: an anchor or an alias, or a key given
    twice in one mapping."""


class PlainYamlLoader(yaml.SafeLoader):
    """The safe loader, refusing anchors and aliases as it meets them: a seed needs neither,
    and nested aliases expand a few hundred bytes into gigabytes ("billion laughs")."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlRefusedError(
                problem="YAML anchors (&) and aliases (*) are not accepted; write each value out",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # The safe loader keeps the last of a key given twice; JSON Lines refuses it, and so
        # does this: which value was meant, no reader can tell.
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise YamlRefusedError(
                        problem=f"the key {key_node.value!r} is given twice in one mapping",
                        problem_mark=key_node.start_mark,
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def read_seed_file(path: Path, passages_for: PassagesFor | None = None) -> Any:
    """Parse and validate a seed file, naming every record and field that breaks a rule."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=PlainYamlLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise SeedError([f"{path}: cannot read the seed file: {exc}"]) from exc
    return validate_seed(raw, passages_for=passages_for)


def validate_seed(
    raw: Any,
    outside: Exists | None = None,
    outside_paragraphs: Paragraphs | None = None,
    passages_for: PassagesFor | None = None,
) -> Any:
    """Validate seed records; a reference may point into the file or, through `outside`,
    to a record the database already holds; quotes are checked against the registered text
    `passages_for` reads, all of it at once."""
    if not isinstance(raw, dict):
        raise SeedError(["(file): the seed file must be a mapping of collections"])
    try:
        seed = SeedFile.model_validate(raw)
    except ValidationError as exc:
        raise SeedError([_describe_error(raw, err) for err in exc.errors()]) from exc
    passages = None
    if passages_for is not None:
        records = (record for item in SEEDING_ORDER for record in getattr(seed, item.key))
        passages = passages_for(cited_paragraphs(records, getattr(seed, "default_source_id", None)))
    problems = list(_check_rules(seed, outside, outside_paragraphs, passages))
    if problems:
        raise SeedError(problems)
    return seed


def _describe_error(raw: dict[str, Any], error: Any) -> str:
    loc = list(error["loc"])
    where = str(loc[0]) if loc else "(file)"
    if len(loc) >= 2 and isinstance(loc[1], int):
        records = raw.get(where) or []
        record = records[loc[1]] if loc[1] < len(records) else {}
        record_id = record.get("id") if isinstance(record, dict) else None
        where = f"{where}[{record_id or '#' + str(loc[1])}]"
        loc = loc[2:]
    else:
        loc = loc[1:]
    path = ".".join(str(part) for part in loc)
    return f"{where}{'.' + path if path else ''}: {error['msg']}"


def _check_rules(
    seed: Any,
    outside: Exists | None = None,
    outside_paragraphs: Paragraphs | None = None,
    passages: Passages | None = None,
) -> Iterable[str]:
    ids: dict[str, set[str]] = {
        collection.key: {record.id for record in getattr(seed, collection.key)}
        for collection in SEEDING_ORDER
    }

    def exists(collection: str, record_id: str) -> bool:
        return record_id in ids[collection] or (
            outside is not None and outside(collection, record_id)
        )

    default_source = getattr(seed, "default_source_id", None)
    lengths: dict[str, int] = {source.id: source.paragraph_count for source in seed.sources}

    def paragraphs(source_id: str) -> int | None:
        if source_id in lengths:
            return lengths[source_id]
        return outside_paragraphs(source_id) if outside_paragraphs is not None else None

    if default_source is not None and not exists("sources", default_source):
        yield f"default_source_id: unknown sources id {default_source!r}"

    for collection in SEEDING_ORDER:
        key, model = collection.key, collection.model
        seen: set[str] = set()
        for record in getattr(seed, key):
            where = f"{key}[{record.id}]"
            if record.id in seen:
                yield f"{where}.id: duplicate id"
            seen.add(record.id)
            for path, problem in check_record(
                record, model, exists, paragraphs, default_source, passages=passages
            ):
                yield f"{where}.{path}: {problem}"
            if default_source is None:
                for path in unsourced_citations(record):
                    yield f"{where}.{path}: name the cited source, or give a default_source_id"
    yield from check_figure_backed_fields(
        {collection.key: getattr(seed, collection.key) for collection in SEEDING_ORDER}
    )
