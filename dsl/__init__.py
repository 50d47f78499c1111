"""The Kith language: segments, rules and goals. Pure: knows nothing of storage or SQL.

text --parse_*--> AST (dsl.ast) --check_*--> checked against a Schema --format_*--> text
"""

from __future__ import annotations

from dsl import ast
from dsl.checker import Checker
from dsl.parser import parse_goal, parse_rule, parse_segment, reserved_words
from dsl.printer import (
    KEYWORDS,
    format_actions,
    format_expr,
    format_goal,
    format_rule,
    format_trigger,
)
from dsl.refs import event_types_used, segment_references
from dsl.rule_checker import RuleChecker
from dsl.schema import Schema
from dsl.suggest import suggest


def check_segment(expr: ast.Expr, schema: Schema, source: str, *, name: str | None = None) -> None:
    """Raise DslNameError / DslTypeError if `expr` uses an unknown name or mixes types.

    `name` is the segment being defined, so that a reference back to it is reported as a loop.
    """
    Checker(schema, source, name).expr(expr)


def check_property(
    path: str, schema: Schema, *, event: str | None = None, source: str | None = None
) -> None:
    """Raise DslNameError (with a "did you mean") unless `path` names a profile property, or,
    with `event`, a property of that event type. `source` is the text `path` ends (an error's
    caret points at `path` inside it)."""
    text = path if source is None else source
    column = len(text) - len(path) + 1
    node = ast.Path(tuple(path.split(".")), ast.Pos(1, column))
    Checker(schema, text).prop_type(node, event)


def check_rule(rule: ast.Rule, schema: Schema, source: str) -> None:
    """Check a rule's trigger, condition and actions against `schema`."""
    RuleChecker(schema, source).rule(rule)


def check_goal(goal: ast.Goal, schema: Schema, source: str) -> None:
    """Check a goal's start, target and audience against `schema`."""
    RuleChecker(schema, source).goal(goal)


__all__ = [
    "KEYWORDS",
    "Schema",
    "ast",
    "check_goal",
    "check_property",
    "check_rule",
    "check_segment",
    "event_types_used",
    "format_actions",
    "format_expr",
    "format_goal",
    "format_rule",
    "format_trigger",
    "parse_goal",
    "parse_rule",
    "parse_segment",
    "reserved_words",
    "segment_references",
    "suggest",
]
