"""Aggregates and facets, shaped from their statements' rows."""

from collections.abc import Iterable, Mapping
from typing import Any

MEASURES = ("sum", "min", "max", "avg")
"""The aggregates of each numeric field, as `{field}_{measure}`."""


def _number(value: Any) -> Any:
    """Database aggregates as JSON numbers (PostgreSQL returns Decimal for sums and means)."""
    if value is None or isinstance(value, int | float):
        return value
    return float(value)


def aggregate_result(rows: Iterable[Any], group_by: list[str]) -> dict[str, Any]:
    """`/stats`' answer: each group's values, its count and its numeric aggregates."""
    groups = [
        {key: (value if key in group_by else _number(value)) for key, value in row.items()}
        for row in rows
    ]
    total = sum(group["count"] for group in groups)
    return {"group_by": group_by, "groups": groups, "total": total}


def aggregate_columns(group_by: list[str], numeric: Iterable[str]) -> list[str]:
    """The keys of each group of `/stats`, in order: the CSV's header."""
    measures = [f"{name}_{measure}" for name in numeric for measure in MEASURES]
    return [*group_by, "count", *measures]


def facets_result(counts: Mapping[str, Iterable[Any]]) -> dict[str, Any]:
    """`/stats/.../facets`' answer: per field, its values most frequent first."""
    result: dict[str, list[dict[str, Any]]] = {}
    total = 0
    for name, rows in counts.items():
        values = [dict(row) for row in rows]
        values.sort(key=lambda row: (-row["count"], row["value"] is None, str(row["value"])))
        result[name] = values
        total = sum(row["count"] for row in values)
    return {"facets": result, "total": total}
