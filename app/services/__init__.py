"""Queries, one module per resource. Services never commit: the session dependency does."""
