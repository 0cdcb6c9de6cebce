"""What the API and the CLI do with the knowledge base, below HTTP: lists (`lists`), writes
and their history (`writes`, `write_bodies`, `history`), the rules every record follows
(`rules`), seed files and imports (`seed_file`, `seeding`, `importing`), search, keys, query
plans and synthetic data. Keyword-only functions that take a session; they never commit: the
session dependency does."""
