"""Text as CityKB folds, converts and indexes it."""

import re
import unicodedata
from functools import lru_cache
from typing import Any

import opencc


@lru_cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_traditional(text: str) -> str:
    """Convert simplified Chinese to traditional characters (OpenCC s2t)."""
    return str(_converter("s2t").convert(text))


def fold(text: str) -> str:
    """Fold text for matching: traditional to simplified, then case-folded."""
    return str(_converter("t2s").convert(text)).casefold()


def search_text(*parts: str | None) -> str:
    """The folded text a record is found by: its names, joined."""
    folded = (fold(part) for part in parts if part)
    return " ".join(dict.fromkeys(folded))


TOKEN = re.compile(r"[^\W_]+")


def grams(folded: str) -> set[str]:
    """The bigrams of each token of folded text, plus each token's last character: what the
    search index holds of a record, and looks a query up by."""
    result: set[str] = set()
    for token in TOKEN.findall(folded):
        result.update(token[i : i + 2] for i in range(len(token) - 1))
        result.add(token[-1])
    return result


CONTROL_CHARACTERS = "\\x00-\\x1f\\x7f-\\x9f"
"""Unicode's control characters (category Cc), as a regular expression's character range."""
NO_CONTROL_CHARACTERS: dict[str, Any] = {"pattern": f"^[^{CONTROL_CHARACTERS}]*$"}
"""What `refuse_control_characters` enforces, as the documented parameter's JSON schema says it."""


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def control_characters_as_spaces(value: str) -> str:
    """`value` with each control character (a tab, a newline, a NUL, ...) made a space."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value)


def refuse_control_characters(value: str | None) -> str | None:
    if value is not None and has_control_characters(value):
        raise ValueError("must not contain control characters")
    return value
