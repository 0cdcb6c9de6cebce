"""The HTTP layer: `routes` and `write_routes` hold the handlers every collection shares, bound
to each collection of the catalog; `openapi` documents them; `search` and `importing` are the
routes that span collections; `params` validates query strings as their models."""
