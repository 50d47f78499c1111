"""Numbered migrations in store/migrations/NNN_name.sql, applied in order and recorded in
`schema_version`, so opening an older workspace file brings it forward."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

MIGRATIONS = Path(__file__).parent / "migrations"
_NUMBERED = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def available() -> list[tuple[int, Path]]:
    found = [(int(m.group(1)), p) for p in MIGRATIONS.iterdir() if (m := _NUMBERED.match(p.name))]
    return sorted(found)


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at "
        "TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'))"
    )
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration newer than the file's version; returns the new version."""
    version = current_version(con)
    for number, path in available():
        if number > version:
            _apply(con, number, path.read_text())
            version = number
    return version


def _apply(con: duckdb.DuckDBPyConnection, number: int, script: str) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in _statements(script):
            con.execute(statement)
        con.execute("INSERT INTO schema_version (version) VALUES (?)", [number])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """Split a migration into statements (migrations hold no ';' inside literals)."""
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
