"""The Goals screen through AppTest: saved segments compared side by side (they used to fail
as expressions), a saved segment or an expression as the filter (errors point at the wrong
name, with a fix), a target with progress, a date range, started vs completed per period."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from tests.dashboard.conftest import Screen, no_errors

pytestmark = pytest.mark.xdist_group("dashboard")
GOAL = "First purchase"


def _goals(screen: Screen):  # type: ignore[no-untyped-def]
    at = screen("goals")
    at.selectbox(key="goal_name").select(GOAL).run()
    return at


def test_segments_compared_side_by_side(seeded: Workspace, screen: Screen) -> None:
    at = _goals(screen)
    at.multiselect(key="cmp_segments").select("vip").select("high_value").run()
    no_errors(at)
    table = next(d.value for d in at.dataframe if "segment" in d.value.columns)
    assert table["segment"].tolist() == ["Everyone", "vip", "high_value"]
    expected = seeded.goals.compare(GOAL, ["vip", "high_value"], saved=True, everyone=True)
    assert table["starts"].tolist() == expected["starts"].tolist()
    assert any("Completion rate by segment" in c.proto.spec for c in at.get("plotly_chart"))


def test_a_saved_segment_as_the_filter(seeded: Workspace, screen: Screen) -> None:
    at = _goals(screen)
    at.selectbox(key="goal_in").select("high_value").run()
    no_errors(at)
    started = next(m for m in at.metric if m.label == "Started")
    assert started.value == f"{seeded.goals.report(GOAL, segment='high_value').starts:,}"


def test_an_expression_filter_error_points_at_the_name(seeded: Workspace, screen: Screen) -> None:
    at = _goals(screen)
    at.selectbox(key="goal_in").select("People matching an expression…").run()
    at.text_input(key="goal_segment").input('has label "vipp"').run()
    assert not at.exception
    assert "Line 1, column 11" in at.error[0].value
    at.button(key="goal_segment_fix").click().run()
    no_errors(at)
    assert at.text_input(key="goal_segment").value == 'has label "vip"'


def test_a_target_with_progress(seeded: Workspace, screen: Screen) -> None:
    at = _goals(screen)
    at.number_input(key=f"goal_target_{GOAL}").set_value(50.0)
    at.button(key="goal_target_save").click().run()
    no_errors(at)
    assert seeded.goals.report(GOAL).target == 0.5
    assert next(m for m in at.metric if m.label == "Target").value == "50.0%"
    rate = next(m for m in at.metric if m.label == "Completion rate")
    assert "pts vs target" in rate.delta
    assert any("of the target reached" in (p.proto.text or "") for p in at.get("progress"))
    assert any("now has a target of 50.0%" in t.value for t in at.toast)


def test_started_vs_completed_over_a_date_range(seeded: Workspace, screen: Screen) -> None:
    at = _goals(screen)
    first, last = dt.date.today() - dt.timedelta(days=10), dt.date.today()
    at.date_input(key="goal_dates").set_value((first, last)).run()
    no_errors(at)
    series = next(d.value for d in at.dataframe if "bucket" in d.value.columns)
    assert {"starts", "completions", "rate"} <= set(series.columns)
    report = seeded.goals.report(GOAL, start=first, end=last + dt.timedelta(days=1))
    assert next(m for m in at.metric if m.label == "Started").value == f"{report.starts:,}"
    spec = at.get("plotly_chart")[0].proto.spec
    assert '"started"' in spec and '"completed"' in spec
