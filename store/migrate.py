"""Numbered migrations in store/migrations/NNN_name.sql, applied in order and recorded in
`schema_version`, so opening an older workspace file brings it forward. Every migration the
file has not recorded is applied, not just those above its newest: areas number theirs in
their own ranges, so a lower number can arrive after a higher one was applied."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

MIGRATIONS = Path(__file__).parent / "migrations"
_NUMBERED = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def available(directory: Path = MIGRATIONS) -> list[tuple[int, Path]]:
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _NUMBERED.match(p.name))]
    return sorted(found)


def applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at "
        "TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'))"
    )
    return {int(row[0]) for row in con.execute("SELECT version FROM schema_version").fetchall()}


def migrate(con: duckdb.DuckDBPyConnection, directory: Path = MIGRATIONS) -> int:
    """Apply every migration the file has not recorded; returns the newest version."""
    done = applied(con)
    for number, path in available(directory):
        if number not in done:
            _apply(con, number, path.read_text())
            done.add(number)
    return max(done, default=0)


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
