"""Every result docs/segment-language.md shows is also Spark's: the documented demo is built,
exported as a lake, and each example's count (and each goal's report) is taken again on
Spark's local mode. tests/docs/ holds DuckDB to the same numbers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from engine import Workspace
from engine.scaleout.runner import SparkRunner
from tests.docs.test_segment_language_results import (
    AS_OF,
    DOC,
    Shown,
    block_examples,
    demo_command,
    table_examples,
)
from tests.spark.conftest import spark_runner

pytestmark = pytest.mark.xdist_group("spark")
Pair = tuple[Workspace, SparkRunner]


@pytest.fixture(scope="module")
def demo_on_spark(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp("spark_docs")
    db = folder / "demo.duckdb"
    assert main(["demo", *demo_command(DOC), "--db", str(db), "--quiet"]) == 0
    workspace = Workspace.open(db)
    runner = spark_runner(workspace, folder / "lake")
    yield workspace, runner
    runner.close()
    workspace.close()


def spark_result(ws: Workspace, runner: SparkRunner, text: str) -> str:
    """What Spark gives, written the way the docs write it."""
    if text.lstrip().lower().startswith("goal"):
        goal = ws.goals.parse(text)
        report = ws.goals.evaluate(goal, as_of=AS_OF, runner=runner)
        return f"{report.completions:,} of {report.starts:,} profiles ({report.rate:.1%})"
    count = ws.segments.count(text, as_of=AS_OF, runner=runner)
    return f"{count:,} profile" + ("" if count == 1 else "s")


@pytest.mark.parametrize("shown", block_examples() + table_examples(), ids=str)
def test_documented_result_is_sparks_too(demo_on_spark: Pair, shown: Shown) -> None:
    ws, runner = demo_on_spark
    assert spark_result(ws, runner, shown.text) == shown.result


def test_cli_counts_on_spark_print_what_duckdb_prints(
    demo_on_spark: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, runner = demo_on_spark
    db, lake = Path(ws.path), runner.lake.folder
    expression = 'country = "ID" and did purchase in last 30 days'
    common = ["segment", "count", expression, "--as-of", AS_OF, "--db", str(db)]
    assert main(common) == 0
    on_duckdb = capsys.readouterr().out
    assert main([*common, "--engine", "spark", "--lake", str(lake), "--master", "local[2]"]) == 0
    assert capsys.readouterr().out == on_duckdb


def test_spark_without_a_lake_is_refused_with_the_fix(
    demo_on_spark: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, _ = demo_on_spark
    argv = ["segment", "count", 'has label "vip"', "--db", str(ws.path), "--engine", "spark"]
    assert main(argv) == 1
    assert "--engine spark needs --lake DIR" in capsys.readouterr().err


def test_a_refresh_on_spark_stores_the_members_duckdb_finds(demo_on_spark: Pair) -> None:
    ws, runner = demo_on_spark
    ws.segments.refresh(as_of=AS_OF, runner=runner)
    for name in ws.segments.list()["name"]:
        stored = ws.db.rows(
            "SELECT m.profile_id FROM segment_members m JOIN segments s ON s.id = m.segment_id "
            "WHERE s.name = $name ORDER BY 1",
            {"name": name},
        )
        assert [row[0] for row in stored] == ws.segments.ids(name, as_of=AS_OF), name
