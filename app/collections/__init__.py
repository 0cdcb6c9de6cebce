"""The catalog: one module per collection, each declaring everything that collection is.

A collection module gives its model, read schema, filters (once), sort keys, record format,
search document, links and documentation; `catalog` lists them, and every list of
collections elsewhere (routes, `/search` types, `SubjectType`, seeding order, OpenAPI tags,
the landing page, test factories) derives from it."""
