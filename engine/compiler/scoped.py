"""Every saved segment evaluated for a few profiles in ONE statement, diffed with the stored
membership of just those profiles: what `refresh_profiles` runs after each commit
(engine/segments/membership.py).

    WITH scope AS (SELECT DISTINCT UNNEST($scope) AS id),
         fresh AS (SELECT $s1 AS segment_id, p.id AS profile_id FROM profiles AS p
                   WHERE <segment 1> AND p.id IN (SELECT id FROM scope)
                   UNION ALL ...),
         stored AS (SELECT m.segment_id, m.profile_id FROM scope JOIN segment_members AS m ...)
    SELECT segment_id, profile_id, entered  -- the rows only one side has

Each segment's condition is the one a full refresh evaluates (a compound or `in segment` is
inlined), with every per-profile table narrowed to the scope, so both refreshes agree."""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp

from dsl.ast import InSegment
from engine.compiler import build as b
from engine.compiler.context import Context
from engine.compiler.core import compile_condition
from engine.compiler.events import profile_id

SCOPE_PARAM = "scope"  # the touched profile ids, bound as one BIGINT[] list
_SCOPE, _FRESH, _STORED = "scope", "fresh", "stored"


def compile_scoped_changes(ctx: Context, segments: Iterable[tuple[int, str]]) -> exp.Select:
    """(segment_id, profile_id, entered) for every membership that differs between the saved
    segments (id, name) evaluated now and segment_members, for the profiles in `$scope`."""
    segments = list(segments)
    parts = [_segment_rows(ctx, segment_id, name) for segment_id, name in segments]
    fresh: exp.Expr = parts[0]
    for part in parts[1:]:
        fresh = exp.Union(this=fresh, expression=part, distinct=False)
    fresh, tables = _read_scoped(fresh)
    scoped = [_scoped_table(name, "profile_id") for name in sorted(tables)]
    ctes = [_cte(_SCOPE, _scope()), _scoped_table("profiles", "id"), *scoped]
    ctes += [_cte(_FRESH, fresh), _cte(_STORED, _stored(ctx, segments))]
    query = _diff()
    query.set("with_", exp.With(expressions=ctes))
    return query


def _segment_rows(ctx: Context, segment_id: int, name: str) -> exp.Expr:
    """The segment's members among the scope, every per-profile table read only for them."""
    with ctx.polarity(True):
        condition = compile_condition(ctx, InSegment(name))
    rows = b.select(profile_id(), _scoped_name("profiles"), "p", where=[condition])
    rows.set("expressions", [_as(ctx.bind(segment_id), "segment_id"), _as(profile_id(), "id")])
    return rows


def _read_scoped(tree: exp.Expr) -> tuple[exp.Expr, set[str]]:
    """`tree` reading every per-profile table through its scoped copy (`scope_events`, ...);
    returns the names of the tables it reads."""
    tables: set[str] = set()

    def swap(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Table) or node.name not in b.PER_PROFILE_TABLES:
            return node
        tables.add(node.name)
        return exp.table_(_scoped_name(node.name), alias=node.alias or node.name)

    return tree.transform(swap, copy=False), tables


def _scoped_name(table: str) -> str:
    return f"scope_{table}"


def _scoped_table(table: str, key: str) -> exp.CTE:
    """The table's rows of the profiles in scope, read once (however many segments use it)."""
    rows = b.select(exp.Star(), table, where=[_in_scope(b.col(key))])
    return _cte(_scoped_name(table), rows, materialized=True)


def _in_scope(column: exp.Expr) -> exp.In:
    return b.isin(column, b.select(b.col("id"), _SCOPE))


def _scope() -> exp.Select:
    ids = exp.Cast(this=exp.Placeholder(this=SCOPE_PARAM), to=exp.DataType.build("BIGINT[]"))
    unnest = _as(exp.Explode(this=ids), "id")
    return exp.Select(expressions=[unnest], distinct=exp.Distinct())


def _stored(ctx: Context, segments: list[tuple[int, str]]) -> exp.Select:
    """The stored memberships of the scope in these segments (one saved meanwhile is not ours
    to diff)."""
    ids = [ctx.bind(segment_id) for segment_id, _ in segments]
    ours = exp.In(this=b.col("segment_id", "m"), expressions=ids)
    on = b.and_(b.eq(b.col("profile_id", "m"), b.col("id", "s")), ours)
    rows = b.select(
        b.col("segment_id", "m"), _SCOPE, "s", joins=[b.join("segment_members", "m", on)]
    )
    rows.append("expressions", _as(b.col("profile_id", "m"), "id"))
    return rows


def _diff() -> exp.Select:
    """The rows only one side holds: in `fresh` only = entered, in `stored` only = exited."""
    same = b.and_(
        b.eq(b.col("segment_id", "f"), b.col("segment_id", "m")),
        b.eq(b.col("id", "f"), b.col("id", "m")),
    )
    join = exp.Join(this=exp.table_(_STORED, alias="m"), on=same, side="FULL")
    query = b.select(
        _as(_either("segment_id"), "segment_id"),
        _FRESH,
        "f",
        joins=[join],
        where=[b.or_(_missing("f"), _missing("m"))],
    )
    query.append("expressions", _as(_either("id"), "profile_id"))
    query.append("expressions", _as(b.not_(_missing("f")), "entered"))
    return query


def _either(column: str) -> exp.Coalesce:
    return exp.Coalesce(this=b.col(column, "f"), expressions=[b.col(column, "m")])


def _missing(alias: str) -> exp.Is:
    return exp.Is(this=b.col("id", alias), expression=exp.Null())


def _as(node: exp.Expr, name: str) -> exp.Alias:
    return exp.Alias(this=node, alias=exp.to_identifier(name))


def _cte(name: str, query: exp.Expr, *, materialized: bool = False) -> exp.CTE:
    alias = exp.TableAlias(this=exp.to_identifier(name))
    return exp.CTE(this=query, alias=alias, materialized=materialized or None)
