"""The same compiled segments, funnels and goals on Spark (local mode, over a lake written by
`kith lake export`) as on DuckDB, profile for profile: every golden construct on the fixture
dataset, the segment differential against the pure-Python reference, the funnel differential
in every mode, and the goal report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Workspace
from engine.compiler import Context, compile_query
from engine.scaleout.runner import SparkRunner
from tests import segment_fixtures as fx
from tests.analytics import reference_funnel as ref
from tests.analytics import test_funnel_differential as funnel_diff
from tests.analytics.events import T0, put_events
from tests.segments import test_differential as segment_diff
from tests.segments.test_golden import CONSTRUCTS
from tests.spark.conftest import spark_runner

pytestmark = pytest.mark.xdist_group("spark")
Pair = tuple[Workspace, SparkRunner]

SLOW = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def fixture_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp("spark_fixture")
    workspace = Workspace.open(folder / "kith.duckdb")
    fx.load(workspace)
    # the boolean property and the saved segments the golden constructs name, as the golden
    # test's schema has them
    workspace.catalog.define_property("vip", "boolean")
    workspace.segments.save("active", expression="did any event in last 7 days")
    workspace.segments.save("vips", kind="static")
    workspace.segments.add_members("vips", [1, 2, 5], actor="test")
    workspace.segments.save("both", kind="compound", op="difference", of=["active", "vips"])
    runner = spark_runner(workspace, folder / "lake")
    yield workspace, runner
    runner.close()
    workspace.close()


@pytest.mark.parametrize("construct", sorted(CONSTRUCTS))
def test_every_golden_construct_gives_the_same_profiles_on_spark(
    fixture_ws: Pair, construct: str
) -> None:
    ws, runner = fixture_ws
    text = CONSTRUCTS[construct]
    on_duckdb = ws.segments.ids(text, as_of=fx.AS_OF)
    assert ws.segments.ids(text, as_of=fx.AS_OF, runner=runner) == on_duckdb


# ---- the segment differential ------------------------------------------------------------


@pytest.fixture(scope="module")
def diff_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The differential test's workspace: its schema and saved segments."""
    workspace = Workspace.open(tmp_path_factory.mktemp("spark_diff") / "kith.duckdb")
    fx.define_schema(workspace)
    workspace.segments.save("recent", expression=segment_diff.SAVED_TEXT)
    workspace.segments.save("picked", kind="static")
    workspace.segments.save("mix", kind="compound", op="difference", of=["recent", "picked"])
    workspace.segments.save("any_of", kind="compound", op="union", of=["picked", "recent"])
    yield workspace
    workspace.close()


@settings(SLOW, max_examples=6)
@given(
    data=segment_diff.dataset(), exprs=st.lists(segment_diff.expressions, min_size=8, max_size=8)
)
def test_random_segments_agree_with_the_reference_on_spark(
    diff_ws: Workspace, tmp_path_factory: pytest.TempPathFactory, data: Any, exprs: list[Any]
) -> None:
    segment_diff.load(diff_ws, data)
    reference = segment_diff.reference_for(data)
    schema = diff_ws.segments.schema()
    with spark_runner(diff_ws, tmp_path_factory.mktemp("lake")) as runner:
        for expr in exprs:
            compiled = compile_query(
                Context(schema, segment_diff.AS_OF, diff_ws.segments.saved), expr
            )
            found = {int(r[0]) for r in runner.rows(compiled.expression, compiled.params)}
            assert found == reference.members(expr), expr


# ---- the funnel differential -------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The funnel differential's workspace: its event types registered."""
    ws = Workspace.open(tmp_path_factory.mktemp("spark_funnels") / "kith.duckdb")
    for name in (*funnel_diff.TYPES, "x"):
        ws.catalog.register_event_type(name, properties={"v": "number"})
    yield ws
    ws.close()


@settings(SLOW, max_examples=6)
@given(
    data=funnel_diff.dense_rows,
    chosen=st.lists(funnel_diff.funnels(), min_size=4, max_size=4),
)
def test_random_funnels_give_the_same_counts_and_people_on_spark(
    workspace: Workspace,
    tmp_path_factory: pytest.TempPathFactory,
    data: list[tuple[int, str, int, int]],
    chosen: list[ref.Funnel],
) -> None:
    workspace.db.execute("DELETE FROM events")
    put_events(workspace, [(p, t, h, {"v": v}) for p, t, h, v in data])
    with spark_runner(workspace, tmp_path_factory.mktemp("lake")) as runner:
        for funnel in chosen:
            spec = funnel_diff.as_spec(funnel)
            here = workspace.funnels.run(spec).steps
            there = workspace.funnels.run(spec, runner=runner).steps
            assert there["profiles"].tolist() == here["profiles"].tolist(), funnel
            assert _medians(there) == _medians(here), funnel
            last = len(spec.steps)
            people = workspace.funnels.profiles(spec, last, runner=runner)
            assert people == workspace.funnels.profiles(spec, last), funnel


def _medians(steps: Any) -> list[float | None]:
    return [None if m != m else round(float(m), 6) for m in steps["median_time_to_convert"]]


# ---- goals ---------------------------------------------------------------------------------


def test_goal_reports_are_the_same_on_spark(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "goals.duckdb")
    rows = [(1, "a", 0), (1, "b", 2), (2, "a", 1), (2, "b", 30), (3, "a", 5), (4, "b", 3)]
    put_events(ws, rows)
    goal = ws.goals.parse('goal "AB": start a target b within 1 days')
    as_of = T0 + dt.timedelta(days=3)
    with spark_runner(ws, tmp_path / "lake") as runner:
        for bucket in ("day", "week"):
            here = ws.goals.evaluate(goal, bucket=bucket, as_of=as_of)
            there = ws.goals.evaluate(goal, bucket=bucket, as_of=as_of, runner=runner)
            assert (there.starts, there.completions, there.rate) == (
                here.starts,
                here.completions,
                here.rate,
            )
            assert there.median_time_to_complete == here.median_time_to_complete
            assert there.series.to_dict("list") == here.series.to_dict("list")
    ws.close()
