"""`kith demo` and `kith stats` end to end through the real CLI entry point."""

from __future__ import annotations

import json

import pytest

from app.cli import main

pytestmark = pytest.mark.xdist_group("demo")


def test_demo_prints_a_summary_and_progress(cli_run):
    assert cli_run.code == 0, cli_run.err
    summary = json.loads(cli_run.out)
    assert summary["profiles"] == 300 and summary["events"] > 3_000
    assert summary["period"].startswith("2026-01-15 .. 2026-03-01")
    assert "300/300 people" in cli_run.err and "[" + "#" * 30 + "]" in cli_run.err


def test_stats_json(cli_run, capsys):
    assert main(["stats", "--db", cli_run.db, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["profiles"] == 300
    assert stats["events"] == sum(stats["events_by_type"].values())
    assert {"purchase", "page_view", "csat_submitted"} <= set(stats["events_by_type"])
    assert stats["segments"] == 9 and stats["custom_event_types"] == 4
    assert stats["last_event"] < "2026-03-01"


def test_stats_table(cli_run, capsys):
    assert main(["stats", "--db", cli_run.db]) == 0
    out = capsys.readouterr().out
    assert "profiles" in out and "events_by_type:" in out and "purchase" in out


def test_demo_refuses_a_workspace_with_data(cli_run, capsys):
    assert main(["demo", "--db", cli_run.db, "--profiles", "10", "--quiet"]) == 1
    assert "already holds data" in capsys.readouterr().err


def test_demo_rejects_bad_options(tmp_path, capsys):
    path = str(tmp_path / "bad.duckdb")
    assert main(["demo", "--db", path, "--profiles", "0"]) == 1
    assert "--profiles must be between 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--db", path, "--until", "March"])
    assert exit_info.value.code == 2
    assert "is not a date" in capsys.readouterr().err


def test_stats_of_an_empty_workspace(tmp_path, capsys):
    assert main(["stats", "--db", str(tmp_path / "empty.duckdb"), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["profiles"] == stats["events"] == 0
    assert stats["first_event"] is None and stats["events_by_type"] == {}
