"""`kith segment ...` end to end through the CLI entry point, on a real workspace file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from app.cli import main
from engine import Workspace
from tests import segment_fixtures as fx

Run = Callable[..., tuple[int, str, str]]
AS_OF = fx.AS_OF.isoformat()


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    db = str(tmp_path / "kith.duckdb")
    with Workspace.open(db) as ws:
        fx.load(ws)

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--db", db])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def test_check_prints_ok_or_the_caret_message(run: Run) -> None:
    assert run("segment", "check", "did purchase")[:2] == (0, "ok\n")
    code, _, err = run("segment", "check", 'contry = "ID"')
    assert code == 1
    assert "did you mean 'country'" in err and 'contry = "ID"\n^' in err


def test_count_members_and_json(run: Run) -> None:
    assert run("segment", "count", 'has label "vip"', "--as-of", AS_OF)[1].strip() == "2"
    code, out, _ = run("segment", "count", "active_subscribers", "--as-of", AS_OF, "--json")
    assert code == 0 and json.loads(out) == {"count": 6}
    code, out, _ = run("segment", "members", "has channel whatsapp", "--as-of", AS_OF, "--json")
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [1, 3, 7, 8]
    assert {"type": "whatsapp", "value": "+6281100001"} in rows[0]["identities"]
    code, out, _ = run("segment", "members", "did purchase", "--limit", "2", "--as-of", AS_OF)
    assert "Ana" in out and "user_id:u1" in out and "Chen" not in out


def test_sql_in_both_dialects(run: Run) -> None:
    code, out, _ = run("segment", "sql", "did purchase in last 7 days")
    assert code == 0 and "$p0" in out and "-- params:" in out
    code, out, _ = run("segment", "sql", "did purchase", "--dialect", "spark", "--json")
    assert ":p0" in json.loads(out)["sql"]


def test_explain(run: Run) -> None:
    code, out, _ = run("segment", "explain", "did purchase at least 2 times", "1", "--as-of", AS_OF)
    assert code == 0 and "is in this segment" in out and "✓ did purchase" in out
    assert "(#102), purchase at" in out
    code, out, _ = run("segment", "explain", "did purchase", "4", "--as-of", AS_OF, "--json")
    assert json.loads(out)["result"]["value"] is False


def test_save_list_show_refresh_history_delete(run: Run) -> None:
    assert run("segment", "save", "acme", 'email ends with "@acme.com"')[0] == 0
    code, out, _ = run(
        "segment",
        "save",
        "mix",
        "--kind",
        "compound",
        "--op",
        "union",
        "--of",
        "acme",
        "active_subscribers",
    )
    assert code == 0 and "compound" in out
    names = [r["name"] for r in json.loads(run("segment", "list", "--json")[1])]
    assert names == ["acme", "active_subscribers", "mix"]
    assert json.loads(run("segment", "show", "acme", "--json")[1])["size"] == 4
    code, out, _ = run("segment", "refresh", "active_subscribers", "--as-of", AS_OF, "--json")
    assert json.loads(out) == {"entered": 6, "exited": 0}
    history = json.loads(run("segment", "history", "active_subscribers", "--json")[1])
    assert [h["size"] for h in history] == [6, 0]
    changes = json.loads(run("segment", "history", "active_subscribers", "--changes", "--json")[1])
    assert len(changes) == 6
    code, _, err = run("segment", "delete", "acme")
    assert code == 1 and "used by mix" in err
    assert run("segment", "delete", "mix")[0] == 0
    code, _, err = run("segment", "show", "mix")
    assert code == 1 and "no saved segment" in err
