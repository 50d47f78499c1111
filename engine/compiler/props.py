"""Property predicates, shared by profile conditions and event `where` filters.

A `Field` is the SQL expression reading a property plus its language type. Every predicate is
two-valued: a missing property makes the predicate FALSE, never NULL (dsl.md)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlglot import exp

from dsl.ast import Between, Compare, InList, IsSet, Path, RelativeDate, StringMatch, Value
from engine.clock import to_utc
from engine.compiler import build as b
from engine.compiler.context import Context
from kith_errors import DslNameError, DslTypeError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# "decimal" reads a number for exact arithmetic: sums and averages of money-like values must not
# depend on the order threads add them in (0.1 ten times is 1.00, every run); 9 places after
# the point, 29 before it
_SQL_TYPES = {
    "number": "DOUBLE",
    "decimal": "DECIMAL(38, 9)",
    "boolean": "BOOLEAN",
    "date": "TIMESTAMP",
}
_COMPARE: dict[str, Callable[[exp.Expr, exp.Expr], exp.Expr]] = {
    "=": b.eq,
    "!=": b.neq,
    "<": b.lt,
    "<=": b.lte,
    ">": b.gt,
    ">=": b.gte,
    # dates: `before` excludes the moment, `after` includes it (like a date window's start/end)
    "before": b.lt,
    "after": b.gte,
}


@dataclass(frozen=True)
class Field:
    sql: exp.Expr
    type: str  # string | number | boolean | date | json
    lower: bool = False  # stored lower-cased (email): compare values lower-cased too


FieldResolver = Callable[[Path, Any], Field]


def compare_op(op: str) -> Callable[[exp.Expr, exp.Expr], exp.Expr]:
    return _COMPARE[op]


def json_path(parts: tuple[str, ...], pos: Any = None) -> exp.Literal:
    """A JSON path literal; the parts are identifiers the checker accepted, re-validated here."""
    for part in parts:
        if not _NAME.match(part):
            raise DslNameError(f"{part!r} is not a valid property name", **where(pos))
    return exp.Literal.string("$." + ".".join(parts))


def json_value(column: exp.Expr, parts: tuple[str, ...], kind: str, pos: Any) -> exp.Expr:
    """Typed extraction of a JSON property: text, cast to the type the comparison needs."""
    text = exp.JSONExtractScalar(this=column, expression=json_path(parts, pos))
    sql_type = _SQL_TYPES.get(kind)
    return text if sql_type is None else exp.TryCast(this=text, to=exp.DataType.build(sql_type))


def literal_type(value: Any) -> str:
    """The language type of a literal (lists: of their first item)."""
    if isinstance(value, tuple):
        return literal_type(value[0]) if value else "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.date):
        return "date"
    return "string"


def bind_value(ctx: Context, field: Field, value: Any, pos: Any) -> exp.Placeholder:
    return ctx.bind(coerce(field, value, pos))


def coerce(field: Field, value: Any, pos: Any) -> Any:
    """The Python value bound for `field`: dates as naive UTC datetimes, email lower-cased."""
    if field.type == "date":
        try:
            return to_utc(value) if isinstance(value, str | dt.date) else value
        except ValueError as err:
            raise DslTypeError(f"{value!r} is not a date (use ISO 8601)", **where(pos)) from err
    if field.lower and isinstance(value, str):
        return value.lower()
    return value


def compile_compare(ctx: Context, node: Compare, resolve: FieldResolver) -> exp.Expr:
    field = resolve(node.field, node.value.value)
    value = bind_value(ctx, field, node.value.value, node.pos)
    return ctx.two_valued(compare_op(node.op)(field.sql, value))


def compile_in_list(ctx: Context, node: InList, resolve: FieldResolver) -> exp.Expr:
    values = _items(node.values)
    field = resolve(node.field, values)
    bound = [bind_value(ctx, field, item, node.pos) for item in values]
    test = exp.In(this=field.sql, expressions=bound) if bound else exp.false()
    # `not in` on a missing property is false, like every predicate on a missing property
    return ctx.two_valued(b.not_(test) if node.negated else test)


def compile_between(ctx: Context, node: Between, resolve: FieldResolver) -> exp.Expr:
    field = resolve(node.field, node.low.value)
    low = bind_value(ctx, field, node.low.value, node.pos)
    high = bind_value(ctx, field, node.high.value, node.pos)
    return ctx.two_valued(exp.Between(this=field.sql, low=low, high=high))


def compile_is_set(ctx: Context, node: IsSet, resolve: FieldResolver) -> exp.Expr:
    field = resolve(node.field, None)
    test = exp.Is(this=field.sql, expression=exp.Null())
    return test if node.negated else b.not_(test)


def compile_string_match(ctx: Context, node: StringMatch, resolve: FieldResolver) -> exp.Expr:
    field = resolve(node.field, "")
    text = node.value.value
    if node.op == "matches":
        pattern = f"(?i){text}" if field.lower else text
        return ctx.two_valued(exp.RegexpLike(this=field.sql, expression=ctx.bind(pattern)))
    value = bind_value(ctx, field, text, node.pos)
    kinds = {"contains": exp.Contains, "starts_with": exp.StartsWith, "ends_with": exp.EndsWith}
    return ctx.two_valued(kinds[node.op](this=field.sql, expression=value))


def compile_relative_date(ctx: Context, node: RelativeDate, resolve: FieldResolver) -> exp.Expr:
    """`within last N unit`: as_of - N < value <= as_of; `more than N unit ago`: value <=
    as_of - N (so the two split every past moment between them)."""
    field = resolve(node.field, dt.datetime.min)
    edge = ctx.ago(node.duration.amount, node.duration.unit)
    if node.op == "within_last":
        test = b.and_(b.gt(field.sql, edge), b.lte(field.sql.copy(), ctx.now()))
    else:
        test = exp.LTE(this=field.sql, expression=edge)
    return ctx.two_valued(test)


def _items(values: Value) -> tuple[Any, ...]:
    raw = values.value
    return raw if isinstance(raw, tuple) else (raw,)


class ErrorPosition(TypedDict, total=False):
    line: int
    column: int


def where(pos: Any) -> ErrorPosition:
    """Error position keywords for a node's `pos`."""
    return {"line": pos.line, "column": pos.column} if pos is not None else {}
