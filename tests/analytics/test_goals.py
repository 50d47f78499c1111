"""Goals on hand-made events: completion rate, median time, buckets, segment filters."""

from __future__ import annotations

import pandas as pd
import pytest

from app.ui.charts import goal_chart
from engine import Workspace
from kith_errors import Conflict, DslError, NotFound, ValidationError
from tests.analytics.events import at, put_events

TRIAL = 'goal "Trial": start page_view where url contains "/pricing" target signup within 2 days'
LATER = at(2000)


@pytest.fixture
def trial(ws: Workspace) -> Workspace:
    """Profiles 1-4 see /pricing; 1 signs up after 2h, 2 after 10h (on day 2), 3 too late,
    4 never; 5 signs up without /pricing. Profiles 1 and 2 are in Indonesia."""
    put_events(
        ws,
        [
            (1, "page_view", 0, {"url": "/pricing"}),
            (1, "signup", 2),
            (2, "page_view", 20, {"url": "/pricing"}),
            (2, "signup", 30),
            (3, "page_view", 0, {"url": "/pricing"}),
            (3, "signup", 100),
            (4, "page_view", 200, {"url": "/pricing"}),
            (5, "page_view", 0, {"url": "/docs"}),
            (5, "signup", 1),
        ],
    )
    ws.db.execute("UPDATE profiles SET country = 'ID' WHERE id IN (1, 2)")
    ws.goals.define(TRIAL)
    return ws


def test_rate_median_and_daily_series(trial: Workspace) -> None:
    report = trial.goals.report("Trial", as_of=LATER)
    assert (report.starts, report.completions) == (4, 2)
    assert report.rate == 0.5
    assert report.median_time_to_complete == pytest.approx((2 + 10) / 2 * 3600)
    series = report.series.assign(bucket=report.series["bucket"].dt.strftime("%m-%d"))
    assert series.values.tolist() == [
        ["03-01", 2, 1, 0.5],
        ["03-02", 1, 1, 1.0],
        ["03-09", 1, 0, 0.0],
    ]


def test_weekly_and_monthly_buckets(trial: Workspace) -> None:
    weekly = trial.goals.report("Trial", bucket="week", as_of=LATER).series
    assert weekly["bucket"].dt.strftime("%m-%d").tolist() == ["02-23", "03-02", "03-09"]
    assert weekly["completions"].tolist() == [1, 1, 0]
    monthly = trial.goals.report("Trial", bucket="month", as_of=LATER).series
    assert monthly[["starts", "completions"]].values.tolist() == [[4, 2]]


def test_a_segment_filter_and_compare(trial: Workspace) -> None:
    report = trial.goals.report("Trial", segment='country = "ID"', as_of=LATER)
    assert (report.starts, report.completions, report.rate) == (2, 2, 1.0)
    table = trial.goals.compare("Trial", ['country = "ID"', "country is not set"], as_of=LATER)
    assert table[["starts", "completions"]].values.tolist() == [[2, 2], [2, 0]]


def test_the_date_range_limits_the_start(trial: Workspace) -> None:
    report = trial.goals.report("Trial", start=at(10), end=at(150), as_of=LATER)
    assert (report.starts, report.completions) == (1, 1)


def test_a_goal_without_start_is_over_every_profile(trial: Workspace) -> None:
    trial.goals.define('goal "Signed up": target signup')
    report = trial.goals.report("Signed up", as_of=LATER)
    assert (report.starts, report.completions, report.rate) == (5, 4, 0.8)
    assert report.median_time_to_complete is None


def test_a_segment_target_is_evaluated_as_of(trial: Workspace) -> None:
    trial.goals.define('goal "Indonesia": start signup target segment (country = "ID")')
    report = trial.goals.report("Indonesia", as_of=LATER)
    assert (report.starts, report.completions) == (4, 2)
    assert len(report.series) == 1


def test_list_chart_and_errors(trial: Workspace) -> None:
    listed = trial.goals.list(as_of=LATER)
    assert listed[["name", "completion_rate"]].values.tolist() == [["Trial", 0.5]]
    figure = goal_chart(trial.goals.report("Trial", as_of=LATER))
    assert [t.name for t in figure.data] == ["started", "completed", "completion rate"]
    trial.goals.set_target("Trial", 0.6)
    figure = goal_chart(trial.goals.report("Trial", as_of=LATER))
    assert [t.name for t in figure.data][-1] == "target" and figure.data[-1].y == (0.6, 0.6)
    with pytest.raises(Conflict):
        trial.goals.define(TRIAL)
    trial.goals.define(TRIAL.replace("2 days", "5 hours"), replace=True)
    assert trial.goals.report("Trial", as_of=LATER).completions == 1
    with pytest.raises(NotFound):
        trial.goals.report("Nope")
    with pytest.raises(ValidationError, match="bucket"):
        trial.goals.report("Trial", bucket="year")  # type: ignore[arg-type]
    with pytest.raises(DslError):
        trial.goals.define('goal "Bad": target')
    trial.goals.delete("Trial")
    assert trial.goals.list().empty
    assert isinstance(trial.goals.list(), pd.DataFrame)


def test_misspelt_names_in_a_goal_are_errors_with_suggestions(ws: Workspace) -> None:
    with pytest.raises(DslError) as caught:
        ws.goals.define('goal "G": start page_view where ulr contains "/pricing" target signup')
    assert caught.value.message == "unknown property 'ulr' of page_view events"
    assert (caught.value.column, caught.value.suggestion) == (33, "url")
    with pytest.raises(DslError, match="unknown event type 'sigup'") as caught:
        ws.goals.define('goal "G": start page_view target sigup')
    assert caught.value.suggestion == "signup"
