"""The list machinery every collection declares against, one job per module.

- `params`: the query models (filters, paging, stats), sort parsing, field selection;
- `spec`: `ListSpec`, what a collection allows, and its sort keys;
- `cursor`: sealed tokens and keyset cursors;
- `matching`: the `q` condition, through the search index's grams;
- `statements`: the one statement builder, for pages, streamed CSV, aggregates and facets;
- `output`: a page's JSON and CSV rows;
- `stats`: aggregates and facets from their statements' rows.

Running these statements is a service's job (`app.services.lists`)."""
