"""An erase leaves nothing of the person in the workspace file's raw bytes: DuckDB keeps
deleted rows and the old versions of updated ones in the file's blocks, so the erase rewrites
the file (store/db.py `Database.compact`). Also `kith compact` for operators."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlglot import exp

from app.cli import main
from engine import Workspace
from tests.profiles.erased_person import found_in, found_in_files, messages


def _workspace_with_the_person(path: Path) -> int:
    with Workspace.open(path) as ws:
        report = ws.ingest.messages(messages())
        assert report.rejected == []
        ws.db.checkpoint()  # the person's rows are in the file's blocks, not only in the log
        person = ws.profiles.find("user_id", "user-zq-991")
        assert person is not None
        return person


def test_an_erase_leaves_no_value_of_the_person_in_the_files(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    person = _workspace_with_the_person(db)
    assert found_in(db.read_bytes())  # the test can see them before the erase
    assert main(["erase", str(person), "--yes", "--db", str(db)]) == 0
    assert found_in_files(tmp_path) == {}
    with Workspace.open(db) as ws:
        assert ws.events.list(types=["referred"])[1] == 1  # the other person's event stays
        assert ws.events.list(types=["viewed"])[1] == 0
        csv = ws.transfer.export_profiles(fmt="csv")
        parquet = ws.transfer.export_profiles(fmt="parquet")
        others = [ws.privacy.export(int(i)) for i in pd.read_parquet(io.BytesIO(parquet))["id"]]
    assert found_in(csv) == [] and found_in(parquet) == []
    assert found_in(json.dumps(others, ensure_ascii=False).encode()) == []


def test_compact_keeps_every_row_and_frees_the_deleted_bytes(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _workspace_with_the_person(db)
    marker = b"marker-7f3k-only-here"
    with Workspace.open(db) as ws:
        note = {"type": "track", "event": "noted", "userId": "someone-else-2"}
        ws.ingest.messages([{**note, "properties": {"marker": marker.decode()}}])
        ws.db.checkpoint()
        before = _counts(ws)
        ws.db.execute("DELETE FROM events WHERE type = 'noted'")
        ws.db.checkpoint()
        assert marker in db.read_bytes()  # deleted, yet still in the file
        done = ws.privacy.compact()
        assert marker not in db.read_bytes()
        assert _counts(ws) == {**before, "events": before["events"] - 1}  # the same connection
        assert done["bytes_after"] <= done["bytes_before"]
    with Workspace.open(db) as ws:
        assert _counts(ws) == {**before, "events": before["events"] - 1}
        assert ws.profiles.find("user_id", "user-zq-991")  # the data came along, and the
        ws.profiles.create({"email": "new.person@example.org"})  # constraints, ids and defaults
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def test_kith_compact_prints_what_it_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "w.duckdb"
    _workspace_with_the_person(db)
    assert main(["compact", "--db", str(db), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["bytes_before"] > 0 and done["bytes_after"] > 0 and done["seconds"] >= 0


def _counts(ws: Workspace) -> dict[str, int]:
    tables = [r[0] for r in ws.db.rows("SELECT table_name FROM duckdb_tables() ORDER BY 1")]
    count = exp.select(exp.Count(this=exp.Star()))
    return {t: int(ws.db.scalar(count.from_(t))) for t in tables}
