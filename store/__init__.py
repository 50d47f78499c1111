"""DuckDB only: the connection, schema migrations and the repositories that run SQL.

The only package that talks to the database."""

from store.db import Database

__all__ = ["Database"]
