"""Integer types that fit the database's integer columns. A number beyond a column's range is
refused as invalid input, naming its field or parameter, before a statement sees it:
PostgreSQL would fail the statement ("integer out of range")."""

from typing import Annotated

from pydantic import Field

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
"""Fits a 64-bit column (amounts of money)."""
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
"""Fits a 32-bit column (years)."""
