"""The one dialect seam. The compiler builds a dialect-neutral sqlglot tree, using DuckDB's
names for the few functions that differ; `render` rewrites those through a function map
before printing for another dialect (Spark SQL is the scale-out target)."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from kith_errors import ValidationError

DUCKDB = "duckdb"

# DuckDB interval constructors used by sequence windows -> Spark's make_interval arguments
# (years, months, weeks, days, hours, mins, secs).
_INTERVAL_SLOT = {"to_months": 1, "to_weeks": 2, "to_days": 3, "to_hours": 4, "to_minutes": 5}
INTERVAL_FUNCTION = {
    "months": "to_months",
    "weeks": "to_weeks",
    "days": "to_days",
    "hours": "to_hours",
    "minutes": "to_minutes",
}


def interval(amount: exp.Expr, unit: str) -> exp.Expr:
    """A duration of `amount` units, in DuckDB's spelling."""
    return exp.Anonymous(this=INTERVAL_FUNCTION[unit], expressions=[amount])


def _spark_interval(node: exp.Expr) -> exp.Expr:
    slot = _INTERVAL_SLOT[node.name.lower()]
    args: list[exp.Expr] = [exp.Literal.number(0) for _ in range(7)]
    args[slot] = node.expressions[0].copy()
    return exp.Anonymous(this="make_interval", expressions=args)


def _spark_element_at(node: exp.Expr) -> exp.Expr:
    """DuckDB's list_extract(list, k) is 1-based and NULL past the end, as element_at is."""
    return exp.Anonymous(this="element_at", expressions=[e.copy() for e in node.expressions])


def _spark_array_sort(node: exp.Expr) -> exp.Expr:
    """list_sort(list, 'ASC', 'NULLS LAST'): array_sort's own order (ascending, NULLs last)."""
    order = [e.name.upper() for e in node.expressions[1:]]
    if order not in ([], ["ASC"], ["ASC", "NULLS LAST"]):
        raise ValidationError(f"list_sort with {' '.join(order)} has no Spark equivalent here")
    return exp.Anonymous(this="array_sort", expressions=[node.expressions[0].copy()])


_SPARK: dict[str, Callable[[exp.Expr], exp.Expr]] = {
    **{name: _spark_interval for name in _INTERVAL_SLOT},
    "list_extract": _spark_element_at,
    "list_sort": _spark_array_sort,
    "epoch_us": lambda node: exp.Anonymous(
        this="unix_micros", expressions=[e.copy() for e in node.expressions]
    ),
}
FUNCTION_MAPS: dict[str, dict[str, Callable[[exp.Expr], exp.Expr]]] = {
    DUCKDB: {},
    "spark": _SPARK,
    "databricks": _SPARK,
}


def render(tree: exp.Expr, dialect: str = DUCKDB) -> str:
    """SQL text of `tree` for `dialect`, with DuckDB-only functions mapped."""
    return for_dialect(tree, dialect).sql(dialect=dialect)


def for_dialect(tree: exp.Expr, dialect: str) -> exp.Expr:
    """`tree` with the DuckDB-only functions mapped for `dialect`, still a tree. Nodes are
    mapped children first, so a mapped function inside another is mapped too."""
    mapping = FUNCTION_MAPS.get(dialect.lower())
    if mapping is None:
        known = ", ".join(sorted(FUNCTION_MAPS))
        raise ValidationError(f"cannot render segments for {dialect!r}; known dialects: {known}")
    if not mapping:
        return tree
    tree = tree.copy()
    for node in reversed(list(tree.dfs())):
        mapped = _spark_node(_map(node, mapping))
        if mapped is not node:
            if node is tree:
                return mapped
            node.replace(mapped)
    return tree


def _names_a_table(value: exp.Expr) -> bool:
    """DuckDB reads a bare table name as the whole row (`arg_min(t, key) FROM t`)."""
    select = value.find_ancestor(exp.Select)
    source = select.args.get("from_") if select is not None else None
    table = source.this if source is not None else None
    return (
        isinstance(value, exp.Column)
        and not value.table
        and isinstance(table, exp.Table)
        and value.name in {table.name, table.alias_or_name}
    )


def _spark_node(node: exp.Expr) -> exp.Expr:
    """DuckDB forms with no Spark spelling of the same shape:
    - IF(c, x): Spark's IF takes exactly three arguments; the missing one means NULL;
    - min(x, k) OVER w, DuckDB's list of the k smallest values (NULLs skipped):
      slice(array_sort(collect_list(x) OVER w), 1, k), collect_list skipping NULLs too;
    - GREATEST/LEAST: the tree means NULL when any argument is NULL (sqlglot writes DuckDB's
      that way), while Spark's skip NULLs;
    - `WITH x AS MATERIALIZED (...)`: a DuckDB planning hint Spark has no syntax for;
    - date_trunc of a timestamp: sqlglot writes Spark's TRUNC, which takes dates only;
    - arg_min(t, key) over a table t (the whole row) and SELECT UNNEST(row): Spark's
      min_by(struct(*), key) and row.*."""
    if isinstance(node, exp.DateTrunc):
        return exp.TimestampTrunc(this=node.this, unit=exp.var(node.args["unit"].name.upper()))
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        plain = node.copy()
        plain.set("materialized", None)
        return plain
    if isinstance(node, exp.Greatest | exp.Least):
        args = [node.this, *node.expressions]
        kept = node.copy()
        any_null = exp.or_(*(exp.Is(this=a.copy(), expression=exp.Null()) for a in args))
        return exp.Case(ifs=[exp.If(this=any_null, true=exp.Null())], default=kept)
    if isinstance(node, exp.ArgMin | exp.ArgMax) and _names_a_table(node.this):
        whole_row = exp.Struct(expressions=[exp.Star()])
        return node.__class__(this=whole_row, expression=node.expression)
    if isinstance(node, exp.Unnest) and isinstance(node.parent, exp.Select):
        (struct,) = node.expressions
        return exp.column(exp.Star(), table=struct.name)
    if isinstance(node, exp.If) and node.args.get("false") is None:
        return exp.If(this=node.this, true=node.args["true"], false=exp.Null())
    if isinstance(node, exp.Window) and isinstance(node.this, exp.Min) and node.this.expressions:
        (k,) = node.this.expressions
        collected = node.copy()
        collected.set("this", exp.Anonymous(this="collect_list", expressions=[node.this.this]))
        ordered = exp.Anonymous(this="array_sort", expressions=[collected])
        return exp.Anonymous(this="slice", expressions=[ordered, exp.Literal.number(1), k])
    return node


def _map(node: exp.Expr, mapping: dict[str, Callable[[exp.Expr], exp.Expr]]) -> exp.Expr:
    if isinstance(node, exp.Anonymous) and node.name.lower() in mapping:
        return mapping[node.name.lower()](node)
    return node
