"""Screens that stay under a second at 1M profiles (issue 16): the Funnels screen computes only
the open tab, and a rerun with the same inputs reuses its counts until a commit changes the
data; the Overview reads the goals' rates measured by the server's clock (job `goal_rates`)
instead of running one funnel per goal, says when they were measured, and says when the data
changed since. The figures are in docs/performance.md (bench.dashboard)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.scheduler import AtAGlanceJob
from engine import Workspace
from engine.changes import Change, ChangeKind
from engine.clock import utcnow
from tests.analytics.messages import track
from tests.dashboard.conftest import Screen, no_errors

pytestmark = pytest.mark.xdist_group("dashboard")


def _steps(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "profiles" in d.value)


def _periods(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if "period" in d.value]


def test_a_funnel_computes_over_time_only_when_its_tab_is_open(
    seeded: Workspace, screen: Screen
) -> None:
    at = screen("funnels")
    no_errors(at)
    today = utcnow().date()  # step 1 in the last 7 days at first, as PostHog does
    assert at.date_input(key="fn_dates").value == (today - dt.timedelta(days=6), today)
    assert not _periods(at)  # the first load counts the steps, nothing else
    at.session_state["fn_tab"] = "Over time"  # a click on the tab
    at.run()
    no_errors(at)
    assert len(_periods(at)) == 1


def test_a_funnel_rerun_reuses_its_counts_until_the_data_changes(
    seeded: Workspace, screen: Screen
) -> None:
    at = screen("funnels")
    before = _steps(at)["profiles"].tolist()
    assert before[-1] > 0  # page_view, signup, purchase
    # behind the commit path's back: the screen cannot know, so a rerun shows the cached counts
    seeded.db.execute("DELETE FROM events WHERE type = 'purchase'")
    assert _steps(at.run())["profiles"].tolist() == before
    seeded.commit(Change(ChangeKind.TIME))  # any commit: the data may have changed
    assert _steps(at.run())["profiles"].tolist() == [*before[:-1], 0]


def test_new_events_show_on_the_next_funnel_rerun(seeded: Workspace, screen: Screen) -> None:
    at = screen("funnels")
    before = _steps(at)["profiles"].tolist()
    now = {"timestamp": utcnow().isoformat() + "Z"}  # inside the screen's default range
    seeded.ingest.messages(
        [track("newcomer", "page_view", **now), track("newcomer", "signup", **now)]
    )
    after = _steps(at.run())["profiles"].tolist()
    assert after[:2] == [before[0] + 1, before[1] + 1]


def _measured(seeded: Workspace) -> dt.datetime:
    now = utcnow().replace(microsecond=0)
    AtAGlanceJob(seeded)(now)
    return now


def _goals_panel(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "progress" in d.value).set_index("name")


def test_the_overview_shows_the_goal_reports_rates(seeded: Workspace, screen: Screen) -> None:
    names = seeded.goals.list()["name"].tolist()
    assert names  # the demo defines goals
    seeded.goals.set_target(names[0], 0.5)
    now = _measured(seeded)
    at = screen("overview")
    no_errors(at)
    panel = _goals_panel(at)
    start = now - dt.timedelta(days=30)
    for name in names:
        report = seeded.goals.report(name, start=start, end=now, as_of=now)
        assert panel.loc[name, "rate"] == pytest.approx(report.rate), name
    assert panel.loc[names[0], "progress"] == pytest.approx(panel.loc[names[0], "rate"] / 0.5)
    captions = [c.value for c in at.caption]
    assert f"Over the 30 days up to {now:%Y-%m-%d %H:%M} UTC" in captions
    violations = next(m for m in at.metric if m.label == "Consent violations")
    assert violations.value == f"{len(seeded.consent.violations(start, now)):,}"


def test_the_overview_reads_measured_figures_without_running_the_queries(
    seeded: Workspace, screen: Screen
) -> None:
    _measured(seeded)
    at = screen("overview")
    shown = _goals_panel(at)["rate"]
    sent = next(m for m in at.metric if m.label == "Consent violations").value
    # behind the commit path's back: a goal or violations query would now count nobody
    seeded.db.execute("DELETE FROM events")
    again = screen("overview")
    assert _goals_panel(again)["rate"].tolist() == shown.tolist() and shown.sum() > 0
    assert next(m for m in again.metric if m.label == "Consent violations").value == sent


def test_the_overview_says_when_the_data_changed_since_the_rates(
    seeded: Workspace, screen: Screen
) -> None:
    _measured(seeded)
    at = screen("overview")
    assert not any("new data since" in c.value for c in at.caption)
    seeded.ingest.messages([track("newcomer", "purchase")])
    at.run()
    assert any("new data since then" in c.value for c in at.caption)


def test_the_clock_measures_again_only_after_a_change(seeded: Workspace) -> None:
    job = AtAGlanceJob(seeded)
    first = utcnow().replace(microsecond=0)
    job(first)
    job(first + dt.timedelta(minutes=1))  # nothing changed: nothing measured
    assert seeded.goals.rates(30).as_of == first
    seeded.ingest.messages([track("newcomer", "purchase")])
    later = first + dt.timedelta(minutes=2)
    job(later)
    assert seeded.goals.rates(30).as_of == later


def test_a_goal_defined_after_the_rates_is_measured_over_the_same_window(
    seeded: Workspace,
) -> None:
    now = _measured(seeded)
    seeded.goals.define('goal "buyers_again": start signup target purchase within 30 days')
    rates = seeded.goals.rates(30)
    assert rates.as_of == now
    row = rates.table.set_index("name").loc["buyers_again"]
    start = now - dt.timedelta(days=30)
    expected = seeded.goals.report("buyers_again", start=start, end=now, as_of=now)
    assert row["rate"] == pytest.approx(expected.rate)
