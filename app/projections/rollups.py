"""Rollups (`app.listing.spec.Rollup`) counted again from the records: after a bulk load that
wrote the records with the triggers that keep them switched off."""

from sqlalchemy import Connection, String, delete, func, insert, select, type_coerce

from app.collections.catalog import CATALOG

MEASURES = ("count", "sum", "min", "max")


def rebuild_rollups(connection: Connection) -> None:
    """Every collection's rollup, counted again from its records in one statement each."""
    for collection in CATALOG:
        spec = collection.list_spec
        rollup = spec.rollup
        if rollup is None:
            continue
        keys = [func.coalesce(type_coerce(spec.columns[name], String), "") for name in rollup.keys]
        measures = [
            getattr(func, measure)(spec.columns[name])
            for name in spec.numeric
            for measure in MEASURES
        ]
        names = [
            *(f"{name}_key" for name in rollup.keys),
            "records",
            *(f"{name}_{measure}" for name in spec.numeric for measure in MEASURES),
        ]
        counted = select(*keys, func.count(), *measures).group_by(*keys)
        connection.execute(delete(rollup.table))
        connection.execute(insert(rollup.table).from_select(names, counted))
