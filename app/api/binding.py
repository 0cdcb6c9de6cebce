"""Module-level handlers bound to one collection, as FastAPI routes."""

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

from app.collections.base import Collection


def bind(handler: Callable[..., Any], collection: Collection, **annotations: Any) -> Any:
    """`handler` for one collection: FastAPI sees its other parameters, with `annotations`
    replacing theirs (a query model, a path parameter's documentation)."""
    endpoint = partial(handler, collection)
    signature = inspect.signature(endpoint)
    parameters = [
        parameter.replace(annotation=annotations.get(parameter.name, parameter.annotation))
        for parameter in signature.parameters.values()
    ]
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return endpoint
