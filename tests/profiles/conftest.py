"""The CLI on a real workspace file, as the profile commands' tests drive it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.cli import main

Kith = Callable[..., tuple[int, str, str]]


@pytest.fixture
def kith(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Kith:
    """Run `kith ARGS --db <a file of this test>`: (exit code, stdout, stderr)."""
    db = str(tmp_path / "cli.duckdb")

    def run(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--db", db])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def json_of(kith: Kith, *argv: str) -> Any:
    """A command's `--json` answer, after checking it succeeded."""
    code, out, err = kith(*argv, "--json")
    assert code == 0, err
    return json.loads(out)
