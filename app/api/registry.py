"""Every collection the API serves, in the order the documentation lists them."""

from collections.abc import Callable
from functools import partial
from typing import Any

from app.api import (
    districts,
    figures,
    organizations,
    parks,
    projects,
    renewal_cases,
    sources,
    zero_carbon_factories,
)
from app.api.collection import Collection
from app.api.common import render_record

COLLECTIONS: tuple[Collection, ...] = (
    projects.COLLECTION,
    parks.COLLECTION,
    renewal_cases.COLLECTION,
    zero_carbon_factories.COLLECTION,
    organizations.COLLECTION,
    districts.COLLECTION,
    figures.COLLECTION,
    sources.COLLECTION,
)


def renders() -> dict[str, Callable[[Any], dict[str, Any]]]:
    """For each seed file key, how a record of it reads through the API (for the history)."""
    return {
        collection.path.strip("/").replace("-", "_"): partial(
            render_record, schema=collection.schema
        )
        for collection in COLLECTIONS
    }
