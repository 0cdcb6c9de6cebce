"""Opaque tokens the server seals and takes back: keyset cursors, and `/search`'s offsets."""

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import BigInteger

from app.errors import bad_parameter
from app.integers import INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN
from app.listing.params import CURSOR_PATTERN, ISO_DATE
from app.listing.spec import SortKey, sort_signature
from app.text import refuse_control_characters

SIGNATURE_BYTES = 12
TOKEN = re.compile(CURSOR_PATTERN)


def _sign(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def seal(payload: dict[str, Any], *, key: bytes, scope: str) -> str:
    """An opaque token carrying `payload`, signed with `key` and good only for `scope` (the
    collection or operation that issued it)."""
    data = orjson.dumps({**payload, "c": scope})
    return base64.urlsafe_b64encode(data + _sign(key, data)).decode().rstrip("=")


def unseal(token: str, parameter: str, *, key: bytes, scope: str) -> dict[str, Any]:
    """The payload of a token this server sealed for `scope`; a 400 naming `parameter` for any
    other."""
    invalid = bad_parameter(
        parameter, f"not a {parameter} this server issued; use `next_cursor` from a previous page"
    )
    if not TOKEN.fullmatch(token):  # the decoder would skip what is not base64
        raise invalid
    try:
        blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise invalid from None
    data, signature = blob[:-SIGNATURE_BYTES], blob[-SIGNATURE_BYTES:]
    if len(blob) <= SIGNATURE_BYTES or not hmac.compare_digest(signature, _sign(key, data)):
        raise invalid
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise invalid from None
    if not isinstance(payload, dict):
        raise invalid
    if payload.pop("c", None) != scope:
        raise bad_parameter(parameter, f"this {parameter} was issued by another list")
    return payload


def encode_cursor(keys: Sequence[SortKey], row: Any, *, key: bytes, scope: str) -> str:
    """A cursor pointing just after `row` in the order of `keys`, good for `scope`'s list only."""
    values = [getattr(row, sort_key.column.key) for sort_key in keys]
    return seal(
        {
            "s": sort_signature(keys),
            "v": [v.isoformat() if isinstance(v, dt.date) else v for v in values],
        },
        key=key,
        scope=scope,
    )


def _decode_value(key: SortKey, value: Any) -> Any:
    """A cursor's value for one sort key, as its column holds it; ValueError for anything a row
    of that column could not hold."""
    if value is None:
        return None
    python_type = key.column.type.python_type
    if python_type is dt.date:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise ValueError(key.name)
        return dt.date.fromisoformat(value)
    if isinstance(value, bool):
        raise ValueError(key.name)
    if python_type is int:
        low, high = (
            (INT64_MIN, INT64_MAX)
            if isinstance(key.column.type, BigInteger)
            else (INT32_MIN, INT32_MAX)
        )
        if not isinstance(value, int) or not low <= value <= high:
            raise ValueError(key.name)
        return value
    if python_type is float and isinstance(value, int | float):
        return float(value)
    if python_type is str and isinstance(value, str):
        refuse_control_characters(value)
        return value
    raise ValueError(key.name)


def decode_cursor(cursor: str, keys: Sequence[SortKey], *, scope: str, key: bytes) -> list[Any]:
    """The sort values a cursor points after; a 400 for one this server did not issue for
    this list."""
    data = unseal(cursor, "cursor", key=key, scope=scope)
    if data.get("s") != sort_signature(keys):
        raise bad_parameter(
            "cursor",
            f"this cursor was issued for sort={data.get('s')!r}, not sort={sort_signature(keys)!r}",
        )
    values = data.get("v")
    if not isinstance(values, list) or len(values) != len(keys):
        raise bad_parameter("cursor", "not a cursor this server issued")
    try:
        pairs = zip(keys, values, strict=True)
        return [_decode_value(sort_key, value) for sort_key, value in pairs]
    except ValueError:
        raise bad_parameter("cursor", "not a cursor this server issued") from None
