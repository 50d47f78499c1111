"""Pretty-printing: AST -> text that parses back to an equal AST.

A `where` filter reads as far as it can, so an expression ending in one is "open": inside an
and/or chain it is put in parentheses unless it comes last.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dsl import ast
from dsl.names import NAME_PATTERN, event_type, odd_character

GRAMMAR_FILE = Path(__file__).with_name("segment.lark")
# Every keyword of the language, read from the grammar: such names are quoted where the grammar
# allows quotes, and the catalog refuses them as property names.
KEYWORDS = frozenset(re.findall(r'"([a-z]+)"i', GRAMMAR_FILE.read_text(encoding="utf-8")))
_IDENT = re.compile(NAME_PATTERN)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_STRING_OPS = {"contains": "contains", "starts_with": "starts with", "ends_with": "ends with"}
_STRING_OPS["matches"] = "matches"
_AGG_WORDS = {"sum": "total", "avg": "average", "min": "min", "max": "max"}

Printed = tuple[str, bool]  # the text, and whether it ends in an open `where` filter


def format_expr(expr: ast.Expr) -> str:
    """The canonical text of a segment expression.

    >>> from dsl import parse_segment
    >>> format_expr(parse_segment('COUNTRY = "ID" AND NOT (plan IN ["pro"])'))
    'COUNTRY = "ID" and not plan in ["pro"]'
    """
    return _expr(expr)[0]


def format_rule(rule: ast.Rule) -> str:
    """The canonical text of a rule."""
    text = format_trigger(rule.trigger)
    if rule.condition is not None:
        text += " if " + format_expr(rule.condition)
    return text + " then " + format_actions(rule.actions)


def format_actions(actions: Sequence[ast.Action]) -> str:
    """The canonical text of a rule's actions (`add label "vip", notify "..."`)."""
    return ", ".join(_action(a) for a in actions)


def format_goal(goal: ast.Goal) -> str:
    """The canonical text of a goal."""
    text = f"goal {quote(goal.name)}:"
    if goal.start is not None:
        text += " start " + _point(goal.start)
    text += " target " + _point(goal.target)
    if goal.within is not None:
        text += " within " + _duration(goal.within)
    if goal.audience is not None:
        text += f" for ({format_expr(goal.audience)})"
    return text


# ---- literals -----------------------------------------------------------------------------------


def quote(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in text) + '"'


def name(text: str) -> str:
    """A name where the grammar takes a bare word or a quoted one (events, channels, keys)."""
    bare = _IDENT.fullmatch(text) and odd_character(text) is None and text.lower() not in KEYWORDS
    return text if bare else quote(text)


def event_name(text: str) -> str:
    """An event name: bare only where reading it back gives it again (a non-ASCII bare name is
    folded, dsl/names.py); quoted names are read exactly as written."""
    return name(text) if event_type(text) == text else quote(text)


def value(val: Any) -> str:
    if isinstance(val, tuple):
        return "[" + ", ".join(value(v) for v in val) + "]"
    if isinstance(val, bool):
        return "true" if val else "false"
    if isinstance(val, int | float):
        return repr(val)
    if isinstance(val, dt.date):
        return quote(val.isoformat())
    return quote(val)


def _duration(duration: ast.Duration) -> str:
    unit = duration.unit[:-1] if duration.amount == 1 else duration.unit
    return f"{duration.amount} {unit}"


def _path(path: ast.Path) -> str:
    return path.dotted


# ---- boolean structure --------------------------------------------------------------------------


def _expr(expr: ast.Expr) -> Printed:
    printer = _PRINTERS.get(type(expr))
    if printer is None:
        raise TypeError(f"the printer does not know {type(expr).__name__} nodes")
    return printer(expr)


def _chain(items: tuple[ast.Expr, ...], word: str) -> Printed:
    parts, is_open = [], False
    for i, item in enumerate(items):
        text, is_open = _expr(item)
        last = i == len(items) - 1
        nested = isinstance(item, ast.Or) or (isinstance(item, ast.And) and word == "and")
        if nested or (is_open and not last):
            text, is_open = f"({text})", False
        parts.append(text)
    return f" {word} ".join(parts), is_open


def _and(expr: ast.And) -> Printed:
    return _chain(expr.items, "and")


def _or(expr: ast.Or) -> Printed:
    return _chain(expr.items, "or")


def _not(expr: ast.Not) -> Printed:
    text, is_open = _expr(expr.item)
    if isinstance(expr.item, ast.And | ast.Or):
        return f"not ({text})", False
    return f"not {text}", is_open


# ---- predicates ---------------------------------------------------------------------------------


def _compare(expr: ast.Compare) -> Printed:
    return f"{_path(expr.field)} {expr.op} {value(expr.value.value)}", False


def _in_list(expr: ast.InList) -> Printed:
    word = "not in" if expr.negated else "in"
    return f"{_path(expr.field)} {word} {value(expr.values.value)}", False


def _between(expr: ast.Between) -> Printed:
    low, high = value(expr.low.value), value(expr.high.value)
    return f"{_path(expr.field)} between {low} and {high}", False


def _is_set(expr: ast.IsSet) -> Printed:
    return f"{_path(expr.field)} is {'not ' if expr.negated else ''}set", False


def _string_match(expr: ast.StringMatch) -> Printed:
    return f"{_path(expr.field)} {_STRING_OPS[expr.op]} {value(expr.value.value)}", False


def _relative_date(expr: ast.RelativeDate) -> Printed:
    span = _duration(expr.duration)
    if expr.op == "within_last":
        return f"{_path(expr.field)} within last {span}", False
    return f"{_path(expr.field)} more than {span} ago", False


# ---- event predicates ---------------------------------------------------------------------------


def event_match(match: ast.EventMatch) -> Printed:
    text = "any event" if match.event is None else event_name(match.event)
    if match.where is None:
        return text, False
    return f"{text} where {_expr(match.where)[0]}", True


def _frequency(freq: ast.Frequency) -> str:
    times = "time" if (freq.m if freq.m is not None else freq.n) == 1 else "times"
    if freq.op == "between":
        return f"between {freq.n} and {freq.m} {times}"
    return f"{freq.op.replace('_', ' ')} {freq.n} {times}"


def window(win: ast.Window) -> str:
    if isinstance(win, ast.LastWindow):
        return f"in last {_duration(win.duration)}"
    if isinstance(win, ast.AgoWindow):
        return f"between {win.low} and {win.high} {win.unit} ago"
    if win.start is not None and win.end is not None:
        return f"between {value(win.start.value)} and {value(win.end.value)}"
    if win.end is not None:
        return f"before {value(win.end.value)}"
    if win.start is not None:
        return f"after {value(win.start.value)}"
    raise ValueError("a date window needs a start or an end")


def _tail(text: str, is_open: bool, parts: list[str]) -> Printed:
    parts = [p for p in parts if p]
    return (" ".join([text, *parts]), False) if parts else (text, is_open)


def _did(expr: ast.Did) -> Printed:
    text, is_open = event_match(expr.match)
    head = f"did {'not ' if expr.negated else ''}{text}"
    freq = _frequency(expr.frequency) if expr.frequency else ""
    return _tail(head, is_open, [freq, window(expr.window) if expr.window else ""])


def _sequence(expr: ast.Sequence) -> Printed:
    steps = [event_match(step) for step in expr.steps]
    head = f"did {'not ' if expr.negated else ''}" + " then ".join(t for t, _ in steps)
    within = f"within {_duration(expr.within)}" if expr.within else ""
    return _tail(head, steps[-1][1], [within, window(expr.window) if expr.window else ""])


def _aggregate(expr: ast.Aggregate) -> Printed:
    what = "count" if expr.prop is None else f"{_AGG_WORDS[expr.func]} {_path(expr.prop)}"
    head = f"{what} of {event_match(expr.match)[0]}"
    if expr.window is not None:
        head += " " + window(expr.window)
    return f"{head} {expr.op} {value(expr.value.value)}", False


def _occurrence(expr: ast.Occurrence) -> Printed:
    head = f"{expr.which} {event_match(expr.match)[0]}"
    if expr.op in ("before", "after"):
        return f"{head} {expr.op} {value(expr.date.value)}", False  # type: ignore[union-attr]
    span = _duration(expr.duration)  # type: ignore[arg-type]
    if expr.op == "within_last":
        return f"{head} within last {span}", False
    return f"{head} more than {span} ago", False


# ---- membership ---------------------------------------------------------------------------------


def _in_segment(expr: ast.InSegment) -> Printed:
    return f"in segment {quote(expr.name)}", False


def _has_label(expr: ast.HasLabel) -> Printed:
    return f"has label {quote(expr.label)}", False


def _has_channel(expr: ast.HasChannel) -> Printed:
    return f"has channel {name(expr.channel)}", False


def _consent(expr: ast.ConsentIs) -> Printed:
    return f"consent {name(expr.channel)} is {expr.status}", False


_PRINTERS: dict[type, Callable[[Any], Printed]] = {
    ast.And: _and,
    ast.Or: _or,
    ast.Not: _not,
    ast.Compare: _compare,
    ast.InList: _in_list,
    ast.Between: _between,
    ast.IsSet: _is_set,
    ast.StringMatch: _string_match,
    ast.RelativeDate: _relative_date,
    ast.Did: _did,
    ast.Aggregate: _aggregate,
    ast.Occurrence: _occurrence,
    ast.Sequence: _sequence,
    ast.InSegment: _in_segment,
    ast.HasLabel: _has_label,
    ast.HasChannel: _has_channel,
    ast.ConsentIs: _consent,
}


# ---- rules and goals ----------------------------------------------------------------------------


def format_trigger(trigger: ast.Trigger) -> str:
    """The canonical text of a rule's trigger (`when purchase`, `every day`...)."""
    if isinstance(trigger, ast.EventTrigger):
        return "when " + event_match(trigger.match)[0]
    if isinstance(trigger, ast.SegmentTrigger):
        return f"when {trigger.change} segment {quote(trigger.segment)}"
    return f"every {trigger.every}"


def _source(val: ast.Value | ast.EventRef) -> str:
    if isinstance(val, ast.EventRef):
        return f"event.{_path(val.path)}"
    return value(val.value)


def _action(action: ast.Action) -> str:
    printer = _ACTIONS.get(type(action))
    if printer is None:
        raise TypeError(f"the printer does not know {type(action).__name__} actions")
    return printer(action)


def _emit(action: ast.EmitEvent) -> str:
    text = f"emit event {quote(action.event)}"
    if action.properties:
        text += " with " + ", ".join(f"{name(k)} = {_source(v)}" for k, v in action.properties)
    return text


_ACTIONS: dict[type, Callable[[Any], str]] = {
    ast.SetProperty: lambda a: f"set {_path(a.prop)} = {_source(a.value)}",
    ast.UnsetProperty: lambda a: f"unset {_path(a.prop)}",
    ast.Increment: lambda a: f"increment {_path(a.prop)}" + ("" if a.by == 1 else f" by {a.by!r}"),
    ast.LabelAction: lambda a: f"{'remove' if a.remove else 'add'} label {quote(a.label)}",
    ast.ListAction: lambda a: (
        f"{'remove from' if a.remove else 'add to'} list {quote(a.list_name)}"
    ),
    ast.SetConsent: lambda a: f"set consent {name(a.channel)} to {a.status}",
    ast.EmitEvent: _emit,
    ast.CallWebhook: lambda a: f"call webhook {quote(a.url)}",
    ast.Notify: lambda a: f"notify {quote(a.message)}",
}


def _point(point: ast.EventMatch | ast.Expr) -> str:
    if isinstance(point, ast.EventMatch):
        return event_match(point)[0]
    return f"segment ({format_expr(point)})"
