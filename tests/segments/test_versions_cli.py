"""`kith segment save --replace|versions|restore` and `kith goal target` through the CLI
entry point on a real workspace file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from app.cli import main
from engine import Workspace
from tests import segment_fixtures as fx

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    db = str(tmp_path / "kith.duckdb")
    with Workspace.open(db) as ws:
        fx.load(ws, saved=False)

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--db", db])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def test_save_replace_versions_and_restore(run: Run) -> None:
    assert run("segment", "save", "s", "did purchase")[0] == 0
    code, _, err = run("segment", "save", "s", 'country = "US"')
    assert code == 1 and 'already a segment named "s"' in err
    code, out, _ = run("segment", "save", "s", 'country = "US"', "--replace")
    assert code == 0 and "saved dynamic segment 's'" in out
    code, out, _ = run("segment", "versions", "s", "--json")
    assert [(v["version"], v["expression"]) for v in json.loads(out)] == [(1, "did purchase")]
    code, out, _ = run("segment", "restore", "s", "1")
    assert code == 0 and "restored segment 's' to version 1 (did purchase)" in out
    code, out, _ = run("segment", "show", "s", "--json")
    assert json.loads(out)["expression"] == "did purchase"


def test_goal_target(run: Run) -> None:
    assert run("goal", "define", 'goal "Buy": start signup target purchase')[0] == 0
    assert run("goal", "target", "Buy", "25%")[1] == "goal 'Buy': target 25.0%\n"
    code, out, _ = run("goal", "list", "--json")
    assert json.loads(out)[0]["target"] == 0.25
    code, _, err = run("goal", "target", "Buy", "1.5")
    assert code == 1 and "at most 1" in err
    assert run("goal", "target", "Buy", "none")[1] == "goal 'Buy': no target\n"
