"""The retention query: one SELECT built as a sqlglot tree, every value a bound parameter.

`starts`: the moments people did the starting event (or entered the saved segment); `cohorts`:
one row per person and cohort period (first-time: only the period of their first start ever;
recurring: every period they started in), with the breakdown value; `returns`: the periods in
which people did the returning event. The answer: each cohort's size (k NULL), and per later
period k = 0, 1, ... how many of its people returned then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlglot import exp

from engine.analytics.funnel_query import Breakdown, breakdown_value
from engine.analytics.params import Compiled, Params
from engine.analytics.trend_query import OTHER


@dataclass(frozen=True)
class Point:
    """Where people start or return: an event type with its compiled filter, or (start only)
    the id of a saved segment they entered."""

    event: str | None
    condition: Compiled | None = None
    segment_id: int | None = None


@dataclass(frozen=True)
class RetentionQuery:
    start: Point
    back: Point
    interval: str
    low: dt.datetime  # cohorts from the period holding the range's start...
    high: dt.datetime  # ...to the range's end
    as_of: dt.datetime
    cohort: Literal["first_time", "recurring"]
    audience: Compiled | None
    breakdown: Breakdown | None
    top: int


def _col(table: str, name: str) -> exp.Column:
    return exp.column(name, table=table)


def _as(expression: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(expression, name)


def _period(q: RetentionQuery, ts: exp.Expr) -> exp.DateTrunc:
    return exp.DateTrunc(unit=exp.Literal.string(q.interval), this=ts)


def _event_rows(q: RetentionQuery, point: Point, params: Params) -> exp.Select:
    """person, ts of the point's events, visible at as_of and inside the audience."""
    conditions: list[exp.Expr] = [
        exp.EQ(this=_col("e", "type"), expression=params(point.event)),
        exp.LTE(this=_col("e", "ts"), expression=params(q.as_of)),
    ]
    if point.condition is not None:
        conditions.append(params.adopt(point.condition))
    if q.audience is not None:
        members = exp.Subquery(this=params.adopt(q.audience))
        conditions.append(exp.In(this=_col("e", "profile_id"), query=members))
    return (
        exp.select(_as(_col("e", "profile_id"), "person"), _as(_col("e", "ts"), "ts"))
        .from_(exp.to_table("events").as_("e"))
        .where(exp.and_(*conditions))
    )


def _segment_rows(q: RetentionQuery, segment_id: int, params: Params) -> exp.Select:
    """person, ts of every entry into the saved segment, visible at as_of."""
    conditions: list[exp.Expr] = [
        exp.EQ(this=_col("h", "segment_id"), expression=params(segment_id)),
        exp.EQ(this=_col("h", "change"), expression=params("entered")),
        exp.LTE(this=_col("h", "changed_at"), expression=params(q.as_of)),
    ]
    if q.audience is not None:
        members = exp.Subquery(this=params.adopt(q.audience))
        conditions.append(exp.In(this=_col("h", "profile_id"), query=members))
    return (
        exp.select(_as(_col("h", "profile_id"), "person"), _as(_col("h", "changed_at"), "ts"))
        .from_(exp.to_table("segment_history").as_("h"))
        .where(exp.and_(*conditions))
    )


def _cohorts(q: RetentionQuery, params: Params) -> exp.Select:
    """person, cohort: the period of the first start ever, or of every start."""
    period = _period(q, exp.column("ts"))
    if q.cohort == "first_time":
        cohort = exp.Min(this=period)
        select = exp.select("person", _as(cohort, "cohort")).from_("starts").group_by("person")
        inside = exp.and_(
            exp.GTE(this=cohort.copy(), expression=params(q.low)),
            exp.LT(this=cohort.copy(), expression=params(q.high)),
        )
        return select.having(inside)
    inside = exp.and_(
        exp.GTE(this=exp.column("ts"), expression=params(q.low)),
        exp.LT(this=exp.column("ts"), expression=params(q.high)),
    )
    return exp.select("person", _as(period, "cohort")).distinct().from_("starts").where(inside)


def _labelled(q: RetentionQuery, params: Params) -> exp.Select:
    """The cohorts with their raw breakdown value (a profile property)."""
    if q.breakdown is None:
        return exp.select("person", "cohort", _as(exp.Null(), "raw")).from_("cohorts")
    on = exp.EQ(this=_col("p", "id"), expression=_col("c", "person"))
    return (
        exp.select(_col("c", "person"), _col("c", "cohort"))
        .select(_as(breakdown_value(q.breakdown, params), "raw"))
        .from_(exp.to_table("cohorts").as_("c"))
        .join(exp.to_table("profiles").as_("p"), on=on, join_type="left")
    )


def _top(q: RetentionQuery, params: Params) -> exp.Select:
    """The breakdown values with the most people starting (ties: by value)."""
    order = [
        exp.Ordered(this=exp.Count(this=exp.Star()), desc=True),
        exp.Ordered(this=exp.column("raw")),
    ]
    return (
        exp.select("raw")
        .from_("labelled")
        .where(exp.column("raw").is_(exp.Null()).not_())
        .group_by("raw")
        .order_by(*order)
        .limit(params(q.top))
    )


def _grouped(q: RetentionQuery, params: Params) -> exp.Select:
    if q.breakdown is None:
        return exp.select("person", "cohort", _as(exp.Null(), "grp")).from_("labelled")
    in_top = exp.In(this=exp.column("raw"), query=exp.Subquery(this=exp.select("raw").from_("top")))
    grp = (
        exp.Case()
        .when(exp.column("raw").is_(exp.Null()), exp.Null())
        .when(in_top, exp.column("raw"))
        .else_(params(OTHER))
    )
    return exp.select("person", "cohort", _as(grp, "grp")).from_("labelled")


def _returns(q: RetentionQuery, params: Params) -> exp.Select:
    """person, period: the periods people did the returning event in, from the first cohort."""
    rows = _event_rows(q, q.back, params)
    rows = rows.where(exp.GTE(this=_col("e", "ts"), expression=params(q.low)))
    return (
        exp.select("person", _as(_period(q, exp.column("ts")), "period"))
        .distinct()
        .from_(rows.subquery("r"))
    )


def retention_query(q: RetentionQuery) -> tuple[exp.Select, dict[str, object]]:
    """cohort, grp, k (NULL: the cohort's size), people."""
    params = Params("rt")
    if q.start.segment_id is not None:
        starts = _segment_rows(q, q.start.segment_id, params)
    else:
        starts = _event_rows(q, q.start, params)
    size = (
        exp.select("cohort", "grp", _as(exp.Null(), "k"), _as(exp.Count(this=exp.Star()), "people"))
        .from_("grouped")
        .group_by("cohort", "grp")
    )
    k = exp.DateDiff(
        this=_col("r", "period"), expression=_col("g", "cohort"), unit=exp.var(q.interval)
    )
    on = exp.and_(
        exp.EQ(this=_col("r", "person"), expression=_col("g", "person")),
        exp.GTE(this=_col("r", "period"), expression=_col("g", "cohort")),
    )
    back = (
        exp.select(_col("g", "cohort"), _col("g", "grp"), _as(k, "k"))
        .select(_as(exp.Count(this=exp.Star()), "people"))  # (person, cohort, period) unique
        .from_(exp.to_table("grouped").as_("g"))
        .join(exp.to_table("returns").as_("r"), on=on)
        .group_by(exp.column("cohort", table="g"), exp.column("grp", table="g"), exp.column("k"))
    )
    query = exp.union(size, back, distinct=False)
    ctes = [
        ("starts", starts),
        ("cohorts", _cohorts(q, params)),
        ("labelled", _labelled(q, params)),
    ]
    if q.breakdown is not None:
        ctes.append(("top", _top(q, params)))
    ctes += [("grouped", _grouped(q, params)), ("returns", _returns(q, params))]
    select = exp.select("*").from_(query.subquery("x"))
    for name, cte in ctes:
        select = select.with_(name, as_=cte)
    return select, params.values
