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
    assert main(["ingest", str(path), "--db", str(tmp_path / "w.duckdb")]) == 1
    out = capsys.readouterr().out
    assert "rejected          1" in out and "line 2: not valid JSON" in out


def test_quiet_prints_only_the_rejected_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps({"type": "track", "userId": "u1", "event": "x"})
    path = _write(tmp_path / "events.jsonl", [good, "{oops"])
    db = str(tmp_path / "w.duckdb")
    assert main(["ingest", str(path), "--db", db, "--quiet"]) == 1
    out = capsys.readouterr()
    assert out.out == "" and out.err.splitlines() == [
        "line 2: not valid JSON (Expecting property name enclosed in double quotes at column 2)"
    ]
    more = json.dumps({"type": "track", "userId": "u2", "event": "y"})
    path = _write(tmp_path / "more.jsonl", [more])
    assert main(["ingest", str(path), "--db", db, "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")


def test_json_errors_point_at_their_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The column is the character where the JSON goes wrong, counted from 1 on its line
    (an unterminated string is reported where it starts, not at the line's end)."""
    lines = [
        "\ufeff" + json.dumps({"type": "track", "userId": "u1", "event": "x"}),  # a BOM first
        '{"type": "track", "userId": "u1", "event": "x", "properties": {"a": 1,, "b": 2}}',
        '{"type": "track", "userId": "u1", "event": "x", "properties": {"a": "abc}}',
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["ingest", str(path), "--db", str(tmp_path / "w.duckdb"), "--quiet"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "line 2: not valid JSON (Expecting property name enclosed in double quotes at column 71)",
        "line 3: not valid JSON (Unterminated string starting at column 69)",
    ]


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
