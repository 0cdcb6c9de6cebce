"""Typed fields and the figures behind them, checked against the database by the writes that can
part them: a record's typed field stated anew, a figure changed or deleted, an import.

A typed field (`Collection.figure_backed`: a project's `investment_cny`, ...) that is not null
must agree with a figure of its record and metric, as the seed rules require
(`app.services.rules.check_figure_backed_fields`); a null one needs none, so that a curator
can create a record, then its figure, then state the field."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.collections.base import Collection
from app.collections.catalog import BY_KEY, BY_SUBJECT
from app.models import Figure
from app.services.rules import FIGURES, backs, figure_backing

LOOKUP_BATCH = 500


@dataclass(frozen=True)
class Unbacked:
    """A typed field that no figure would state."""

    key: str
    """Its collection's key (`projects`)."""
    record_id: str
    field: str
    value: Any


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), LOOKUP_BATCH):
        yield ordered[start : start + LOOKUP_BATCH]


def _typed_names(collection: Collection) -> list[str]:
    """A collection's typed fields and their qualifier fields."""
    backed = collection.figure_backed
    return [*backed, *filter(None, backed.values())]


def unbacked_fields(
    *,
    session: Session,
    records: Mapping[str, Sequence[Any]],
    removed_figures: Iterable[str] = (),
) -> list[Unbacked]:
    """The typed fields no figure would state once `records` (by collection key, in the record
    format) are written and the figures `removed_figures` deleted: those of the records given,
    and of the stored records the figures given or removed describe (or described)."""
    given = records.get(FIGURES, ())
    states: dict[tuple[str, str], dict[str, Any]] = {}
    for key, collection in BY_KEY.items():
        names = _typed_names(collection)
        for record in records.get(key, ()) if names else ():
            states[(collection.subject, record.id)] = {
                name: getattr(record, name) for name in names
            }
    # The records the figures given or removed describe, and described before.
    described: set[tuple[str, str]] = set()
    for figure in given:
        if figure.metric in BY_SUBJECT[figure.subject.type].figure_backed:
            described.add((figure.subject.type, figure.subject.id))
    changing = {figure.id for figure in given} | set(removed_figures)
    for chunk in _chunks(changing):
        stored = select(Figure.subject_type, Figure.subject_id, Figure.metric).where(
            Figure.id.in_(chunk)
        )
        for subject_type, subject_id, metric in session.execute(stored):
            if metric in BY_SUBJECT[subject_type].figure_backed:
                described.add((subject_type, subject_id))
    _read_stored_states(session, described - set(states), states)
    stated = {
        subject: values
        for subject, values in states.items()
        if any(values[name] is not None for name in BY_SUBJECT[subject[0]].figure_backed)
    }
    if not stated:
        return []
    backing = _stored_backing(session, stated, changing)
    for described_by, figures in figure_backing(given).items():
        backing[described_by].extend(figures)
    problems = []
    for (subject_type, subject_id), values in sorted(stated.items()):
        collection = BY_SUBJECT[subject_type]
        for name, qualifier_field in collection.figure_backed.items():
            value = values[name]
            qualifier = values[qualifier_field] if qualifier_field else None
            if value is not None and not backs(
                value, qualifier, backing[(subject_type, subject_id, name)]
            ):
                problems.append(Unbacked(collection.key, subject_id, name, value))
    return problems


def _read_stored_states(
    session: Session, subjects: set[tuple[str, str]], states: dict[tuple[str, str], Any]
) -> None:
    """Add the typed values of these stored records to `states`."""
    by_type: defaultdict[str, set[str]] = defaultdict(set)
    for subject_type, subject_id in subjects:
        by_type[subject_type].add(subject_id)
    for subject_type, ids in by_type.items():
        collection = BY_SUBJECT[subject_type]
        table = collection.table
        columns = [table.c[name] for name in _typed_names(collection)]
        for chunk in _chunks(ids):
            rows = session.execute(select(table.c.id, *columns).where(table.c.id.in_(chunk)))
            for row in rows.mappings():
                values = dict(row)
                states[(subject_type, values.pop("id"))] = values


def _stored_backing(
    session: Session, subjects: Iterable[tuple[str, str]], leaving: set[str]
) -> defaultdict[tuple[str, str, str], list[Any]]:
    """The stored figures of these records' typed metrics, but those in `leaving`."""
    by_type: defaultdict[str, set[str]] = defaultdict(set)
    for subject_type, subject_id in subjects:
        by_type[subject_type].add(subject_id)
    backing: defaultdict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for subject_type, ids in by_type.items():
        metrics = list(BY_SUBJECT[subject_type].figure_backed)
        for chunk in _chunks(ids):
            rows = session.execute(
                select(
                    Figure.id,
                    Figure.subject_id,
                    Figure.metric,
                    Figure.value_normalized,
                    Figure.qualifier,
                ).where(
                    Figure.subject_type == subject_type,
                    Figure.subject_id.in_(chunk),
                    Figure.metric.in_(metrics),
                )
            )
            for figure_id, subject_id, metric, value, qualifier in rows:
                if figure_id not in leaving:
                    backing[(subject_type, subject_id, metric)].append((value, qualifier))
    return backing
