"""A list as it is sent: a page's JSON, built from stored renderings, and CSV rows."""

import csv
import io
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, Field

T = TypeVar("T")
CSV_BATCH = 500
"""Rows read from the database, and written out, together."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, CSV injection)."""
EMBEDDED = ("expanded",)
"""Kept in a record trimmed to `fields`: what `expand=` asked for."""


@dataclass
class Page(Generic[T]):
    rows: Sequence[T]
    total: int
    limit: int
    next_cursor: str | None


class PageOut(BaseModel, Generic[T]):
    """One page of a collection."""

    items: list[T] = Field(description="The records of this page, in the requested order.")
    total: int = Field(
        description="How many records match the filters, over all pages.", examples=[6]
    )
    limit: int = Field(description="The page size asked for.", examples=[20])
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page.", examples=[None]
    )


def render_page(page: Page[bytes], fields: list[str] | None) -> bytes:
    """The JSON body of a page: the records' stored renderings joined as they are, or trimmed
    to `fields`."""
    meta = orjson.dumps({"total": page.total, "limit": page.limit, "next_cursor": page.next_cursor})
    if fields is None:
        items = b"[" + b",".join(page.rows) + b"]"
    else:
        items = orjson.dumps(
            [
                {name: record[name] for name in (*fields, *EMBEDDED) if name in record}
                for record in map(orjson.loads, page.rows)
            ]
        )
    return b'{"items":' + items + b"," + meta[1:]


CITATION_KEYS = frozenset({"source_id", "paragraph", "quote"})
CITATIONS_SEPARATOR = " | "


def _citation_text(citation: dict[str, Any]) -> str:
    """A citation as a reader reads it: `source-id ¶12 「quote」 (fields: a, b)`."""
    text = f"{citation['source_id']} ¶{citation['paragraph']} 「{citation['quote']}」"
    fields = citation.get("fields") or []
    return f"{text} (fields: {', '.join(fields)})" if fields else text


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        value = "|".join(value)
    elif isinstance(value, list) and all(
        isinstance(item, dict) and item.keys() >= CITATION_KEYS for item in value
    ):
        value = CITATIONS_SEPARATOR.join(map(_citation_text, value))
    elif isinstance(value, list | dict):
        value = orjson.dumps(value).decode()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # OWASP's advice: a leading apostrophe makes the cell text. Numbers are written as
        # numbers, so a negative one is never touched.
        return "'" + value
    return value


def render_csv(records: Iterator[dict[str, Any]], fields: list[str]) -> Generator[str, None, None]:
    """CSV text, a batch of rows at a time: a BOM, a header, then one line per record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(fields)
    for count, record in enumerate(records, start=1):
        writer.writerow([_csv_cell(record[name]) for name in fields])
        if count % CSV_BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
