"""The analytics commands end to end through `app.cli.main` on a real workspace file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from engine import Workspace
from tests.analytics.events import put_events
from tests.analytics.messages import track


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "kith.duckdb"
    with Workspace.open(path) as ws:
        put_events(
            ws,
            [
                (1, "message_sent", 0, {"campaign": "spring"}),
                (1, "message_read", 1),
                (2, "message_sent", 0, {"campaign": "fall"}),
                (2, "cancel", 1),
                (2, "message_read", 2),
                (3, "purchase", 0, {"amount": 150}),
            ],
        )
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_funnel_json_breakdown_and_exclusion(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["funnel", "message_sent", "message_read", "--db", db, "--as-of", "2027-01-01"]
    code, out, _ = run(capsys, *args, "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["entered"] == 2 and [row["profiles"] for row in answer["steps"]] == [2, 2]
    code, out, _ = run(capsys, *args, "--exclude", "cancel:1", "--json")
    assert [row["profiles"] for row in json.loads(out)["steps"]] == [1, 1]
    code, out, _ = run(capsys, *args, "--breakdown", "event.campaign", "--within", "1h")
    assert code == 0 and "spring" in out and "fall" in out


def test_funnel_exclusion_with_a_filter_and_a_step_range(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["funnel", "message_sent", "message_read", "--db", db, "--as-of", "2027-01-01", "--json"]
    code, out, _ = run(capsys, *args, "--exclude", 'cancel where channel = "web":1-2')
    assert code == 0 and [row["profiles"] for row in json.loads(out)["steps"]] == [1, 1]
    code, out, _ = run(capsys, *args, "--exclude", 'cancel where channel = "sms":1-2')
    assert [row["profiles"] for row in json.loads(out)["steps"]] == [2, 2]
    code, out, _ = run(capsys, *args, "--within", "3601s")
    assert [row["profiles"] for row in json.loads(out)["steps"]] == [2, 1]


def test_funnel_over_time(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["funnel", "message_sent", "message_read", "--db", db, "--as-of", "2026-03-04T12:00"]
    code, out, _ = run(capsys, *args, "--over-time", "day", "--from", "2026-03-01", "--json")
    assert code == 0
    series = json.loads(out)
    assert [(r["entered"], r["converted"], r["partial"]) for r in series] == [
        (2, 2, False),
        (0, 0, False),
        (0, 0, False),
        (0, 0, True),  # the day of as_of: partial
    ]


def test_funnel_errors_exit_1_with_one_line(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "funnel", "a", "b", "--db", db, "--within", "soon")
    assert code == 1 and "7d" in err
    code, _, err = run(capsys, "funnel", "a", "b", "--db", db, "--exclude", "x:0")
    assert code == 1 and "EVENT:STEP" in err
    code, _, err = run(capsys, "funnel", "purchase where amount >", "--db", db)
    assert code == 1 and "amount >" in err


def test_goal_define_list_report(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = 'goal "Readers": start message_sent target message_read within 1 days'
    assert run(capsys, "goal", "define", source, "--db", db)[0] == 0
    code, out, _ = run(capsys, "goal", "list", "--db", db, "--json")
    assert [g["name"] for g in json.loads(out)] == ["Readers"]
    code, out, _ = run(capsys, "goal", "report", "Readers", "--db", db, "--json")
    report = json.loads(out)
    assert (report["starts"], report["completions"]) == (2, 2)
    assert report["series"][0]["completions"] == 2
    code, out, _ = run(capsys, "goal", "report", "Readers", "--db", db, "--bucket", "month")
    assert code == 0 and "completions" in out
    assert run(capsys, "goal", "report", "Nope", "--db", db)[0] == 1


def test_rule_commands(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    rule = 'when purchase where amount > 100 then add label "big"'
    code, out, _ = run(capsys, "rule", "add", "big", rule, "--db", db, "--priority", "5")
    assert code == 0 and "priority 5" in out
    code, out, _ = run(capsys, "rule", "list", "--db", db, "--json")
    assert json.loads(out)[0]["name"] == "big"
    dry = ["rule", "dry-run", "big", "--from", "2026-01-01", "--to", "2027-01-01", "--json"]
    code, out, _ = run(capsys, *dry, "--db", db)
    assert [row["profile_id"] for row in json.loads(out)] == [3]
    assert run(capsys, "rule", "disable", "big", "--db", db)[0] == 0
    with Workspace.open(db) as ws:
        ws.ingest.messages([track("u1", "purchase", {"amount": 500})])
    code, out, _ = run(capsys, "rule", "log", "big", "--db", db, "--json")
    assert json.loads(out) == []
    assert run(capsys, "rule", "enable", "big", "--db", db)[0] == 0
    code, out, _ = run(capsys, "rule", "run-schedules", "--db", db, "--json")
    assert json.loads(out) == {"fired": 0}
    code, out, _ = run(capsys, "webhooks", "deliver", "--db", db, "--json")
    assert json.loads(out) == {"delivered": 0, "retrying": 0, "failed": 0}
    code, _, err = run(capsys, "rule", "add", "bad", "when purchase then", "--db", db)
    assert code == 1 and "line 1" in err
    assert run(capsys, "rule", "delete", "big", "--db", db)[0] == 0
    assert run(capsys, "rule", "enable", "big", "--db", db)[0] == 1
