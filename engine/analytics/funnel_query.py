"""The funnel query: one SELECT built as a sqlglot tree, every value a bound parameter.

Per-step matching events (s1..sN); an attempt per step-1 event (or, unordered, per step event)
with the time each later step was reached (t2..tN); attempts voided by an exclusion removed; then
the best attempt per profile and breakdown value. `summary` and `drilldown` read that result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlglot import exp

from dsl.ast import EventMatch
from engine.analytics.funnel_spec import Exclusion, FunnelSpec, FunnelStep
from engine.analytics.funnel_unordered import Group, first_times, reach_times, step_groups
from engine.analytics.params import Compiled, Params

# One SELECT: per-step matching events (s1..sN), an attempt per step-1 event (or per step event in
# unordered mode) with the time each later step was reached (t2..tN), voided attempts removed,
# then the best attempt per profile (and breakdown value).

EventFilter = Callable[[str, EventMatch], Compiled | None]  # (events alias, a step's match)


@dataclass(frozen=True)
class Breakdown:
    """`event`: a property of the step-1 event; `column`/`json`: a profile property. With
    `keep`, values other than those (and no value) are grouped as OTHER."""

    kind: Literal["event", "column", "json"]
    name: str
    keep: tuple[str, ...] | None = None


OTHER = "(other)"


@dataclass
class QueryContext:
    as_of: dt.datetime
    start: dt.datetime | None
    end: dt.datetime | None
    within: dt.timedelta
    event_filter: EventFilter
    audience: Compiled | None
    breakdown: Breakdown | None
    params: Params = field(default_factory=lambda: Params("fn"))


_Cte = tuple[str, exp.Query]
_ATTEMPT_KEYS = ("profile_id", "id1", "t1", "bd")


def _col(table: str, name: str) -> exp.Column:
    return exp.column(name, table=table)


def _table(name: str, alias: str | None = None) -> exp.Expr:
    table = exp.to_table(name)
    return table.as_(alias) if alias else table


def _as(expression: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(expression, name)


def _in(column: exp.Expr, query: exp.Expr) -> exp.In:
    return exp.In(this=column, query=exp.Subquery(this=query))


def _one() -> exp.Expr:
    return exp.Literal.number(1)


def _and(*conditions: exp.Expr | None) -> exp.Expr:
    return exp.and_(*[c for c in conditions if c is not None])


def _bounds(ctx: QueryContext, first: bool) -> list[exp.Expr | None]:
    """The time conditions on events `e`: visible by as_of, and inside the date range (later
    steps may run up to a window past its end)."""
    ts = _col("e", "ts")
    where: list[exp.Expr | None] = [
        exp.LTE(this=ts, expression=ctx.params(ctx.as_of)),
        exp.GTE(this=ts, expression=ctx.params(ctx.start)) if ctx.start else None,
    ]
    if ctx.end is not None:
        bound = ctx.end if first else ctx.end + ctx.within
        where.append(exp.LT(this=ts, expression=ctx.params(bound)))
    return where


def _matches(ctx: QueryContext, step: FunnelStep | Exclusion) -> exp.Expr:
    """Event `e` is of the step's type and passes its filter."""
    kind = exp.EQ(this=_col("e", "type"), expression=ctx.params(step.event))
    compiled = ctx.event_filter("e", step.match)
    return _and(kind, ctx.params.adopt(compiled) if compiled else None)


def _step_events(ctx: QueryContext, step: FunnelStep | Exclusion, first: bool) -> exp.Select:
    """Events matching one step: profile_id, id, ts."""
    select = exp.select(_col("e", "profile_id"), _col("e", "id"), _col("e", "ts")).from_(
        _table("events", "e"), copy=False
    )
    return select.where(_and(_matches(ctx, step), *_bounds(ctx, first)), copy=False)


def _entry_events(ctx: QueryContext, step: FunnelStep) -> exp.Select:
    """Step-1 (entry) events: the date range's end, the audience and the breakdown apply."""
    return _with_entry(ctx, _step_events(ctx, step, first=True))


def _with_entry(ctx: QueryContext, select: exp.Select) -> exp.Select:
    """`select` over events `e` limited to the audience, with the breakdown value bd."""
    if ctx.audience is not None:
        audience = ctx.params.adopt(ctx.audience)
        select = select.where(_in(_col("e", "profile_id"), audience), copy=False)
    bd = _breakdown_value(ctx)
    if ctx.breakdown is not None and ctx.breakdown.kind != "event":
        on = exp.EQ(this=_col("p", "id"), expression=_col("e", "profile_id"))
        select = select.join(_table("profiles", "p"), on=on, join_type="left", copy=False)
    return select.select(_as(bd, "bd"), copy=False)


def _breakdown_value(ctx: QueryContext) -> exp.Expr:
    bd = ctx.breakdown
    if bd is None:
        return exp.Null()
    value = breakdown_value(bd, ctx.params)
    if bd.keep is None:
        return value
    kept = exp.In(this=value.copy(), expressions=[ctx.params(v) for v in bd.keep])
    missing = exp.Is(this=value.copy(), expression=exp.Null())
    return exp.If(this=exp.or_(kept, missing), true=value, false=ctx.params(OTHER))


def breakdown_value(bd: Breakdown, params: Params) -> exp.Expr:
    """The breakdown's text over events `e` (and, for a profile property, profiles `p`)."""
    if bd.kind == "column":
        return exp.Cast(this=_col("p", bd.name), to=exp.DataType.build("VARCHAR"))
    table, column = ("e", "properties") if bd.kind == "event" else ("p", "properties")
    if bd.kind == "event" and bd.name in ("channel", "source"):
        return _col("e", bd.name)
    path = params("$." + bd.name)
    return exp.JSONExtractScalar(this=_col(table, column), expression=path)


def _next_step(ctx: QueryContext, spec: FunnelSpec, k: int) -> exp.Select:
    """r{k}: for every attempt that reached step k-1, the earliest unused step-k event."""
    a, s = "a", "s"
    on = [
        exp.EQ(this=_col(s, "profile_id"), expression=_col(a, "profile_id")),
        exp.GTE(this=_col(s, "ts"), expression=_col(a, f"t{k - 1}")),
        exp.LTE(this=_col(s, "ts"), expression=_window_end(ctx, a)),
    ]
    for j in range(1, k):  # one event fills one step of an attempt
        if spec.steps[j - 1].event == spec.steps[k - 1].event:
            on.append(exp.NEQ(this=_col(s, "id"), expression=_col(a, f"id{j}")))
    carried = ["profile_id", "t1", *(f"{c}{j}" for j in range(2, k) for c in ("t", "id"))]
    first = exp.Tuple(expressions=[_col(s, "ts"), _col(s, "id")])
    return (
        exp.select(_col(a, "id1"))
        .select(exp.alias_(exp.Min(this=_col(s, "ts")), f"t{k}"), copy=False)
        .select(exp.alias_(exp.ArgMin(this=_col(s, "id"), expression=first), f"id{k}"), copy=False)
        .select(*[exp.alias_(exp.AnyValue(this=_col(a, c)), c) for c in carried], copy=False)
        .from_(_table("s1" if k == 2 else f"r{k - 1}", a), copy=False)
        .join(_table(f"s{k}", s), on=_and(*on), copy=False)
        .group_by(_col(a, "id1"), copy=False)
    )


def _window_end(ctx: QueryContext, alias: str) -> exp.Expr:
    return exp.Add(this=_col(alias, "t1"), expression=ctx.params(ctx.within))


def _ordered_attempts(ctx: QueryContext, spec: FunnelSpec) -> tuple[list[_Cte], exp.Select]:
    n = len(spec.steps)
    entry = _entry_events(ctx, spec.steps[0])
    ctes: list[_Cte] = [
        ("s1", entry.select(_as(_col("e", "id"), "id1"), _as(_col("e", "ts"), "t1"), copy=False))
    ]
    ctes += [(f"s{k}", _step_events(ctx, spec.steps[k - 1], first=False)) for k in range(2, n + 1)]
    ctes += [(f"r{k}", _next_step(ctx, spec, k)) for k in range(2, n + 1)]
    attempts = exp.select(*(_col("s1", c) for c in _ATTEMPT_KEYS)).from_(_table("s1"), copy=False)
    for k in range(2, n + 1):
        on = exp.EQ(this=_col(f"r{k}", "id1"), expression=_col("s1", "id1"))
        attempts = attempts.select(_col(f"r{k}", f"t{k}"), copy=False).join(
            _table(f"r{k}"), on=on, join_type="left", copy=False
        )
    if spec.order == "strict" and n > 1:
        ctes += [("loose", attempts), ("gaps", _strict_gaps(ctx, n))]
        attempts = _strict_cut(n)
    return ctes, attempts


def _strict_gaps(ctx: QueryContext, n: int) -> exp.Select:
    """Per ordered attempt, the first step k with another event of the profile strictly between
    steps k-1 and k. Strict mode takes the same events as ordered mode as far as it goes: the
    earliest next-step event either comes before any other event, or no event does."""
    ts, a = _col("e", "ts"), "a"
    gap = exp.Case()
    for k in range(2, n + 1):
        inside: exp.Expr = exp.LT(this=ts.copy(), expression=_col(a, f"t{k}"))
        if k > 2:
            inside = _and(exp.GT(this=ts.copy(), expression=_col(a, f"t{k - 1}")), inside)
        gap = gap.when(inside, _num(k), copy=False)
    last = exp.Coalesce(
        this=_col(a, f"t{n}"), expressions=[_col(a, f"t{k}") for k in range(n - 1, 1, -1)]
    )
    on = _and(
        exp.EQ(this=_col("e", "profile_id"), expression=_col(a, "profile_id")),
        exp.GT(this=ts.copy(), expression=_col(a, "t1")),
        exp.LT(this=ts.copy(), expression=last),
        *_bounds(ctx, first=False),
    )
    return (
        exp.select(_col(a, "id1"), _as(exp.Min(this=gap), "gap"))
        .from_(_table("loose", a), copy=False)
        .join(_table("events", "e"), on=on, copy=False)
        .group_by(_col(a, "id1"), copy=False)
    )


def _strict_cut(n: int) -> exp.Select:
    """The ordered attempts cut short at their first gap."""
    keep: list[exp.Expr] = [_col("a", c) for c in _ATTEMPT_KEYS]
    for k in range(2, n + 1):
        before = exp.GT(this=_col("g", "gap"), expression=_num(k))
        clean = exp.or_(exp.Is(this=_col("g", "gap"), expression=exp.Null()), before)
        keep.append(_as(exp.If(this=clean, true=_col("a", f"t{k}")), f"t{k}"))
    on = exp.EQ(this=_col("g", "id1"), expression=_col("a", "id1"))
    return (
        exp.select(*keep)
        .from_(_table("loose", "a"), copy=False)
        .join(_table("gaps", "g"), on=on, join_type="left", copy=False)
    )


def _unordered_attempts(ctx: QueryContext, spec: FunnelSpec) -> tuple[list[_Cte], exp.Select]:
    """An attempt per step event in the range; step k is reached when k steps have distinct
    events in the window (engine/analytics/funnel_unordered.py). Window columns over the
    profile's step events, no join of attempts to events."""
    groups = step_groups(spec.steps)
    keys = [exp.column(c) for c in ("profile_id", "id", "ts", "bd")]
    anyone = exp.or_(*(exp.column(f"m{g}") for g in range(len(groups))))
    firsts = exp.select(*keys, *first_times(groups)).from_(_table("u"), copy=False)
    window_end = exp.Add(this=exp.column("ts"), expression=ctx.params(ctx.within))
    reach = _as(reach_times(groups, window_end), "reach")
    inner = exp.select(*keys, reach).from_(_table("q"), copy=False)
    if ctx.end is not None:  # events after the range fill windows but begin no attempt
        inner = inner.where(exp.LT(this=exp.column("ts"), expression=ctx.params(ctx.end)))
    cols = [exp.column("profile_id"), _as(exp.column("id"), "id1"), _as(exp.column("ts"), "t1")]
    attempts = exp.select(*cols, exp.column("bd")).from_(inner.subquery("x"), copy=False)
    for k in range(2, len(spec.steps) + 1):
        kth = exp.Anonymous(this="list_extract", expressions=[exp.column("reach"), _num(k)])
        attempts = attempts.select(_as(kth, f"t{k}"), copy=False)
    ctes: list[_Cte] = [("u", _flagged_events(ctx, groups)), ("q", firsts.where(anyone))]
    return ctes, attempts


def _num(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def _flagged_events(ctx: QueryContext, groups: list[Group]) -> exp.Select:
    """Events of the steps' types in the range (and a window past it), with bd and m{g}:
    whether the event matches step group g."""
    kinds = [ctx.params(event) for event in dict.fromkeys(step.event for step, _ in groups)]
    flags = [_as(_matches(ctx, step), f"m{g}") for g, (step, _) in enumerate(groups)]
    select = exp.select(_col("e", "profile_id"), _col("e", "id"), _col("e", "ts"), *flags)
    select = select.from_(_table("events", "e"), copy=False)
    of_types = exp.In(this=_col("e", "type"), expressions=kinds)
    return _with_entry(ctx, select.where(_and(of_types, *_bounds(ctx, first=False)), copy=False))


def _exclusion_void(ctx: QueryContext, i: int, ex: Exclusion) -> exp.Select:
    """Attempts with excluded event i between its steps (to the window's end if not reached)."""
    ts, upper = _col("x", "ts"), _col("a", f"t{ex.upper}")
    open_end = _and(
        exp.Is(this=upper, expression=exp.Null()),
        exp.LTE(this=ts, expression=_window_end(ctx, "a")),
    )
    on = _and(
        exp.EQ(this=_col("x", "profile_id"), expression=_col("a", "profile_id")),
        exp.GT(this=ts, expression=_col("a", f"t{ex.after_step}")),
        exp.or_(exp.LT(this=ts, expression=upper), open_end),
    )
    return (
        exp.select(_col("a", "id1"))
        .from_(_table("attempts", "a"), copy=False)
        .join(_table(f"x{i}", "x"), on=on, copy=False)
    )


def _steps_reached(n: int) -> exp.Expr:
    total: exp.Expr = _one()
    for k in range(2, n + 1):
        reached = exp.Not(this=exp.Is(this=exp.column(f"t{k}"), expression=exp.Null()))
        total = exp.Add(
            this=total, expression=exp.If(this=reached, true=_one(), false=exp.Literal.number(0))
        )
    return total


def _aggregable(spec: FunnelSpec, ctx: QueryContext) -> bool:
    """Funnels whose best attempt is found by grouping instead of ranking every attempt: one or
    two ordered steps, no exclusions, no breakdown (goals are such funnels)."""
    plain = spec.order == "ordered" and not spec.exclusions and ctx.breakdown is None
    return plain and len(spec.steps) <= 2


def _earliest(table: str, *extra: str) -> exp.Select:
    """Per profile: the earliest attempt (t1, then id1) of `table`, with its `extra` columns."""
    key = exp.Tuple(expressions=[exp.column("t1"), exp.column("id1")])
    cols = [exp.alias_(exp.ArgMin(this=exp.column(c), expression=key), c) for c in extra]
    return (
        exp.select("profile_id", _as(exp.Min(this=exp.column("t1")), "t1"), *cols)
        .from_(_table(table), copy=False)
        .group_by("profile_id", copy=False)
    )


def _aggregated_best(spec: FunnelSpec, ctx: QueryContext) -> exp.Select:
    """The best attempt per profile by grouping: the earliest attempt that reached step 2,
    else the earliest attempt. One pass over each step's events, no window over attempts.
    No id1 column: nothing downstream reads it, and carrying it costs a wide aggregate."""
    entry = _entry_events(ctx, spec.steps[0])
    s1 = entry.select(_as(_col("e", "id"), "id1"), _as(_col("e", "ts"), "t1"), copy=False)
    firsts = _earliest("s1")
    query = exp.select("*").from_(_table("best"), copy=False).with_("s1", as_=s1, copy=False)
    if len(spec.steps) == 1:
        best = firsts.select(_as(exp.Null(), "bd"), _as(_one(), "n"), copy=False)
        return query.with_("best", as_=best, copy=False)
    ctes = [("s2", _step_events(ctx, spec.steps[1], first=False)), ("r2", _next_step(ctx, spec, 2))]
    ctes += [("firsts", firsts), ("done", _earliest("r2", "t2"))]
    on = exp.EQ(this=_col("d", "profile_id"), expression=_col("f", "profile_id"))
    reached = exp.Not(this=exp.Is(this=_col("d", "t2"), expression=exp.Null()))
    t1 = exp.Coalesce(this=_col("d", "t1"), expressions=[_col("f", "t1")])
    n = exp.If(this=reached, true=exp.Literal.number(2), false=_one())
    best = (
        exp.select(_col("f", "profile_id"), _as(exp.Null(), "bd"), _as(t1, "t1"), _col("d", "t2"))
        .select(_as(n, "n"), copy=False)
        .from_(_table("firsts", "f"), copy=False)
        .join(_table("done", "d"), on=on, join_type="left", copy=False)
    )
    for name, select in [*ctes, ("best", best)]:
        query = query.with_(name, as_=select, copy=False)
    return query


def best_attempts(spec: FunnelSpec, ctx: QueryContext) -> exp.Select:
    """SELECT profile_id, id1, bd, n (steps reached), t1..tN: the best attempt per profile and
    breakdown value, when it is clean. The furthest attempt decides: if every attempt that got
    that far is voided by an exclusion, the profile drops out entirely (docs/analytics.md)."""
    if _aggregable(spec, ctx):
        return _aggregated_best(spec, ctx)
    build = _unordered_attempts if spec.order == "unordered" else _ordered_attempts
    ctes, attempts = build(ctx, spec)
    ctes.append(("attempts", attempts))
    scored = exp.select("*", _as(_steps_reached(len(spec.steps)), "n")).from_(
        _table("attempts"), copy=False
    )
    if spec.exclusions:
        ctes += _void_ctes(ctx, spec)
        void_ids = exp.select("id1").from_(_table("void"), copy=False)
        scored = scored.select(_as(_in(exp.column("id1"), void_ids), "voided"), copy=False)
    ctes.append(("scored", scored))
    best = _best_of(_table("scored"), bool(spec.exclusions))
    if spec.exclusions:  # the furthest attempt was voided: the profile is out of the funnel
        ctes.append(("ranked", best))
        best = exp.select("*").from_(_table("ranked"), copy=False)
        best = best.where(exp.Not(this=exp.column("voided")), copy=False)
    query = exp.select("*").from_(_table("best"), copy=False)
    for name, select in [*ctes, ("best", best)]:
        query = query.with_(name, as_=select, copy=False)
    return query


def _void_ctes(ctx: QueryContext, spec: FunnelSpec) -> list[_Cte]:
    """x{i}: each exclusion's events; void: the ids of the attempts they void."""
    ctes: list[_Cte] = [
        (f"x{i}", _step_events(ctx, ex, first=False)) for i, ex in enumerate(spec.exclusions)
    ]
    voids = [_exclusion_void(ctx, i, ex) for i, ex in enumerate(spec.exclusions)]
    union = exp.union(*voids, distinct=False, copy=False) if len(voids) > 1 else voids[0]
    return [*ctes, ("void", union)]


def _best_of(attempts: exp.Expr, with_voided: bool) -> exp.Select:
    """The best attempt per profile and breakdown value: most steps first; among equals a
    clean attempt before a voided one; then the earliest, then the lowest step-1 event id. One
    hash aggregate keeping the row with the least such key, not a window sort of every
    attempt."""
    keys: list[exp.Expr] = [exp.Neg(this=exp.column("n"))]
    if with_voided:
        keys.append(exp.Cast(this=exp.column("voided"), to=exp.DataType.build("INT")))
    keys += [exp.column("t1"), exp.column("id1")]
    # a row (struct) key, compared field by field: a list key costs a third more CPU at 1M
    row = exp.ArgMin(this=exp.column(attempts.name), expression=exp.Tuple(expressions=keys))
    per_profile = (
        exp.select(_as(row, "best_row"))
        .from_(attempts, copy=False)
        .group_by(exp.column("profile_id"), exp.column("bd"), copy=False)
    )
    return exp.select(exp.Unnest(expressions=[exp.column("best_row")])).from_(
        per_profile.subquery("r", copy=False), copy=False
    )


_MICROS = 1_000_000


def _micros(k: int) -> exp.Expr:
    """Microseconds from step k-1 to step k, an exact integer, only for attempts that reached
    step k."""
    gap = exp.Sub(
        this=exp.func("epoch_us", exp.column(f"t{k}")),
        expression=exp.func("epoch_us", exp.column(f"t{k - 1}")),
    )
    return exp.If(this=_reached(k), true=gap)


def _mean_seconds(k: int) -> exp.Expr:
    """The mean time to step k in seconds, as an integer sum over a count: a sum of doubles
    (`avg` of seconds with fractions) depends on which thread adds what, run to run."""
    count = exp.Nullif(this=exp.Count(this=_micros(k)), expression=exp.Literal.number(0))
    mean = exp.Div(this=exp.Sum(this=_micros(k)), expression=count)
    return exp.Div(this=mean, expression=exp.Literal.number(_MICROS))


def _median_seconds(k: int) -> exp.Expr:
    median = exp.func("median", _micros(k))
    return exp.Div(this=median, expression=exp.Literal.number(_MICROS))


def _reached(k: int) -> exp.Expr:
    return exp.GTE(this=exp.column("n"), expression=exp.Literal.number(k))


def summary(query: exp.Select, n: int) -> exp.Select:
    cols: list[exp.Expr] = [exp.column("bd")]
    for k in range(1, n + 1):
        count = exp.If(this=_reached(k), true=_one(), false=exp.Literal.number(0))
        cols.append(_as(exp.Sum(this=count), f"p{k}"))
        if k > 1:
            cols.append(_as(_mean_seconds(k), f"avg{k}"))
            cols.append(_as(_median_seconds(k), f"med{k}"))
    return (
        exp.select(*cols)
        .from_(query.subquery("b", copy=False), copy=False)
        .group_by(exp.column("bd"), copy=False)
    )


def drilldown(query: exp.Select, step: int, dropped: bool, by_value: bool) -> exp.Select:
    test = (
        exp.EQ(this=exp.column("n"), expression=exp.Literal.number(step - 1))
        if dropped
        else _reached(step)
    )
    if by_value:
        test = _and(
            test, exp.EQ(this=exp.column("bd"), expression=exp.Placeholder(this="fn_bd_value"))
        )
    select = (
        exp.select("profile_id")
        .distinct(copy=False)
        .from_(query.subquery("b", copy=False), copy=False)
        .where(test, copy=False)
    )
    return select.order_by("profile_id", copy=False)


def by_period(query: exp.Select, n: int, interval: str) -> exp.Select:
    """Per period of the best attempt's step 1: profiles that entered, and those that reached
    the last step."""
    period = exp.DateTrunc(unit=exp.Literal.string(interval), this=exp.column("t1"))
    converted = exp.If(this=_reached(n), true=_one(), false=exp.Literal.number(0))
    return (
        exp.select(
            _as(period, "period"),
            _as(exp.Count(this=exp.Star()), "entered"),
            _as(exp.Sum(this=converted), "converted"),
        )
        .from_(query.subquery("b", copy=False), copy=False)
        .group_by(exp.column("period"), copy=False)
        .order_by(exp.column("period"), copy=False)
    )
