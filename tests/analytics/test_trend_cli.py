"""`kith trend` and `kith retention` end to end through `app.cli.main` on a real workspace file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from engine import Workspace
from tests.analytics.events import put_events

AS_OF = ["--as-of", "2026-03-10T00:00"]


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "kith.duckdb"
    with Workspace.open(path) as ws:
        put_events(
            ws,
            [
                (1, "signup", 0),
                (1, "order", 24, {"amount": 30}),
                (2, "signup", 24),
                (2, "order", 30, {"amount": 10}),
                (2, "order", 31, {"amount": 5}),
            ],
        )
        ws.db.execute("UPDATE profiles SET country = 'ID' WHERE id = 2")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_trend_json_several_series(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    series = ["order", "people of order", "sum amount of order", "median amount of order"]
    argv = ["trend", *series, "--db", db, "--from", "2026-03-01", "--to", "2026-03-02"]
    code, out, _ = run(capsys, *argv, *AS_OF, "--json")
    assert code == 0
    answer = json.loads(out)
    assert (answer["interval"], answer["start"], answer["end"]) == (
        "day",
        "2026-03-01T00:00:00",
        "2026-03-03T00:00:00",
    )
    by_label = {(p["label"], p["period"][:10]): p["value"] for p in answer["points"]}
    assert by_label[("order", "2026-03-02")] == 3
    assert by_label[("people of order", "2026-03-02")] == 2
    assert by_label[("sum amount of order", "2026-03-02")] == 45.0
    assert by_label[("median amount of order", "2026-03-02")] == 22.5
    assert by_label[("median amount of order", "2026-03-01")] is None


def test_trend_table_breakdown_and_compare(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["trend", "order", "--db", db, "--interval", "week", "--breakdown", "country"]
    code, out, _ = run(capsys, *argv, "--compare", "--from", "2026-03-02", *AS_OF)
    assert code == 0
    assert "ID" in out and "previous_value" in out and "partial" in out


def test_trend_errors_exit_1_with_one_line(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "trend", "avg of order", "--db", db)
    assert code == 1 and "not an event type" in err
    code, _, err = run(capsys, "trend", "sum amout of order", "--db", db, *AS_OF)
    assert code == 1 and "its number properties: amount" in err
    code, _, err = run(capsys, "trend", "order", "--db", db, "--top", "0", *AS_OF)
    assert code == 1 and "top" in err and "Value error" not in err


def test_retention_table_curve_and_json(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["retention", "signup", "--returning", "order", "--db", db, "--interval", "day"]
    argv += ["--from", "2026-03-01", "--to", "2026-03-02", "--periods", "2", *AS_OF]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "period 0" in out and "period 2" in out
    code, out, _ = run(capsys, *argv, "--curve")
    assert code == 0 and "share" in out
    code, out, _ = run(capsys, *argv, "--json")
    answer = json.loads(out)
    cells = [(r["cohort"][:10], r["k"], r["retained"]) for r in answer["table"]]
    assert cells == [
        ("2026-03-01", 0, 0),
        ("2026-03-01", 1, 1),
        ("2026-03-01", 2, 0),
        ("2026-03-02", 0, 1),
        ("2026-03-02", 1, 0),
        ("2026-03-02", 2, 0),
    ]
    assert [c["share"] for c in answer["curve"]] == [0.5, 0.5, 0.0]


def test_retention_errors_exit_1(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "retention", "--db", db)
    assert code == 1 and "starting event or a segment" in err
    code, _, err = run(capsys, "retention", "--segment", "nope", "--returning", "order", "--db", db)
    assert code == 1 and "nope" in err
