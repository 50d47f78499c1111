"""The SQL trends and retention against the pure-Python reference on random small datasets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Workspace
from engine.analytics.retention import RetentionSpec
from engine.analytics.trends import TrendSeries, TrendSpec
from tests.analytics import reference_funnel as ref_funnel
from tests.analytics import reference_trends as ref
from tests.analytics.events import T0, put_events

TYPES = ("a", "b")
SPAN_HOURS = {"hour": 60, "day": 24 * 20, "week": 24 * 7 * 9, "month": 24 * 150}
COUNTRIES = ("ID", "US", "BR", None)

_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    path: Path = tmp_path_factory.mktemp("trend-differential") / "kith.duckdb"
    ws = Workspace.open(path)
    for name in TYPES:
        ws.catalog.register_event_type(name, properties={"v": "number"})
    yield ws
    ws.close()


@st.composite
def datasets(draw: st.DrawFn, interval: str) -> dict[str, Any]:
    """Events over a span fitting the interval, each profile's country, a range and as_of."""
    span = SPAN_HOURS[interval]
    row = st.tuples(
        st.integers(1, 5),
        st.sampled_from(TYPES),
        st.integers(0, span),
        st.one_of(st.none(), st.integers(0, 9)),
    )
    rows = draw(st.lists(row, max_size=30))
    low = draw(st.integers(0, span // 2))
    high = draw(st.integers(low + 1, span + 24))
    return {
        "rows": rows,
        "country": {p: draw(st.sampled_from(COUNTRIES)) for p in range(1, 6)},
        "window": (T0 + dt.timedelta(hours=low), T0 + dt.timedelta(hours=high)),
        "as_of": T0 + dt.timedelta(hours=draw(st.integers(span // 2, span + 48))),
    }


def load(ws: Workspace, data: dict[str, Any]) -> list[ref_funnel.Ev]:
    ws.db.execute("DELETE FROM events")
    ws.db.execute("DELETE FROM profiles")
    rows = [(p, t, h, {} if v is None else {"v": v}) for p, t, h, v in data["rows"]]
    if not rows:
        return []
    put_events(ws, rows)
    for person, country in data["country"].items():
        ws.db.execute("UPDATE profiles SET country = $c WHERE id = $p", {"c": country, "p": person})
    first = int(ws.db.scalar("SELECT min(id) FROM events"))
    return [
        ref_funnel.Ev(first + i, p, t, T0 + dt.timedelta(hours=h), props)
        for i, (p, t, h, props) in enumerate(rows)
    ]


series_strategy = st.lists(
    st.tuples(
        st.sampled_from(TYPES),
        st.one_of(st.none(), st.integers(0, 5)),
        st.sampled_from(("count", "people", "sum", "avg", "median")),
    ),
    min_size=1,
    max_size=3,
)


def as_series(event: str, above: int | None, measure: str) -> TrendSeries:
    where = None if above is None else f"v > {above}"
    prop = "v" if measure in ("sum", "avg", "median") else None
    return TrendSeries(event=event, where=where, measure=measure, property=prop)  # type: ignore[arg-type]


@_SETTINGS
@given(data=st.data(), interval=st.sampled_from(("hour", "day", "week", "month")))
def test_sql_trends_match_the_reference(
    workspace: Workspace, data: st.DataObject, interval: str
) -> None:
    dataset = data.draw(datasets(interval))
    chosen = data.draw(series_strategy)
    broken_down, top = data.draw(st.booleans()), data.draw(st.integers(1, 3))
    events = load(workspace, dataset)
    spec = TrendSpec(
        series=[as_series(*s) for s in chosen],
        interval=interval,  # type: ignore[arg-type]
        start=dataset["window"][0],
        end=dataset["window"][1],
        breakdown="country" if broken_down else None,
        top=top,
        as_of=dataset["as_of"],
    )
    if dataset["window"][0] > dataset["as_of"]:
        return  # an empty range: an error, covered by the golden cases
    points = workspace.trends.run(spec).points
    expected = ref.trend(
        events,
        [ref.Series(ref_funnel.Step(t, above), m) for t, above, m in chosen],
        interval,
        dataset["window"],
        dataset["as_of"],
        dataset["country"] if broken_down else None,
        top,
    )
    got = {
        (r["series"], r.get("breakdown"), r["period"].to_pydatetime()): r["value"]
        for r in points.to_dict("records")
    }
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key
    for (i, group, period), value in got.items():  # a quiet period: 0, or None for averages
        want = expected.get((i, group, period), None if chosen[i][2] in ("avg", "median") else 0)
        assert value == (None if want is None else pytest.approx(want)), (i, group, period)


@_SETTINGS
@given(
    data=st.data(),
    interval=st.sampled_from(("day", "week", "month")),
    cohort=st.sampled_from(("first_time", "recurring")),
)
def test_sql_retention_matches_the_reference(
    workspace: Workspace, data: st.DataObject, interval: str, cohort: str
) -> None:
    dataset = data.draw(datasets(interval))
    start, back = data.draw(st.sampled_from(TYPES)), data.draw(st.sampled_from(TYPES))
    above = data.draw(st.one_of(st.none(), st.integers(0, 5)))
    broken_down, top = data.draw(st.booleans()), data.draw(st.integers(1, 3))
    count = data.draw(st.integers(1, 6))
    events = load(workspace, dataset)
    if dataset["window"][0] > dataset["as_of"]:
        return
    spec = RetentionSpec(
        start_event=start if above is None else f"{start} where v > {above}",
        return_event=back,
        interval=interval,  # type: ignore[arg-type]
        periods=count,
        start=dataset["window"][0],
        end=dataset["window"][1],
        cohort=cohort,  # type: ignore[arg-type]
        breakdown="country" if broken_down else None,
        top=top,
        as_of=dataset["as_of"],
    )
    table = workspace.retention.run(spec).table
    expected = ref.retention(
        events,
        ref_funnel.Step(start, above),
        ref_funnel.Step(back),
        interval,
        (dataset["window"][0], min(dataset["window"][1], dataset["as_of"] + _TICK)),
        dataset["as_of"],
        cohort,
        count,
        dataset["country"] if broken_down else None,
        top,
    )
    got: dict[tuple[dt.datetime, Any], dict[str, Any]] = {}
    for r in table.to_dict("records"):
        cell = got.setdefault(
            (r["cohort"].to_pydatetime(), r.get("breakdown")), {"size": r["size"], "retained": []}
        )
        cell["retained"].append(r["retained"])
    assert got == expected


_TICK = dt.timedelta(microseconds=1)
