"""The segment compiler: AST -> ONE sqlglot SELECT of profile ids, every user value a bound
parameter, two-valued logic, DuckDB by default and Spark SQL through the dialect seam.

    >>> import datetime as dt
    >>> from dsl.ast import Compare, Path, Value
    >>> from dsl.schema import Schema
    >>> ctx = Context(Schema(properties={"country": "string"}), dt.datetime(2026, 3, 1))
    >>> query = compile_query(ctx, Compare(Path(("country",)), "=", Value("ID")))
    >>> query.sql()
    'SELECT p.id FROM profiles AS p WHERE COALESCE(p."country" = $p0, FALSE)'
    >>> query.params
    {'p0': 'ID'}
"""

from engine.compiler.context import Context, Resolver, SavedSegment, shift
from engine.compiler.core import (
    CompiledQuery,
    compile_condition,
    compile_query,
    compile_where,
    profile_field,
    saved_expression,
)
from engine.compiler.dialect import render

__all__ = [
    "CompiledQuery",
    "Context",
    "Resolver",
    "SavedSegment",
    "compile_condition",
    "compile_query",
    "compile_where",
    "profile_field",
    "render",
    "saved_expression",
    "shift",
]
