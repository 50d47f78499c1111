"""One small demo workspace built through the engine and one through `kith demo`, shared by the
demo tests (same spec, so they also check each other: same seed, same workspace)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from dataclasses import dataclass

import pytest

from app.cli import main
from engine import Workspace
from engine.demo import DemoBlock, DemoSpec, blocks
from engine.demo.load import DemoReport, build

SPEC = DemoSpec(profiles=300, days=45, seed=5, until=dt.date(2026, 3, 1))
CLI_ARGS = ["--profiles", "300", "--days", "45", "--seed", "5", "--until", "2026-03-01"]


@dataclass(frozen=True)
class CliRun:
    db: str
    code: int
    out: str
    err: str


@pytest.fixture(scope="session")
def loaded(tmp_path_factory) -> tuple[Workspace, DemoReport]:
    ws = Workspace.open(tmp_path_factory.mktemp("demo") / "kith.duckdb")
    report = build(ws, SPEC)
    yield ws, report
    ws.close()


@pytest.fixture(scope="session")
def frames() -> DemoBlock:
    (block,) = list(blocks(SPEC))
    return block


@pytest.fixture(scope="session")
def cli_run(tmp_path_factory) -> CliRun:
    """`kith demo --json` on a fresh file, with what it printed."""
    db = str(tmp_path_factory.mktemp("cli") / "kith.duckdb")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["demo", "--db", db, *CLI_ARGS, "--json"])
    return CliRun(db, code, out.getvalue(), err.getvalue())
