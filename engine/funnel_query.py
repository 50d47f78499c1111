"""The funnel query: one SELECT built as a sqlglot tree, every value a bound parameter.

Per-step matching events (s1..sN); an attempt per step-1 event (or, unordered, per step event)
with the time each later step was reached (t2..tN); attempts voided by an exclusion removed; then
the best attempt per profile and breakdown value. `summary` and `drilldown` read that result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sqlglot import exp

if TYPE_CHECKING:
    from engine.funnels import Exclusion, FunnelSpec, FunnelStep

# One SELECT: per-step matching events (s1..sN), an attempt per step-1 event (or per step event in
# unordered mode) with the time each later step was reached (t2..tN), voided attempts removed,
# then the best attempt per profile (and breakdown value).

Compiled = tuple[exp.Expression, dict[str, Any]]
EventFilter = Callable[[str, str, str | None], Compiled | None]


@dataclass(frozen=True)
class Breakdown:
    """`event`: a property of the step-1 event; `column`/`json`: a profile property."""

    kind: Literal["event", "column", "json"]
    name: str


class _Params:
    """The values behind the query's placeholders; names are private to funnels (fn_...)."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def __call__(self, value: object) -> exp.Placeholder:
        name = f"fn_{len(self.values)}"
        self.values[name] = value
        return exp.Placeholder(this=name)

    def adopt(self, compiled: Compiled) -> exp.Expression:
        """Take in a condition compiled elsewhere, renaming its placeholders so they can't clash."""
        expression, params = compiled
        names = {name: self(value).name for name, value in params.items()}

        def rename(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Placeholder) and node.name in names:
                return exp.Placeholder(this=names[node.name])
            return node

        return expression.copy().transform(rename)


@dataclass
class QueryContext:
    as_of: dt.datetime
    start: dt.datetime | None
    end: dt.datetime | None
    within: dt.timedelta
    event_filter: EventFilter
    audience: Compiled | None
    breakdown: Breakdown | None
    params: _Params = field(default_factory=_Params)


_Cte = tuple[str, exp.Select]
_ATTEMPT_KEYS = ("profile_id", "id1", "t1", "bd")


def _col(table: str, name: str) -> exp.Column:
    return exp.column(name, table=table)


def _table(name: str, alias: str | None = None) -> exp.Table:
    table = exp.to_table(name)
    return table.as_(alias) if alias else table


def _as(expression: exp.Expression, name: str) -> exp.Alias:
    return exp.alias_(expression, name)


def _in(column: exp.Expression, query: exp.Expression) -> exp.In:
    return exp.In(this=column, query=exp.Subquery(this=query))


def _one() -> exp.Literal:
    return exp.Literal.number(1)


def _and(*conditions: exp.Expression | None) -> exp.Expression:
    return exp.and_(*[c for c in conditions if c is not None])


def _step_events(ctx: QueryContext, step: FunnelStep | Exclusion, first: bool) -> exp.Select:
    """Events matching one step: profile_id, id, ts (and bd for step 1 / unordered anchors)."""
    ts = _col("e", "ts")
    where = [
        exp.EQ(this=_col("e", "type"), expression=ctx.params(step.event)),
        exp.LTE(this=ts, expression=ctx.params(ctx.as_of)),
        exp.GTE(this=ts, expression=ctx.params(ctx.start)) if ctx.start else None,
    ]
    if ctx.end is not None:
        bound = ctx.end if first else ctx.end + ctx.within
        where.append(exp.LT(this=ts, expression=ctx.params(bound)))
    compiled = ctx.event_filter("e", step.event, step.where)
    where.append(ctx.params.adopt(compiled) if compiled else None)
    select = exp.select(_col("e", "profile_id"), _col("e", "id"), ts).from_(
        _table("events", "e"), copy=False
    )
    return select.where(_and(*where), copy=False)


def _entry_events(ctx: QueryContext, step: FunnelStep) -> exp.Select:
    """Step-1 (entry) events: the date range's end, the audience and the breakdown apply."""
    select = _step_events(ctx, step, first=True)
    if ctx.audience is not None:
        audience = ctx.params.adopt(ctx.audience)
        select = select.where(_in(_col("e", "profile_id"), audience), copy=False)
    bd = _breakdown_value(ctx)
    if ctx.breakdown is not None and ctx.breakdown.kind != "event":
        on = exp.EQ(this=_col("p", "id"), expression=_col("e", "profile_id"))
        select = select.join(_table("profiles", "p"), on=on, join_type="left", copy=False)
    return select.select(_as(bd, "bd"), copy=False)


def _breakdown_value(ctx: QueryContext) -> exp.Expression:
    bd = ctx.breakdown
    if bd is None:
        return exp.Null()
    if bd.kind == "column":
        return exp.Cast(this=_col("p", bd.name), to=exp.DataType.build("VARCHAR"))
    table, column = ("e", "properties") if bd.kind == "event" else ("p", "properties")
    if bd.kind == "event" and bd.name in ("channel", "source"):
        return _col("e", bd.name)
    path = ctx.params("$." + bd.name)
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
    if spec.order == "strict":
        prev = _col(s, "prev_ts")
        before = exp.LTE(this=prev, expression=_col(a, f"t{k - 1}"))
        on.append(exp.or_(exp.Is(this=prev, expression=exp.Null()), before))
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


def _window_end(ctx: QueryContext, alias: str) -> exp.Expression:
    return exp.Add(this=_col(alias, "t1"), expression=ctx.params(ctx.within))


def _strict_events(ctx: QueryContext, step_cte: str) -> exp.Select:
    """A step's events with the time of the profile's previous distinct event instant."""
    prev = (
        exp.select("profile_id", "ts")
        .select(
            exp.alias_(
                exp.Window(
                    this=exp.Anonymous(this="lag", expressions=[exp.column("ts")]),
                    partition_by=[exp.column("profile_id")],
                    order=exp.Order(expressions=[exp.Ordered(this=exp.column("ts"))]),
                ),
                "prev_ts",
            ),
            copy=False,
        )
        .from_(_profile_instants(ctx).subquery("i", copy=False), copy=False)
    )
    on = _and(*(exp.EQ(this=_col("v", c), expression=_col("s", c)) for c in ("profile_id", "ts")))
    return (
        exp.select(*(_col("s", c) for c in ("profile_id", "id", "ts")), _col("v", "prev_ts"))
        .from_(_table(step_cte, "s"), copy=False)
        .join(prev.subquery("v", copy=False), on=on, copy=False)
    )


def _profile_instants(ctx: QueryContext) -> exp.Select:
    """Distinct event instants of the profiles that entered the funnel (strict mode)."""
    ts = _col("e", "ts")
    where = [
        exp.LTE(this=ts, expression=ctx.params(ctx.as_of)),
        exp.GTE(this=ts, expression=ctx.params(ctx.start)) if ctx.start else None,
        _in(_col("e", "profile_id"), exp.select("profile_id").from_(_table("s1"), copy=False)),
    ]
    select = (
        exp.select(_col("e", "profile_id"), ts)
        .distinct(copy=False)
        .from_(_table("events", "e"), copy=False)
    )
    return select.where(_and(*where), copy=False)


def _ordered_attempts(ctx: QueryContext, spec: FunnelSpec) -> tuple[list[_Cte], exp.Select]:
    n = len(spec.steps)
    entry = _entry_events(ctx, spec.steps[0])
    ctes: list[_Cte] = [
        ("s1", entry.select(_as(_col("e", "id"), "id1"), _as(_col("e", "ts"), "t1"), copy=False))
    ]
    for k in range(2, n + 1):
        events = _step_events(ctx, spec.steps[k - 1], first=False)
        if spec.order == "strict":
            ctes.append((f"raw{k}", events))
            events = _strict_events(ctx, f"raw{k}")
        ctes.append((f"s{k}", events))
    ctes += [(f"r{k}", _next_step(ctx, spec, k)) for k in range(2, n + 1)]
    attempts = exp.select(*(_col("s1", c) for c in _ATTEMPT_KEYS)).from_(_table("s1"), copy=False)
    for k in range(2, n + 1):
        on = exp.EQ(this=_col(f"r{k}", "id1"), expression=_col("s1", "id1"))
        attempts = attempts.select(_col(f"r{k}", f"t{k}"), copy=False).join(
            _table(f"r{k}"), on=on, join_type="left", copy=False
        )
    return ctes, attempts


def _step_groups(spec: FunnelSpec) -> list[tuple[FunnelStep, int]]:
    """Distinct step definitions with how many steps share each (unordered mode)."""
    counts: dict[FunnelStep, int] = {}
    for step in spec.steps:
        counts[step] = counts.get(step, 0) + 1
    return list(counts.items())


def _unordered_attempts(ctx: QueryContext, spec: FunnelSpec) -> tuple[list[_Cte], exp.Select]:
    """An attempt per step event in the range; step k is reached at its k-th completion."""
    groups = _step_groups(spec)
    anchors = [_entry_events(ctx, step) for step, _ in groups]
    hits = [
        _step_events(ctx, step, first=False).select(
            _as(exp.Literal.number(g), "g"), _as(exp.Literal.number(size), "gsize"), copy=False
        )
        for g, (step, size) in enumerate(groups)
    ]
    ctes: list[_Cte] = [
        (
            "anchors",
            _renamed_anchors(
                exp.union(*anchors, distinct=True, copy=False) if len(anchors) > 1 else anchors[0]
            ),
        ),
        ("u", exp.union(*hits, distinct=False, copy=False) if len(hits) > 1 else hits[0]),
        ("hits", _unordered_hits(ctx)),
        ("done", _unordered_done()),
    ]
    keys = [_col("a", c) for c in _ATTEMPT_KEYS]
    attempts = exp.select(*keys).from_(_table("anchors", "a"), copy=False)
    for k in range(2, len(spec.steps) + 1):
        kth = exp.If(
            this=exp.EQ(this=_col("d", "k"), expression=exp.Literal.number(k)), true=_col("d", "ts")
        )
        attempts = attempts.select(_as(exp.Min(this=kth), f"t{k}"), copy=False)
    on = exp.EQ(this=_col("d", "id1"), expression=_col("a", "id1"))
    return ctes, attempts.join(_table("done", "d"), on=on, join_type="left", copy=False).group_by(
        *keys, copy=False
    )


def _renamed_anchors(union: exp.Query) -> exp.Select:
    cols = [_col("x", "profile_id"), _as(_col("x", "id"), "id1"), _as(_col("x", "ts"), "t1")]
    return exp.select(*cols, _col("x", "bd")).from_(union.subquery("x", copy=False), copy=False)


def _row_number(partition: list[str], order: list[str]) -> exp.Window:
    return exp.Window(
        this=exp.RowNumber(),
        partition_by=[exp.column(c) for c in partition],
        order=exp.Order(expressions=[exp.Ordered(this=exp.column(c)) for c in order]),
    )


def _unordered_hits(ctx: QueryContext) -> exp.Select:
    """Each anchor's step events inside its window, numbered within each step group."""
    on = _and(
        exp.EQ(this=_col("u", "profile_id"), expression=_col("a", "profile_id")),
        exp.GTE(this=_col("u", "ts"), expression=_col("a", "t1")),
        exp.LTE(this=_col("u", "ts"), expression=_window_end(ctx, "a")),
    )
    cols = [_col("a", "id1"), *(_col("u", c) for c in ("g", "gsize", "id", "ts"))]
    rn = _as(_row_number(["id1", "g"], ["ts", "id"]), "rn")
    return (
        exp.select(*cols, rn)
        .from_(_table("anchors", "a"), copy=False)
        .join(_table("u", "u"), on=on, copy=False)
    )


def _unordered_done() -> exp.Select:
    """The events that complete a step (at most `gsize` per group), in time order."""
    k = _as(_row_number(["id1"], ["ts", "id"]), "k")
    fits = exp.LTE(this=exp.column("rn"), expression=exp.column("gsize"))
    return exp.select("id1", "ts", k).from_(_table("hits"), copy=False).where(fits, copy=False)


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


def _steps_reached(n: int) -> exp.Expression:
    total: exp.Expression = _one()
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
    """SELECT profile_id, id1, bd, n (steps reached), t1..tN: the best clean attempt per
    profile and breakdown value."""
    if _aggregable(spec, ctx):
        return _aggregated_best(spec, ctx)
    build = _unordered_attempts if spec.order == "unordered" else _ordered_attempts
    ctes, attempts = build(ctx, spec)
    ctes.append(("attempts", attempts))
    clean = exp.select("*", _as(_steps_reached(len(spec.steps)), "n")).from_(
        _table("attempts"), copy=False
    )
    if spec.exclusions:
        ctes += [
            (f"x{i}", _step_events(ctx, ex, first=False)) for i, ex in enumerate(spec.exclusions)
        ]
        voids = [_exclusion_void(ctx, i, ex) for i, ex in enumerate(spec.exclusions)]
        ctes.append(
            ("void", exp.union(*voids, distinct=False, copy=False) if len(voids) > 1 else voids[0])
        )
        void_ids = exp.select("id1").from_(_table("void"), copy=False)
        clean = clean.where(exp.Not(this=_in(exp.column("id1"), void_ids)), copy=False)
    ctes.append(("clean", clean))
    order = exp.Order(
        expressions=[
            exp.Ordered(this=exp.column("n"), desc=True),
            exp.Ordered(this=exp.column("t1")),
            exp.Ordered(this=exp.column("id1")),
        ]
    )
    rank = exp.Window(
        this=exp.RowNumber(), partition_by=[exp.column("profile_id"), exp.column("bd")], order=order
    )
    best = (
        exp.select("*")
        .from_(_table("clean"), copy=False)
        .qualify(exp.EQ(this=rank, expression=_one()), copy=False)
    )
    query = exp.select("*").from_(_table("best"), copy=False)
    for name, select in [*ctes, ("best", best)]:
        query = query.with_(name, as_=select, copy=False)
    return query


def _seconds(k: int) -> exp.Expression:
    """Seconds from step k-1 to step k, only for attempts that reached step k."""
    gap = exp.Sub(
        this=exp.TimeToUnix(this=exp.column(f"t{k}")),
        expression=exp.TimeToUnix(this=exp.column(f"t{k - 1}")),
    )
    return exp.If(this=_reached(k), true=gap)


def _reached(k: int) -> exp.Expression:
    return exp.GTE(this=exp.column("n"), expression=exp.Literal.number(k))


def summary(query: exp.Select, n: int) -> exp.Select:
    cols: list[exp.Expression] = [exp.column("bd")]
    for k in range(1, n + 1):
        count = exp.If(this=_reached(k), true=_one(), false=exp.Literal.number(0))
        cols.append(_as(exp.Sum(this=count), f"p{k}"))
        if k > 1:
            cols.append(_as(exp.Avg(this=_seconds(k)), f"avg{k}"))
            cols.append(_as(exp.func("median", _seconds(k)), f"med{k}"))
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
