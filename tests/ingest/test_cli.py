"""`kith init` and `kith ingest` end to end on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from engine import Workspace


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_init_creates_a_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.duckdb"
    assert main(["init", "--db", str(db)]) == 0
    assert db.exists() and "workspace ready" in capsys.readouterr().out


def test_ingest_jsonl_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.duckdb"
    msg = {"type": "track", "userId": "u1", "event": "Signup", "messageId": "m1"}
    path = _write(tmp_path / "events.jsonl", [json.dumps(msg)])
    assert main(["ingest", str(path), "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert "accepted          1" in out.out and "ingested 1 lines" in out.err
    with Workspace.open(db) as ws:
        assert ws.db.scalar("SELECT type FROM events WHERE message_id = 'm1'") == "signup"


def test_rejected_lines_are_listed_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps({"type": "track", "userId": "u1", "event": "x"})
    path = _write(tmp_path / "events.jsonl", [good, "{oops"])
    assert main(["ingest", str(path), "--db", str(tmp_path / "w.duckdb"), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "rejected          1" in out and "line 2: not valid JSON" in out


def test_csv_with_format_flag_and_json_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path / "events.txt", ["user_id,type,timestamp", "u1,purchase,2026-03-01T10:00:00Z"]
    )
    args = ["ingest", str(path), "--format", "csv", "--json", "--db", str(tmp_path / "w.duckdb")]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accepted"] == 1 and report["profiles_created"] == 1


def test_a_missing_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "w.duckdb")]) == 1
    assert "error: no such file" in capsys.readouterr().err
