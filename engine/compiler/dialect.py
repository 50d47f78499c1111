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


def interval(amount: exp.Expression, unit: str) -> exp.Expression:
    """A duration of `amount` units, in DuckDB's spelling."""
    return exp.Anonymous(this=INTERVAL_FUNCTION[unit], expressions=[amount])


def _spark_interval(node: exp.Expression) -> exp.Expression:
    slot = _INTERVAL_SLOT[node.name.lower()]
    args: list[exp.Expression] = [exp.Literal.number(0) for _ in range(7)]
    args[slot] = node.expressions[0].copy()
    return exp.Anonymous(this="make_interval", expressions=args)


_SPARK: dict[str, Callable[[exp.Expression], exp.Expression]] = {
    name: _spark_interval for name in _INTERVAL_SLOT
}
FUNCTION_MAPS: dict[str, dict[str, Callable[[exp.Expression], exp.Expression]]] = {
    DUCKDB: {},
    "spark": _SPARK,
    "databricks": _SPARK,
}


def render(tree: exp.Expression, dialect: str = DUCKDB) -> str:
    """SQL text of `tree` for `dialect`, with DuckDB-only functions mapped."""
    return for_dialect(tree, dialect).sql(dialect=dialect)


def for_dialect(tree: exp.Expression, dialect: str) -> exp.Expression:
    """`tree` with the DuckDB-only functions mapped for `dialect`, still a tree."""
    mapping = FUNCTION_MAPS.get(dialect.lower())
    if mapping is None:
        known = ", ".join(sorted(FUNCTION_MAPS))
        raise ValidationError(f"cannot render segments for {dialect!r}; known dialects: {known}")
    return tree.transform(lambda node: _map(node, mapping)) if mapping else tree


def _map(
    node: exp.Expression, mapping: dict[str, Callable[[exp.Expression], exp.Expression]]
) -> exp.Expression:
    if isinstance(node, exp.Anonymous) and node.name.lower() in mapping:
        return mapping[node.name.lower()](node)
    return node
