"""The store layer on real DuckDB files: migrations, id allocation, locking, transactions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kith_errors import StoreError
from store import Database
from store.migrate import available, migrate


def test_new_file_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.duckdb")
    assert db.scalar("SELECT max(version) FROM schema_version") == available()[-1][0]
    assert db.scalar("SELECT count(*) FROM profiles") == 0


def test_reopening_does_not_reapply_migrations(tmp_path: Path) -> None:
    Database(tmp_path / "w.duckdb").close()
    db = Database(tmp_path / "w.duckdb")
    assert db.scalar("SELECT count(*) FROM schema_version") == len(available())


def test_a_lower_numbered_migration_arriving_later_is_still_applied(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_first.sql").write_text("CREATE TABLE first (x INTEGER);")
    (folder / "040_api.sql").write_text("CREATE TABLE api (x INTEGER);")
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    assert migrate(con, folder) == 40
    (folder / "020_profiles.sql").write_text("CREATE TABLE profiles_extra (x INTEGER);")
    assert migrate(con, folder) == 40
    assert con.execute("SELECT count(*) FROM profiles_extra").fetchone() == (0,)
    assert [
        v for (v,) in con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
    ] == [1, 20, 40]


def test_allocated_ids_are_consecutive_and_never_reused(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.duckdb")
    assert db.allocate_ids("events", 10) == 1
    assert db.allocate_ids("events", 5) == 11
    assert db.allocate_ids("profiles", 1) == 1


def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.duckdb")
    with pytest.raises(StoreError), db.transaction():
        db.execute("INSERT INTO settings VALUES ('a', '1')")
        db.execute("INSERT INTO no_such_table VALUES (1)")
    assert db.scalar("SELECT count(*) FROM settings") == 0


def test_a_file_held_by_another_process_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    db = Database(path)
    probe = f"from store import Database; Database(r'{path}')"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode != 0
    assert "WorkspaceLocked" in result.stderr
    assert str(path) in result.stderr and "HTTP API" in result.stderr
    db.close()


def test_cleanup_inside_an_aborted_transaction_raises_a_store_error(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.duckdb")
    db.register("frame", pd.DataFrame({"x": [1]}))
    with pytest.raises(StoreError), db.transaction():
        try:
            db.execute("INSERT INTO no_such_table VALUES (1)")
        finally:
            db.unregister("frame")
