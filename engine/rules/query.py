"""The SQL that finds rule firings: a trigger's events (of one batch, or a time range) with the
event properties the actions read, kept to the profiles meeting the rule's condition. Built as
sqlglot trees; engine/rules/service.py runs them through the Database."""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from dsl.ast import EventTrigger, Path, Rule
from engine.compiler import Context, compile_condition, compile_where
from engine.compiler.events import event_field
from engine.rules.actions import event_refs

BATCH = "rule_batch"  # the batch id's parameter: named, so a cached query text binds each batch


def conditioned(query: exp.Select, ctx: Context, rule: Rule, alias: str) -> exp.Select:
    """`query` kept to the profiles meeting the rule's condition (joined when over events)."""
    if rule.condition is None:
        return query
    if alias != "p":
        on = exp.column("id", "p").eq(exp.column("profile_id", alias))
        query = query.join(exp.to_table("profiles").as_("p"), on=on)
    return query.where(compile_condition(ctx, rule.condition))


def ref_name(path: Path) -> str:
    return "ref_" + "__".join(path.parts)


def event_select(
    ctx: Context,
    rule: Rule,
    refs: list[Path],
    *,
    batch_id: int | None = None,
    start: dt.datetime | None = None,
) -> exp.Select:
    """The trigger's events of one batch (or from `start` to as_of) with the `refs` columns."""
    assert isinstance(rule.trigger, EventTrigger)
    match, e = rule.trigger.match, exp.column
    where: list[exp.Expr] = [e("type", "e").eq(ctx.bind(match.event))]
    if batch_id is not None:
        ctx.params[BATCH] = batch_id  # named: a cached query text binds each batch's id
        where.append(e("batch_id", "e").eq(exp.Placeholder(this=BATCH)))
    else:
        where += [e("ts", "e") >= ctx.bind(start), e("ts", "e") < ctx.now()]
    if match.where is not None:
        where.append(compile_where(ctx, match.where, event_field(ctx, match.event, "e")))
    return (
        exp.select(e("profile_id", "e"), exp.alias_(e("id", "e"), "event_id"), e("ts", "e"))
        .select(*ref_columns(ctx, rule, refs), copy=False)
        .from_(exp.to_table("events").as_("e"), copy=False)
        .where(exp.and_(*where, copy=False), copy=False)
    )


def ref_columns(ctx: Context, rule: Rule, refs: list[Path]) -> list[exp.Expr]:
    """The event properties in `refs` as ref_<path> columns: values for those the rule's actions
    read, NULL for the others (so UNION branches line up)."""
    used = {p.dotted for p in event_refs(rule.actions)}
    cols: list[exp.Expr] = []
    for path in refs:
        if path.dotted not in used:
            value: exp.Expr = exp.Null()
        elif path.parts in (("channel",), ("source",)):
            value = exp.column(path.parts[0], "e")
        else:
            path_value = ctx.bind("$." + path.dotted)
            value = exp.JSONExtractScalar(this=exp.column("properties", "e"), expression=path_value)
        cols.append(exp.alias_(value, ref_name(path)))
    return cols
