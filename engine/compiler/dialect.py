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


_SPARK: dict[str, Callable[[exp.Expr], exp.Expr]] = {
    name: _spark_interval for name in _INTERVAL_SLOT
}
FUNCTION_MAPS: dict[str, dict[str, Callable[[exp.Expr], exp.Expr]]] = {
    DUCKDB: {},
    "spark": _SPARK,
    "databricks": _SPARK,
}


def render(tree: exp.Expr, dialect: str = DUCKDB) -> str:
    """SQL text of `tree` for `dialect`, with DuckDB-only functions mapped."""
    mapping = FUNCTION_MAPS.get(dialect.lower())
    if mapping is None:
        known = ", ".join(sorted(FUNCTION_MAPS))
        raise ValidationError(f"cannot render segments for {dialect!r}; known dialects: {known}")
    if mapping:
        tree = tree.transform(lambda node: _map(node, mapping))
    return tree.sql(dialect=dialect)


def _map(node: exp.Expr, mapping: dict[str, Callable[[exp.Expr], exp.Expr]]) -> exp.Expr:
    if isinstance(node, exp.Anonymous) and node.name.lower() in mapping:
        return mapping[node.name.lower()](node)
    return node
