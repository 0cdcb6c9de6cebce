"""What every record has, in the API's words: the read schemas' common fields (`read`) and the
record format that seed files, imports and API writes all take (`formats`). Each collection
builds its own schema and format on these (`app.collections`)."""
