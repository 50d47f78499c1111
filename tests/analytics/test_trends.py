"""Trends and retention, one hand-made case per corner: calendar edges (UTC, weeks start on
Monday, partial periods marked), measures, breakdowns, comparison, cohorts and errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine import Workspace
from engine.analytics.retention import RetentionSpec
from engine.analytics.retention import spec_from as retention_spec
from engine.analytics.trends import TrendSeries, spec_from
from engine.clock import utcnow
from kith_errors import DslNameError, NotFound, ValidationError
from tests.analytics.events import T0, put_events

# T0 is Sunday 2026-03-01 09:00 UTC; Monday 2026-03-02 begins the next week.
SUNDAY, MONDAY = 0, 15


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def hours_at(text: str) -> float:
    return (moment(text) - T0).total_seconds() / 3600


def trend(ws: Workspace, *series: str, **fields: Any) -> list[dict[str, Any]]:
    spec = spec_from(series=list(series), **fields)
    return ws.trends.run(spec).points.to_dict("records")


def values(points: list[dict[str, Any]]) -> list[tuple[str, Any, bool]]:
    return [(p["period"].strftime("%Y-%m-%d %H:%M"), p["value"], p["partial"]) for p in points]


def test_weeks_start_on_monday_and_partial_weeks_are_marked(ws: Workspace) -> None:
    put_events(ws, [(1, "a", SUNDAY), (1, "a", MONDAY), (2, "a", MONDAY + 24 * 7)])
    points = trend(
        ws,
        "a",
        interval="week",
        start="2026-02-25",
        end="2026-03-10",
        as_of=T0 + dt.timedelta(days=60),
    )
    assert values(points) == [
        ("2026-02-23 00:00", 1, True),  # Wed 25 Feb to Sun 1 Mar: part of the week
        ("2026-03-02 00:00", 1, False),
        ("2026-03-09 00:00", 1, True),  # ends on Tue 10 Mar (its whole day)
    ]


def test_month_edges_and_the_running_period(ws: Workspace) -> None:
    put_events(
        ws,
        [
            (1, "a", hours_at("2026-03-31T23:59:59")),
            (1, "a", hours_at("2026-04-01T00:00:00")),
            (1, "a", hours_at("2026-04-20T00:00:00")),
        ],
    )
    points = trend(ws, "a", interval="month", start="2026-03-01", as_of=moment("2026-04-15T00:00"))
    assert values(points) == [("2026-03-01 00:00", 1, False), ("2026-04-01 00:00", 1, True)]


def test_hours_and_an_event_exactly_at_as_of(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "a", 0.5), (2, "a", 1), (2, "a", 2)])
    points = trend(
        ws, "a", "people of a", interval="hour", start=T0, as_of=T0 + dt.timedelta(hours=1)
    )
    assert [(p["label"], p["value"]) for p in points] == [
        ("a", 2),
        ("a", 1),
        ("people of a", 1),
        ("people of a", 1),
    ]
    assert [p["partial"] for p in points] == [False, True, False, True]


def test_sum_and_per_person_average_and_median(ws: Workspace) -> None:
    put_events(
        ws,
        [
            (1, "purchase", 0, {"amount": 10}),
            (1, "purchase", 1, {"amount": 20.5}),
            (2, "purchase", 2, {"amount": 5}),
            (3, "purchase", 3, {"amount": 100}),
            (4, "purchase", 4),  # no amount: counted as an event, not in the per-person figures
        ],
    )
    run = {
        "interval": "day",
        "start": "2026-03-01",
        "end": "2026-03-01",
        "as_of": T0 + dt.timedelta(days=2),
    }
    series = ["purchase", "people of purchase", "sum amount of purchase"]
    series += ["avg amount of purchase", "median amount of purchase"]
    got = [p["value"] for p in trend(ws, *series, **run)]
    assert got == [5, 4, 135.5, pytest.approx(135.5 / 3), 30.5]


def test_a_series_filter_and_an_audience(ws: Workspace) -> None:
    put_events(ws, [(1, "purchase", 0, {"amount": 50}), (2, "purchase", 0, {"amount": 500})])
    ws.db.execute("UPDATE profiles SET country = 'ID' WHERE id = 2")
    run = {
        "interval": "day",
        "start": "2026-03-01",
        "end": "2026-03-01",
        "as_of": T0 + dt.timedelta(days=1),
    }
    assert [p["value"] for p in trend(ws, "purchase where amount > 100", **run)] == [1]
    assert [p["value"] for p in trend(ws, "purchase", audience='country = "ID"', **run)] == [1]
    assert [p["value"] for p in trend(ws, "purchase", audience='country = "US"', **run)] == [0]


def test_breakdown_keeps_the_top_values_and_groups_the_rest(ws: Workspace) -> None:
    rows = [
        (p, "a", 0, {"plan": plan})
        for p, plan in [(1, "pro"), (2, "pro"), (3, "team"), (4, "free")]
    ]
    put_events(ws, [*rows, (5, "a", 0)])
    run = {
        "interval": "day",
        "start": "2026-03-01",
        "end": "2026-03-01",
        "as_of": T0 + dt.timedelta(days=1),
    }
    points = trend(ws, "a", breakdown="event.plan", top=2, **run)
    assert [(p["breakdown"], p["value"]) for p in points] == [
        ("pro", 2),
        ("free", 1),  # ties with "team" for second place: by value
        ("(other)", 1),
        (None, 1),
    ]


def test_compare_with_the_previous_range(ws: Workspace) -> None:
    put_events(
        ws, [(1, "a", 0), (1, "a", 24), (2, "a", 24 * 3), (2, "a", 24 * 4), (3, "a", 24 * 4)]
    )
    points = trend(
        ws,
        "a",
        interval="day",
        start="2026-03-04",
        end="2026-03-05",
        compare=True,
        as_of=T0 + dt.timedelta(days=9),
    )
    got = [
        (p["period"].day, p["value"], p["previous_period"].day, p["previous_value"]) for p in points
    ]
    assert got == [(4, 1, 2, 1), (5, 2, 3, 0)]


def test_trend_as_dict_is_plain_json(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0)])
    spec = spec_from(
        series=["a"],
        interval="day",
        start="2026-03-01",
        end="2026-03-01",
        as_of=T0 + dt.timedelta(days=1),
    )
    answer = ws.trends.run(spec).as_dict()
    assert answer == {
        "interval": "day",
        "start": "2026-03-01T00:00:00",
        "end": "2026-03-02T00:00:00",
        "points": [
            {
                "series": 0,
                "label": "a",
                "period": "2026-03-01T00:00:00",
                "value": 1,
                "partial": False,
            }
        ],
    }


def test_trend_errors_say_what_was_wrong(ws: Workspace) -> None:
    put_events(ws, [(1, "order", 0, {"amount": 5, "plan": "pro"})])
    as_of = T0 + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="'plan' is a string property of order events"):
        trend(ws, "sum plan of order", as_of=as_of)
    with pytest.raises(ValidationError, match=r"'amont' is an unknown .* \(its number .*: amount"):
        trend(ws, "avg amont of order", as_of=as_of)
    with pytest.raises(ValidationError, match="sum needs a property") as caught:
        spec_from(series=[{"event": "purchase", "measure": "sum"}])
    assert "Value error" not in str(caught.value)
    with pytest.raises(ValidationError, match="top"):
        spec_from(series=["purchase"], top=0)
    with pytest.raises(DslNameError, match="ordr"):
        trend(ws, "ordr", as_of=as_of)
    with pytest.raises(ValidationError, match="is empty"):
        trend(ws, "order", start="2026-03-05", end="2026-03-02", as_of=as_of)
    with pytest.raises(ValidationError, match="more than 5000 hours"):
        trend(ws, "order", interval="hour", start="2020-01-01", as_of=as_of)
    assert TrendSeries.parse('median amount of purchase where plan = "pro"').where == 'plan = "pro"'


# ---- retention --------------------------------------------------------------------------------


def retention(ws: Workspace, **fields: Any) -> list[tuple[str, int, list[int]]]:
    table = ws.retention.run(retention_spec(**fields)).table
    rows: dict[str, tuple[int, list[int]]] = {}
    for r in table.to_dict("records"):
        rows.setdefault(r["cohort"].strftime("%m-%d"), (r["size"], []))[1].append(r["retained"])
    return [(cohort, size, kept) for cohort, (size, kept) in rows.items()]


DAYS = {"start": "2026-03-01", "end": "2026-03-03", "interval": "day", "periods": 3}


def test_first_time_cohorts_and_the_triangle(ws: Workspace) -> None:
    put_events(
        ws,
        [
            (1, "signup", 0), (1, "visit", 24), (1, "visit", 72),
            (2, "signup", 24), (2, "visit", 24), (2, "signup", 48),
            (3, "signup", -48),  # first signup before the range: in no first-time cohort
            (3, "signup", 24),
        ],
    )  # fmt: skip
    as_of = T0 + dt.timedelta(days=2, hours=1)  # 3 Mar 10:00: the 3rd is running
    got = retention(ws, start_event="signup", return_event="visit", as_of=as_of, **DAYS)
    assert got == [("03-01", 1, [0, 1, 0]), ("03-02", 1, [1, 0])]
    table = ws.retention.run(
        retention_spec(start_event="signup", return_event="visit", as_of=as_of, **DAYS)
    ).table
    assert table["partial"].tolist() == [False, False, True, False, True]


def test_recurring_cohorts_count_every_start(ws: Workspace) -> None:
    put_events(ws, [(1, "signup", 0), (1, "signup", 24), (1, "visit", 48), (2, "signup", 24)])
    as_of = T0 + dt.timedelta(days=5)
    got = retention(
        ws, start_event="signup", return_event="visit", cohort="recurring", as_of=as_of, **DAYS
    )
    assert got == [("03-01", 1, [0, 0, 1, 0]), ("03-02", 2, [0, 1, 0, 0])]


def test_the_curve_weights_cohorts_by_size_and_skips_running_periods(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "a", 24), (2, "a", 24), (3, "a", 24), (3, "a", 48)])
    as_of = T0 + dt.timedelta(days=2, hours=1)
    result = ws.retention.run(retention_spec(start_event="a", as_of=as_of, **DAYS))
    curve = result.curve.to_dict("records")
    assert [(c["k"], c["size"], c["retained"], c["partial"]) for c in curve] == [
        (0, 3, 3, False),  # cohorts of 1 and 2 Mar; 3 Mar has no first-timers
        (1, 1, 1, False),  # only the 1 Mar cohort's day 1 is over
        (2, 1, 0, True),  # 3 Mar, still running
    ]
    assert list(result.triangle().columns) == ["cohort", "size", "period 0", "period 1", "period 2"]


def test_retention_breakdown_by_a_profile_property(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0), (1, "a", 24), (2, "a", 0), (3, "a", 0)])
    ws.db.execute("UPDATE profiles SET country = 'ID' WHERE id IN (1, 2)")
    as_of = T0 + dt.timedelta(days=5)
    table = ws.retention.run(
        retention_spec(start_event="a", breakdown="country", as_of=as_of, **DAYS)
    ).table
    first = table[table["k"] == 1]
    assert [(r["breakdown"], r["size"], r["retained"]) for r in first.to_dict("records")] == [
        ("ID", 2, 1),
        (None, 1, 0),
    ]


def test_a_cohort_of_people_entering_a_segment(ws: Workspace) -> None:
    now = utcnow()
    put_events(ws, [(1, "visit", hours_at(now.isoformat()) - 0.01), (2, "visit", -24)])
    ws.segments.save("vip", kind="static")
    ws.segments.add_members("vip", [1, 2], actor="test")
    spec = RetentionSpec(start_segment="vip", return_event="visit", interval="day", periods=1)
    table = ws.retention.run(spec).table
    assert table[["size", "k", "retained"]].to_dict("records")[0] == {
        "size": 2,
        "k": 0,
        "retained": 1,
    }


def test_retention_errors_say_what_was_wrong(ws: Workspace) -> None:
    put_events(ws, [(1, "a", 0)])
    with pytest.raises(ValidationError, match="not both") as caught:
        retention_spec(start_event="a", start_segment="vip", return_event="a")
    assert str(caught.value).startswith("retention: give a starting event")
    with pytest.raises(ValidationError, match="needs a returning event"):
        retention_spec(start_segment="vip")
    with pytest.raises(ValidationError, match="profile property"):
        retention_spec(start_event="a", breakdown="event.plan")
    with pytest.raises(NotFound):
        ws.retention.run(retention_spec(start_segment="nope", return_event="a"))
    with pytest.raises(DslNameError, match="unknown event type 'b'"):
        ws.retention.run(retention_spec(start_event="a", return_event="b"))
