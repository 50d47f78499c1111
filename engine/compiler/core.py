"""AST -> one sqlglot query. Dispatch per node type with a loud fallback: a node the compiler
does not know raises; nothing silently compiles to TRUE."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from dsl.ast import (
    Aggregate,
    And,
    Between,
    Compare,
    ConsentIs,
    Did,
    HasChannel,
    HasLabel,
    InList,
    InSegment,
    IsSet,
    Not,
    Occurrence,
    Or,
    Path,
    RelativeDate,
    Sequence,
    StringMatch,
)
from engine.compiler import build as b
from engine.compiler import events, props
from engine.compiler.context import STORED, Context, SavedSegment
from engine.compiler.dialect import render
from engine.compiler.events import profile_id
from engine.compiler.props import Field, FieldResolver, json_value, literal_type, where
from kith_errors import DslError, DslNameError

EMAIL = "email"
CONSENT_PURPOSE = "marketing"

Leaf = Callable[[Context, Any, FieldResolver], exp.Expr]
PROPERTY_PREDICATES: dict[type, Leaf] = {
    Compare: props.compile_compare,
    InList: props.compile_in_list,
    Between: props.compile_between,
    IsSet: props.compile_is_set,
    StringMatch: props.compile_string_match,
    RelativeDate: props.compile_relative_date,
}


@dataclass(frozen=True)
class CompiledQuery:
    """`SELECT p.id FROM profiles AS p WHERE <condition>` (or, for one condition over
    per-profile rows, `SELECT p.id FROM (SELECT DISTINCT profile_id AS id ...) AS p`) and the
    values it binds."""

    expression: exp.Select
    params: dict[str, Any]

    def sql(self, dialect: str = "duckdb") -> str:
        return render(self.expression, dialect)


def compile_query(ctx: Context, node: Any) -> CompiledQuery:
    with ctx.polarity(True):
        condition = compile_condition(ctx, node)
    owned = _owned_rows(condition)
    if owned is not None:
        return CompiledQuery(_members_from(owned), ctx.params)
    query = b.select(profile_id(), "profiles", "p", where=[condition])
    return CompiledQuery(query, ctx.params)


def _owned_rows(condition: exp.Expr) -> exp.Select | None:
    """The subquery of a condition that is one `p.id IN (SELECT profile_id FROM ...)` over
    per-profile tables only, else None. Every row of those tables belongs to an existing
    profile (merges move them, unmerges move them back, erasure deletes them), so the members
    can be read from there without a semi-join against every profile: 2.5x faster for
    `did page_view in last 7 days` at 1M profiles."""
    if not isinstance(condition, exp.In) or condition.this != profile_id():
        return None
    subquery = condition.args.get("query")
    rows = subquery.this if isinstance(subquery, exp.Subquery) else None
    if not isinstance(rows, exp.Select) or len(rows.expressions) != 1:
        return None
    column = rows.expressions[0]
    if not isinstance(column, exp.Column) or column.name != "profile_id":
        return None
    tables = {t.name for t in rows.find_all(exp.Table)}
    correlated = any(c.table == "p" for c in rows.find_all(exp.Column))
    if correlated or not tables or not tables <= b.PER_PROFILE_TABLES:
        return None
    return rows.copy()


def _members_from(rows: exp.Select) -> exp.Select:
    """`SELECT p.id FROM (SELECT DISTINCT profile_id AS id FROM ...) AS p`: the same shape as
    the profiles query, so callers may still order by and narrow `p.id`."""
    column = rows.expressions[0]
    group = rows.args.get("group")
    one_each = group is not None and [g.sql() for g in group.expressions] == [column.sql()]
    rows.set("expressions", [column.as_("id")])
    if not one_each:
        rows.set("distinct", exp.Distinct())
    return exp.select(profile_id()).from_(rows.subquery("p"))


def compile_condition(ctx: Context, node: Any) -> exp.Expr:
    """The boolean condition over the profile row `p`; two-valued (never NULL) unless compiled
    as the WHERE of `compile_query`."""
    return _boolean(ctx, node, profile_field(ctx), _profile_leaf)


def compile_where(ctx: Context, node: Any, resolve: FieldResolver) -> exp.Expr:
    """An event `where` filter: boolean structure over property predicates only; two-valued."""
    return _boolean(ctx, node, resolve, _property_leaf)


def _filter_where(ctx: Context, node: Any, resolve: FieldResolver) -> exp.Expr:
    """An event `where` filter inside an event subquery's own WHERE."""
    with ctx.polarity(True):
        return compile_where(ctx, node, resolve)


def _boolean(
    ctx: Context,
    node: Any,
    resolve: FieldResolver,
    leaf: Callable[[Context, Any, FieldResolver], exp.Expr],
) -> exp.Expr:
    if isinstance(node, And):
        return b.and_(*(_boolean(ctx, item, resolve, leaf) for item in node.items))
    if isinstance(node, Or):
        return b.or_(*(_boolean(ctx, item, resolve, leaf) for item in node.items))
    if isinstance(node, Not):
        with ctx.polarity(False):
            return b.not_(_boolean(ctx, node.item, resolve, leaf))
    return leaf(ctx, node, resolve)


def _property_leaf(ctx: Context, node: Any, resolve: FieldResolver) -> exp.Expr:
    compiler = PROPERTY_PREDICATES.get(type(node))
    if compiler is None:
        raise DslError(
            f"the segment compiler does not know {type(node).__name__} here",
            **where(getattr(node, "pos", None)),
        )
    return compiler(ctx, node, resolve)


def _profile_leaf(ctx: Context, node: Any, resolve: FieldResolver) -> exp.Expr:
    compiler = PROFILE_NODES.get(type(node))
    if compiler is None:
        return _property_leaf(ctx, node, resolve)
    return compiler(ctx, node)


# ---- profile properties ----------------------------------------------------------------------


def profile_field(ctx: Context) -> FieldResolver:
    """Standard and registered properties are typed columns of `p`; a dotted path under a
    JSON property (`properties.plan_level`) reads the JSON column, typed by the compared value."""
    properties = ctx.schema.properties

    def resolve(path: Path, sample: Any) -> Field:
        name = path.dotted
        kind = properties.get(name)
        if kind is not None and kind != "json":
            return Field(exp.column(exp.to_identifier(name), "p"), kind, name == EMAIL)
        if len(path.parts) > 1 and properties.get(path.parts[0]) == "json":
            sample_kind = literal_type(sample)
            column = b.col(path.parts[0], "p")
            return Field(json_value(column, path.parts[1:], sample_kind, path.pos), sample_kind)
        raise DslNameError(f'there is no profile property "{name}"', **where(path.pos))

    return resolve


# ---- event predicates ------------------------------------------------------------------------


def _did(ctx: Context, node: Did) -> exp.Expr:
    return events.compile_did(ctx, node, _filter_where)


def _aggregate(ctx: Context, node: Aggregate) -> exp.Expr:
    return events.compile_aggregate(ctx, node, _filter_where)


def _occurrence(ctx: Context, node: Occurrence) -> exp.Expr:
    return events.compile_occurrence(ctx, node, _filter_where)


def _sequence(ctx: Context, node: Sequence) -> exp.Expr:
    return events.compile_sequence(ctx, node, _filter_where)


# ---- membership ------------------------------------------------------------------------------


def _in_segment(ctx: Context, node: InSegment) -> exp.Expr:
    """A saved dynamic or compound segment is inlined (evaluated at the same `as_of`); a static
    list reads its members; a segment resolved as `stored` reads its stored membership."""
    if node.name in ctx.inlining:
        chain = " -> ".join((*ctx.inlining, node.name))
        raise DslNameError(f"segments refer to each other in a cycle: {chain}", **where(node.pos))
    saved = ctx.resolve(node.name)
    if saved.kind in ("static", STORED):
        table = "list_members" if saved.kind == "static" else "segment_members"
        listed = b.eq(b.col("segment_id"), ctx.bind(saved.id))
        return b.isin(profile_id(), b.select(b.col("profile_id"), table, where=[listed]))
    outer = ctx.inlining
    ctx.inlining = (*outer, node.name)
    try:
        return compile_condition(ctx, saved_expression(saved))
    finally:
        ctx.inlining = outer


def saved_expression(saved: SavedSegment) -> Any:
    """The expression a saved dynamic or compound segment stands for."""
    if saved.kind == "dynamic" and saved.expression is not None:
        return saved.expression
    parts = tuple(InSegment(name) for name in saved.of)
    if saved.kind == "compound" and parts and saved.op == "union":
        return Or(parts)
    if saved.kind == "compound" and parts and saved.op == "intersection":
        return And(parts)
    if saved.kind == "compound" and len(parts) > 1 and saved.op == "difference":
        return And((parts[0], Not(Or(parts[1:]))))
    raise DslError(f'the saved segment "{saved.name}" has no usable definition')


def _has_label(ctx: Context, node: HasLabel) -> exp.Expr:
    labelled = b.eq(b.col("label"), ctx.bind(node.label))
    return b.isin(profile_id(), b.select(b.col("profile_id"), "labels", where=[labelled]))


def _has_channel(ctx: Context, node: HasChannel) -> exp.Expr:
    """Reachable on a channel: an identity of that type, or any event on that channel, known
    at `as_of`."""
    channel = ctx.bind(node.channel)
    known = [b.eq(b.col("type"), channel), b.lte(b.col("created_at"), ctx.now())]
    seen = [b.eq(b.col("channel"), channel.copy()), b.lte(b.col("ts"), ctx.now())]
    return b.or_(
        b.isin(profile_id(), b.select(b.col("profile_id"), "identities", where=known)),
        b.isin(profile_id(), b.select(b.col("profile_id"), "events", where=seen)),
    )


def _consent(ctx: Context, node: ConsentIs) -> exp.Expr:
    """The latest marketing consent for the channel at `as_of`, from the append-only log;
    `unknown` = no record then."""
    conds = [
        b.eq(b.col("channel"), ctx.bind(node.channel)),
        b.eq(b.col("purpose"), ctx.bind(CONSENT_PURPOSE)),
        b.lte(b.col("changed_at"), ctx.now()),
    ]
    if node.status == "unknown":
        return b.not_(
            b.isin(profile_id(), b.select(b.col("profile_id"), "consent_log", where=conds))
        )
    latest = exp.ArgMax(this=b.col("status"), expression=_log_order())
    log = b.select(
        b.col("profile_id"),
        "consent_log",
        where=conds,
        group=b.col("profile_id"),
        having=b.eq(latest, ctx.bind(node.status)),
    )
    return b.isin(profile_id(), log)


def _log_order() -> exp.Expr:
    """Order of consent changes: time, then log id for changes at the same instant."""
    return exp.Struct(expressions=[b.col("changed_at"), b.col("id")])


PROFILE_NODES: dict[type, Callable[[Context, Any], exp.Expr]] = {
    Did: _did,
    Aggregate: _aggregate,
    Occurrence: _occurrence,
    Sequence: _sequence,
    InSegment: _in_segment,
    HasLabel: _has_label,
    HasChannel: _has_channel,
    ConsentIs: _consent,
}
