from functools import lru_cache

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
