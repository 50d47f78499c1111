"""The segment compiler: AST -> ONE sqlglot SELECT of profile ids, every user value a bound
parameter, two-valued logic, DuckDB by default and Spark SQL through the dialect seam.

    >>> import datetime as dt
    >>> from dsl.ast import Compare, Not, Path, Value
    >>> from dsl.schema import Schema
    >>> ctx = Context(Schema(properties={"country": "string"}), dt.datetime(2026, 3, 1))
    >>> query = compile_query(ctx, Not(Compare(Path(("country",)), "=", Value("US"))))
    >>> query.sql()
    'SELECT p.id FROM profiles AS p WHERE NOT COALESCE(p.country = $p0, FALSE)'
    >>> query.params
    {'p0': 'US'}

Semantics beyond dsl.md, decided here:
- `before` excludes the moment, `after` includes it (a date window's end and start);
  `more than N days ago` means at or before as_of - N days (the complement of `within last`).
- Months are calendar months (day clamped to the month's end); every window edge is computed
  from `as_of` in Python and bound, so the SQL text does not change with `as_of`.
- `has channel c`: the profile holds an identity of type c, or has any event on channel c,
  known at as_of. `consent c is s`: the latest marketing-purpose change for channel c in the
  append-only consent_log at or before as_of (ties broken by log id); `unknown` = none.
- Labels and static-list members have no history: they are read as they are now.
- A JSON path under the `properties` column is typed by the value it is compared with;
  event `where` fields are typed by the event type's schema.
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
