"""Event predicates: occurrence with frequency, aggregates, first/last occurrence, sequences.

Each compiles to a semi-join of the profile id against one subquery over `events`, filtered by
type first, then the window and the `where` filter; "none of them" is an anti-join. Events after
`as_of` are invisible everywhere."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from dsl.ast import (
    Aggregate,
    AgoWindow,
    DateWindow,
    Did,
    EventMatch,
    Frequency,
    LastWindow,
    Occurrence,
    Path,
    Sequence,
    Window,
)
from engine.clock import to_utc
from engine.compiler import build as b
from engine.compiler.context import Context
from engine.compiler.dialect import interval
from engine.compiler.props import (
    Field,
    FieldResolver,
    compare_op,
    json_value,
    literal_type,
    where,
)
from kith_errors import DslTypeError

WhereCompiler = Callable[[Context, Any, FieldResolver], exp.Expr]

_PY_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# sums and averages add in exact decimals (min/max/count do not depend on order anyway)
_EXACT = ("sum", "avg")
_AGGREGATES = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max, "count": exp.Count}


def event_field(ctx: Context, event: str | None, alias: str) -> FieldResolver:
    """Reads `where` fields: the `channel` and `source` columns, else typed event properties."""

    def resolve(path: Path, sample: Any) -> Field:
        if path.parts in (("channel",), ("source",)):
            return Field(b.col(path.parts[0], alias), "string")
        kind = _event_property_type(ctx, event, path.dotted) or literal_type(sample)
        column = b.col("properties", alias)
        return Field(json_value(column, path.parts, kind, path.pos), kind)

    return resolve


def _event_property_type(ctx: Context, event: str | None, name: str) -> str | None:
    types = ctx.schema.event_types
    found = [types[event].get(name)] if event in types else [t.get(name) for t in types.values()]
    known = [kind for kind in found if kind is not None and kind != "json"]
    return known[0] if known else None


def event_conditions(
    ctx: Context, match: EventMatch, window: Window | None, alias: str, where_: WhereCompiler
) -> list[exp.Expr]:
    """Which events count: type first, then visibility and window, then the `where` filter."""
    conds: list[exp.Expr] = []
    if match.event is not None:
        conds.append(b.eq(b.col("type", alias), ctx.bind(match.event)))
    conds += window_conditions(ctx, window, alias)
    if match.where is not None:
        conds.append(where_(ctx, match.where, event_field(ctx, match.event, alias)))
    return conds


def window_conditions(ctx: Context, window: Window | None, alias: str) -> list[exp.Expr]:
    def ts() -> exp.Column:
        return b.col("ts", alias)

    conds: list[exp.Expr] = [b.lte(ts(), ctx.now())]
    if isinstance(window, LastWindow):
        conds.append(b.gt(ts(), ctx.ago(window.duration.amount, window.duration.unit)))
    elif isinstance(window, AgoWindow):
        conds.append(b.gt(ts(), ctx.ago(window.high, window.unit)))
        conds.append(b.lte(ts(), ctx.ago(window.low, window.unit)))
    elif isinstance(window, DateWindow):
        if window.start is not None:
            conds.append(b.gte(ts(), ctx.bind(_moment(window.start.value, window.pos))))
        if window.end is not None:
            conds.append(b.lt(ts(), ctx.bind(_moment(window.end.value, window.pos))))
    elif window is not None:
        raise DslTypeError(f"the compiler does not know the window {type(window).__name__}")
    return conds


def _moment(value: Any, pos: Any) -> Any:
    try:
        return to_utc(value)
    except (TypeError, ValueError) as err:
        raise DslTypeError(f"{value!r} is not a date (use ISO 8601)", **where(pos)) from err


def member_test(
    alias: str, conds: list[exp.Expr], having: exp.Expr | None, zero: bool = False
) -> exp.Expr:
    """`p.id IN (matching events [grouped, having])`. When a profile with no matching events
    satisfies `having` (`zero`), test the complement instead: NOT IN (... HAVING NOT having)."""
    query = b.select(b.col("profile_id", alias), "events", alias, where=conds)
    if having is not None:
        query.set("group", exp.Group(expressions=[b.col("profile_id", alias)]))
        query.set("having", exp.Having(this=b.not_(having) if zero else having))
    found = b.isin(profile_id(), query)
    return b.not_(found) if zero else found


def profile_id() -> exp.Column:
    """The id column of the profile row the condition is about."""
    return b.col("id", "p")


def frequency_test(ctx: Context, freq: Frequency | None) -> tuple[exp.Expr | None, bool]:
    """The HAVING test on count(*) and whether zero events satisfy it; None for "at least 1"."""
    count = b.count_star()
    if freq is None or (freq.op == "at_least" and freq.n == 1):
        return None, False
    if freq.op == "at_least":
        return b.gte(count, ctx.bind(freq.n)), freq.n <= 0
    if freq.op == "at_most":
        return b.lte(count, ctx.bind(freq.n)), freq.n >= 0
    if freq.op == "exactly":
        return b.eq(count, ctx.bind(freq.n)), freq.n == 0
    if freq.op == "between" and freq.m is not None:
        return exp.Between(this=count, low=ctx.bind(freq.n), high=ctx.bind(freq.m)), freq.n <= 0
    raise DslTypeError(f"the compiler does not know the frequency {freq.op!r}", **where(freq.pos))


def compile_did(ctx: Context, node: Did, where_: WhereCompiler) -> exp.Expr:
    alias = ctx.alias("e")
    conds = event_conditions(ctx, node.match, node.window, alias, where_)
    having, zero = frequency_test(ctx, node.frequency)
    found = member_test(alias, conds, having, zero)
    return b.not_(found) if node.negated else found


def compile_aggregate(ctx: Context, node: Aggregate, where_: WhereCompiler) -> exp.Expr:
    """Count may hold for profiles with no events (count 0); sum/avg/min/max never do."""
    alias = ctx.alias("e")
    conds = event_conditions(ctx, node.match, node.window, alias, where_)
    if node.prop is None:
        measure: exp.Expr = b.count_star()
    else:
        column = b.col("properties", alias)
        kind = "decimal" if node.func in _EXACT else "number"
        value = json_value(column, node.prop.parts, kind, node.prop.pos)
        measure = _AGGREGATES[node.func](this=value)
    test = compare_op(node.op)(measure, ctx.bind(node.value.value))
    if node.func == "count":
        return member_test(alias, conds, test, _PY_COMPARE[node.op](0, node.value.value))
    return member_test(alias, conds, test)  # HAVING drops a NULL sum like a false one


def compile_occurrence(ctx: Context, node: Occurrence, where_: WhereCompiler) -> exp.Expr:
    alias = ctx.alias("e")
    conds = event_conditions(ctx, node.match, None, alias, where_)
    ts = b.col("ts", alias)
    moment: exp.Expr = exp.Min(this=ts) if node.which == "first" else exp.Max(this=ts)
    return member_test(alias, conds, _occurrence_test(ctx, node, moment))


def _occurrence_test(ctx: Context, node: Occurrence, moment: exp.Expr) -> exp.Expr:
    if node.op in ("within_last", "more_than_ago") and node.duration is not None:
        edge = ctx.ago(node.duration.amount, node.duration.unit)
        return b.gt(moment, edge) if node.op == "within_last" else b.lte(moment, edge)
    if node.op in ("before", "after") and node.date is not None:
        value = ctx.bind(_moment(node.date.value, node.pos))
        return b.lt(moment, value) if node.op == "before" else b.gte(moment, value)
    raise DslTypeError(
        f"`{node.which} ... {node.op}` needs a duration or a date", **where(node.pos)
    )


def compile_sequence(ctx: Context, node: Sequence, where_: WhereCompiler) -> exp.Expr:
    """Steps joined in order on the profile: each step's event at or after the previous one's
    and a different event from every earlier step; the last within `within` of the first."""
    aliases = [ctx.alias("s") for _ in node.steps]
    conds = event_conditions(ctx, node.steps[0], node.window, aliases[0], where_)
    joins = []
    for index, (step, alias) in enumerate(zip(node.steps[1:], aliases[1:], strict=True), 1):
        joins.append(b.join("events", alias, _step_join(node.steps, aliases, index)))
        conds += event_conditions(ctx, step, None, alias, where_)
    if node.within is not None and len(aliases) > 1:
        span = interval(ctx.bind(node.within.amount), node.within.unit)
        limit = exp.Add(this=b.col("ts", aliases[0]), expression=span)
        conds.append(b.lte(b.col("ts", aliases[-1]), limit))
    first = b.col("profile_id", aliases[0])
    found = b.isin(profile_id(), b.select(first, "events", aliases[0], where=conds, joins=joins))
    return b.not_(found) if node.negated else found


def _step_join(steps: tuple[EventMatch, ...], aliases: list[str], index: int) -> exp.Expr:
    alias, previous = aliases[index], aliases[index - 1]
    conds: list[exp.Expr] = [
        b.eq(b.col("profile_id", alias), b.col("profile_id", aliases[0])),
        b.gte(b.col("ts", alias), b.col("ts", previous)),
    ]
    # one event fills one step: only needed where an earlier step could match the same event
    conds += [
        b.neq(b.col("id", alias), b.col("id", aliases[earlier]))
        for earlier in range(index)
        if _may_overlap(steps[earlier], steps[index])
    ]
    return b.and_(*conds)


def _may_overlap(one: EventMatch, other: EventMatch) -> bool:
    return one.event is None or other.event is None or one.event == other.event
