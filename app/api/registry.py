"""Every collection the API serves, in the order the documentation lists them."""

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
