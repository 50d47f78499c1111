"""Cheap sqlglot constructors. sqlglot's fluent builders copy (deep-copy) their operands and
parse strings on every call; building the nodes directly keeps compilation well under 1 ms."""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table)


def eq(left: exp.Expr, right: exp.Expr) -> exp.EQ:
    return exp.EQ(this=left, expression=right)


def neq(left: exp.Expr, right: exp.Expr) -> exp.NEQ:
    return exp.NEQ(this=left, expression=right)


def lt(left: exp.Expr, right: exp.Expr) -> exp.LT:
    return exp.LT(this=left, expression=right)


def lte(left: exp.Expr, right: exp.Expr) -> exp.LTE:
    return exp.LTE(this=left, expression=right)


def gt(left: exp.Expr, right: exp.Expr) -> exp.GT:
    return exp.GT(this=left, expression=right)


def gte(left: exp.Expr, right: exp.Expr) -> exp.GTE:
    return exp.GTE(this=left, expression=right)


def _wrap(node: exp.Expr) -> exp.Expr:
    return exp.Paren(this=node) if isinstance(node, exp.Connector) else node


def and_(*items: exp.Expr) -> exp.Expr:
    return _join(exp.And, items)


def or_(*items: exp.Expr) -> exp.Expr:
    return _join(exp.Or, items)


def _join(kind: type[exp.Connector], items: tuple[exp.Expr, ...]) -> exp.Expr:
    if len(items) == 1:
        return items[0]
    wrapped = [_wrap(item) for item in items]
    result = wrapped[0]
    for item in wrapped[1:]:
        result = kind(this=result, expression=item)
    return result


def not_(item: exp.Expr) -> exp.Not:
    return _not_exists(item) or exp.Not(this=_wrap(item))


def _not_exists(item: exp.Expr) -> exp.Not | None:
    """`NOT p.id IN (SELECT a.profile_id FROM t AS a WHERE c)` rewritten as
    `NOT EXISTS (SELECT 1 FROM t AS a WHERE a.profile_id = p.id AND c)`. The two agree because
    neither side can be NULL (every per-profile table's profile_id is NOT NULL), and DuckDB
    plans the correlated form as an anti-join, where NOT IN needs a slower NULL-aware join."""
    subquery = item.args.get("query") if isinstance(item, exp.In) else None
    query = subquery.this if isinstance(subquery, exp.Subquery) else None
    if not isinstance(query, exp.Select) or query.args.get("group") or query.args.get("having"):
        return None
    selected = query.expressions
    if len(selected) != 1 or not isinstance(selected[0], exp.Column):
        return None
    if selected[0].name != "profile_id":
        return None
    correlated = exp.EQ(this=selected[0].copy(), expression=item.this.copy())
    where = query.args.get("where")
    test = correlated if where is None else exp.and_(correlated, where.this.copy())
    probe = query.copy()
    probe.set("expressions", [exp.Literal.number(1)])
    probe.set("where", exp.Where(this=test))
    return exp.Not(this=exp.Exists(this=probe))


def count_star() -> exp.Count:
    return exp.Count(this=exp.Star())


def select(
    column: exp.Expr,
    table: str,
    alias: str | None = None,
    *,
    where: Sequence[exp.Expr] | None = None,
    group: exp.Expr | None = None,
    having: exp.Expr | None = None,
    joins: list[exp.Join] | None = None,
) -> exp.Select:
    """SELECT column FROM table [AS alias] [joins] [WHERE ...] [GROUP BY group HAVING ...]."""
    query = exp.Select(expressions=[column], from_=exp.From(this=exp.table_(table, alias=alias)))
    if joins:
        query.set("joins", joins)
    if where:
        query.set("where", exp.Where(this=and_(*where)))
    if group is not None:
        query.set("group", exp.Group(expressions=[group]))
    if having is not None:
        query.set("having", exp.Having(this=having))
    return query


def join(table: str, alias: str, on: exp.Expr) -> exp.Join:
    return exp.Join(this=exp.table_(table, alias=alias), on=on)


def isin(left: exp.Expr, query: exp.Select) -> exp.In:
    return exp.In(this=left, query=exp.Subquery(this=query))


PER_PROFILE_TABLES = frozenset({"events", "labels", "identities", "consent_log", "list_members"})


def only_profiles(tree: exp.Expr, test: exp.Expr) -> exp.Expr:
    """`tree` with every per-profile table read through `SELECT * FROM t WHERE <test>` (`test`
    over its `profile_id` column): the same answer for those profiles, without evaluating each
    subquery over everyone."""

    def narrow(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Table) or node.name not in PER_PROFILE_TABLES:
            return node
        rows = select(exp.Star(), node.name, where=[test.copy()])
        return exp.Subquery(
            this=rows, alias=exp.TableAlias(this=exp.to_identifier(node.alias or node.name))
        )

    return tree.transform(narrow)
