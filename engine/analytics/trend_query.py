"""The trends query: one SELECT built as a sqlglot tree, every value a bound parameter.

`ev`: every series' matching events in the range (and, to compare, the range before it),
grouped per period and person (with an event breakdown, per value too): the events and their
property's total; `labelled`: the same with the breakdown value (a profile property is joined
after grouping); `top`: the values with the most events in the range; `people`: one row per
series, period, grouped value and person; then one row per series, period and value with every
measure, so the caller picks each series' own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlglot import exp

from engine.analytics.funnel_query import Breakdown, breakdown_value
from engine.analytics.params import Compiled, Params

OTHER = "(other)"  # the breakdown values outside the top N, together
_MONEY = exp.DataType.build("DECIMAL(38, 6)")  # exact sums: the same answer on every run


@dataclass(frozen=True)
class SeriesQuery:
    """One series: its event type, compiled `where` (if any) and measured property path."""

    event: str
    condition: Compiled | None
    property: str | None


@dataclass(frozen=True)
class TrendQuery:
    series: list[SeriesQuery]
    interval: str
    low: dt.datetime  # the start of the compared range, or of the range itself
    start: dt.datetime
    end: dt.datetime
    as_of: dt.datetime
    audience: Compiled | None
    breakdown: Breakdown | None
    top: int


def _col(table: str, name: str) -> exp.Column:
    return exp.column(name, table=table)


def _as(expression: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(expression, name)


def _series_events(q: TrendQuery, i: int, params: Params) -> exp.Select:
    """Series i's events, one row per range (cur: the range, not the compared one), period and
    person (and, for an event breakdown, value raw): n events and v, their property's total."""
    series, ts = q.series[i], _col("e", "ts")
    keys: dict[str, exp.Expr] = {
        "cur": exp.GTE(this=ts.copy(), expression=params(q.start)),
        "period": exp.DateTrunc(unit=exp.Literal.string(q.interval), this=ts.copy()),
        "person": _col("e", "profile_id"),
    }
    if q.breakdown is not None and q.breakdown.kind == "event":
        keys["raw"] = breakdown_value(q.breakdown, params)
    v = exp.Sum(this=_value(series, params))
    select = (
        exp.select(_as(exp.Literal.number(i), "s"), *[_as(e, name) for name, e in keys.items()])
        .select(_as(exp.Count(this=exp.Star()), "n"), _as(v, "v"))
        .from_(exp.to_table("events").as_("e"))
        .where(exp.and_(*_conditions(q, series, params)))
    )
    return select.group_by(*[e.copy() for e in keys.values()])


def _labelled(q: TrendQuery, params: Params) -> exp.Select:
    """The per-person rows with raw, the breakdown value: a profile property is joined here,
    after grouping, so each person is looked up once per period."""
    if q.breakdown is None:
        return exp.select("*", _as(exp.Null(), "raw")).from_("ev")
    if q.breakdown.kind == "event":
        return exp.select("*").from_("ev")
    on = exp.EQ(this=_col("p", "id"), expression=_col("ev", "person"))
    raw = breakdown_value(q.breakdown, params)
    return (
        exp.select(*[_col("ev", c) for c in ("s", "cur", "period", "person", "n", "v")])
        .select(_as(raw, "raw"))
        .from_("ev")
        .join(exp.to_table("profiles").as_("p"), on=on, join_type="left")
    )


def _value(series: SeriesQuery, params: Params) -> exp.Expr:
    if series.property is None:
        return exp.Null()
    path = params("$." + series.property)
    text = exp.JSONExtractScalar(this=_col("e", "properties"), expression=path)
    return exp.TryCast(this=text, to=_MONEY.copy())


def _conditions(q: TrendQuery, series: SeriesQuery, params: Params) -> list[exp.Expr]:
    ts = _col("e", "ts")
    conditions: list[exp.Expr] = [
        exp.EQ(this=_col("e", "type"), expression=params(series.event)),
        exp.GTE(this=ts.copy(), expression=params(q.low)),
        exp.LT(this=ts.copy(), expression=params(q.end)),
        exp.LTE(this=ts.copy(), expression=params(q.as_of)),
    ]
    if series.condition is not None:
        conditions.append(params.adopt(series.condition))
    if q.audience is not None:
        members = exp.Subquery(this=params.adopt(q.audience))
        conditions.append(exp.In(this=_col("e", "profile_id"), query=members))
    return conditions


def _top(q: TrendQuery, params: Params) -> exp.Select:
    """The `top` breakdown values with the most events in the range (ties: by value)."""
    order = [
        exp.Ordered(this=exp.Sum(this=exp.column("n")), desc=True),
        exp.Ordered(this=exp.column("raw")),
    ]
    return (
        exp.select("raw")
        .from_("labelled")
        .where(exp.and_(exp.column("cur"), exp.column("raw").is_(exp.Null()).not_()))
        .group_by("raw")
        .order_by(*order)
        .limit(params(q.top))
    )


def _grouped(params: Params) -> exp.Expr:
    """The breakdown value, with every value outside the top N as OTHER (no value stays NULL)."""
    in_top = exp.In(this=exp.column("raw"), query=exp.Subquery(this=exp.select("raw").from_("top")))
    return (
        exp.Case()
        .when(exp.column("raw").is_(exp.Null()), exp.Null())
        .when(in_top, exp.column("raw"))
        .else_(params(OTHER))
    )


def _per_person(q: TrendQuery, params: Params) -> exp.Select:
    """One row per series, range, period, grouped breakdown value and person. Only an event
    breakdown can put one person in a group twice (two values folded into "(other)")."""
    grouped = exp.Null() if q.breakdown is None else _grouped(params)
    labelled = exp.select("*", _as(grouped, "grp")).from_("labelled")
    if q.breakdown is None or q.breakdown.kind != "event":
        return labelled
    keys = ["s", "cur", "period", "grp", "person"]
    return (
        exp.select(*keys)
        .select(
            _as(exp.Sum(this=exp.column("n")), "n"),
            _as(exp.Sum(this=exp.column("v")), "v"),
        )
        .from_(labelled.subquery("g"))
        .group_by(*keys)
    )


def trend_query(q: TrendQuery) -> tuple[exp.Select, dict[str, object]]:
    """s, cur, period, grp, events, people, total, per_person_avg, per_person_median."""
    params = Params("tr")
    parts = [_series_events(q, i, params) for i in range(len(q.series))]
    events = parts[0] if len(parts) == 1 else exp.union(*parts, distinct=False)
    v = exp.column("v")
    select = (
        exp.select("s", "cur", "period", "grp")
        .select(
            _as(exp.Sum(this=exp.column("n")), "events"),
            _as(exp.Count(this=exp.Star()), "people"),
            _as(exp.Sum(this=v.copy()), "total"),
            _as(exp.Avg(this=v.copy()), "per_person_avg"),
            _as(exp.func("median", v.copy()), "per_person_median"),
        )
        .from_("people")
        .group_by("s", "cur", "period", "grp")
        .with_("ev", as_=events)
    )
    select = select.with_("labelled", as_=_labelled(q, params))
    if q.breakdown is not None:
        select = select.with_("top", as_=_top(q, params))
    select = select.with_("people", as_=_per_person(q, params))
    return select, params.values
