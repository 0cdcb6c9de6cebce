"""Integer types that fit the database's integer columns. A number beyond a column's range is
refused as invalid input, naming its field or parameter, before a statement sees it:
PostgreSQL would fail the statement ("integer out of range")."""

from typing import Annotated

from pydantic import Field

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
SAFE_INTEGER_MAX = 2**53 - 1
"""JavaScript's `Number.MAX_SAFE_INTEGER`: the largest bound a browser (and /docs) shows exactly."""

Int64 = Annotated[int, Field(ge=-SAFE_INTEGER_MAX, le=SAFE_INTEGER_MAX)]
"""Fits a 64-bit column (amounts of money), and a JavaScript number exactly: a client in a
browser reads it as written, and /docs shows its bounds as they are."""
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
"""Fits a 32-bit column (years)."""
