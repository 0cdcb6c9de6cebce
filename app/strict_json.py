"""JSON parsed strictly: as orjson parses it, and refusing an object that gives a key twice."""

import json
from typing import Any

import orjson


class DuplicateKeyError(ValueError):
    """A JSON object gives a key twice; `path` names it, dotted from the document's root."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: a key given twice in one object")
        self.path = path


class _Object(dict[str, Any]):
    duplicate: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                found.duplicate = key
                break
            seen.add(key)
    return found


def _duplicate_path(document: Any) -> str | None:
    pending: list[tuple[Any, str]] = [(document, "")]
    while pending:
        node, path = pending.pop()
        children: Any = ()
        if isinstance(node, _Object):
            if node.duplicate is not None:
                return f"{path}.{node.duplicate}" if path else node.duplicate
            children = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        pending.extend((child, f"{path}.{name}" if path else str(name)) for name, child in children)
    return None


def loads_strictly(document: bytes | str) -> Any:
    """Parse JSON as orjson does (no NaN, no lone surrogate, at most 1024 levels deep): a
    ValueError for anything else, a DuplicateKeyError for an object giving a key twice at any
    depth, which orjson would silently resolve to the last."""
    parsed = orjson.loads(document)
    try:
        # Read again to see every key: orjson cannot tell, and the standard library can.
        again = json.loads(document, object_pairs_hook=_object)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    path = _duplicate_path(again)
    if path is not None:
        raise DuplicateKeyError(path)
    return parsed
