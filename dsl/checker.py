"""Name and type checking of segment expressions against a `Schema`.

Every name resolves through the schema; anything unknown is an error with a position and a
"did you mean". Rules and goals are checked in `dsl.rule_checker`, on top of this.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from dsl import ast
from dsl.schema import PropType, Schema
from dsl.suggest import suggest
from kith_errors import DslError, DslNameError, DslTypeError

# What a property holds, in words, and an example literal of that kind.
HOLDS = {
    "string": ("text", '"ID"'),
    "number": ("a number", "500"),
    "boolean": ("true or false", "true"),
    "date": ("a date", '"2026-01-31"'),
}
EVENT_BUILTINS: dict[str, PropType] = {"channel": "string", "source": "string"}
MAX_SPAN_DAYS = 36_600  # a century: longer spans are typos, and would overflow date arithmetic
_DAYS_PER_UNIT = {"minutes": 1 / 1440, "hours": 1 / 24, "days": 1, "weeks": 7, "months": 31}
_AGG_WORDS = {"sum": "total", "avg": "average", "min": "min", "max": "max"}
_ORDERED = {"number", "date", "string"}
_OP_WORDS = {
    "starts_with": "starts with",
    "ends_with": "ends with",
    "within_last": "within last",
    "more_than_ago": "more than ... ago",
}

ANY_EVENT = ""  # scope marker: a `where` over `any event` accepts every property


def iso_moment(text: str) -> dt.datetime | None:
    """The UTC moment of an ISO 8601 date or timestamp ("2026-01-31", "2026-01-31T12:00:00Z");
    None if `text` is not one. A date means its midnight, a naive timestamp means UTC."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def is_iso_date(text: str) -> bool:
    return iso_moment(text) is not None


def literal_words(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, tuple):
        return "a list"
    return f'the text "{value}"'


def literal_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "list"


class Checker:
    """Checks one segment expression (and, through `dsl.rule_checker`, rules and goals)."""

    def __init__(self, schema: Schema, source: str, name: str | None = None) -> None:
        self.schema = schema
        self.source = source
        self.name = name
        self._dispatch: Mapping[type, Callable[[Any, str | None], None]] = {
            ast.And: self._and_or,
            ast.Or: self._and_or,
            ast.Not: self._not,
            ast.Compare: self._compare,
            ast.InList: self._in_list,
            ast.Between: self._between,
            ast.IsSet: self._is_set,
            ast.StringMatch: self._string_match,
            ast.RelativeDate: self._relative_date,
            ast.Did: self._did,
            ast.Aggregate: self._aggregate,
            ast.Occurrence: self._occurrence,
            ast.Sequence: self._sequence,
            ast.InSegment: self._in_segment,
            ast.HasLabel: self._has_label,
            ast.HasChannel: self._has_channel,
            ast.ConsentIs: self._consent,
        }

    # ---- errors --------------------------------------------------------------------------------

    def fail(
        self,
        kind: type[DslError],
        message: str,
        node: Any,
        expected: str | None = None,
        suggestion: str | None = None,
    ) -> NoReturn:
        pos = node if isinstance(node, ast.Pos) else getattr(node, "pos", None) or ast.Pos(1, 1)
        raise kind(
            message,
            source=self.source,
            line=pos.line,
            column=pos.column,
            expected=expected,
            suggestion=suggestion,
        )

    # ---- expressions ---------------------------------------------------------------------------

    def expr(self, node: ast.Expr, scope: str | None = None) -> None:
        """Check `node`; `scope` is None for profile properties, else the event type whose
        properties a `where` filter tests (ANY_EVENT for `any event`)."""
        check = self._dispatch.get(type(node))
        if check is None:
            raise TypeError(f"the checker does not know {type(node).__name__} nodes")
        check(node, scope)

    def _and_or(self, node: ast.And | ast.Or, scope: str | None) -> None:
        for item in node.items:
            self.expr(item, scope)

    def _not(self, node: ast.Not, scope: str | None) -> None:
        self.expr(node.item, scope)

    def _event_only(self, node: Any, scope: str | None, what: str) -> None:
        if scope is not None:
            self.fail(
                DslTypeError,
                f"{what} cannot be used inside 'where', which tests the event's properties",
                node,
                expected="a test of an event property, like amount > 100",
            )

    # ---- names ---------------------------------------------------------------------------------

    def prop_type(self, path: ast.Path, scope: str | None) -> PropType | None:
        """The type of a property (None: untyped JSON data), or a DslNameError."""
        props = self._props(scope)
        if scope == ANY_EVENT:
            return props.get(path.dotted)
        if path.dotted in props:
            return _typed(props[path.dotted])
        for i in range(len(path.parts) - 1, 0, -1):
            if props.get(".".join(path.parts[:i])) == "json":
                return None
        where = "" if scope is None else f" of {scope} events"
        self.fail(
            DslNameError,
            f"unknown property '{path.dotted}'{where}",
            path,
            expected="a profile property" if scope is None else _either(sorted(props)),
            suggestion=suggest(path.dotted, props),
        )

    def _props(self, scope: str | None) -> Mapping[str, PropType]:
        if scope is None:
            return self.schema.properties
        if scope == ANY_EVENT:
            return EVENT_BUILTINS
        return {**self.schema.event_types.get(scope, {}), **EVENT_BUILTINS}

    def event_scope(self, match: ast.EventMatch) -> str:
        """Check an event match; returns the scope for its `where` filter."""
        if match.event is None:
            scope = ANY_EVENT
        elif match.event in self.schema.event_types:
            scope = match.event
        else:
            self.fail(
                DslNameError,
                f"unknown event type '{match.event}'",
                match,
                expected="a registered event type",
                suggestion=suggest(match.event, self.schema.event_types),
            )
        if match.where is not None:
            self.expr(match.where, scope)
        return scope

    def known(
        self,
        kind: str,
        name: str,
        pool: frozenset[str] | Mapping[str, Any],
        node: Any,
        words: int = 0,
    ) -> None:
        """Fail unless `name` is in `pool`; the error points at the name, which follows
        `words` keywords from the node's start (`has label "vip"`: 2)."""
        if name not in pool:
            self.fail(
                DslNameError,
                f"unknown {kind} '{name}'",
                self._after_words(node, words),
                expected=f"a known {kind}",
                suggestion=suggest(name, pool),
            )

    def _after_words(self, node: Any, words: int) -> Any:
        """Where the name after a node's first `words` keywords starts (the node itself when
        the source does not show it)."""
        pos = getattr(node, "pos", None)
        if not words or pos is None or not self.source:
            return node
        offset = _offset(self.source, pos)
        for _ in range(words):
            keyword = _KEYWORD.match(self.source, offset)
            if keyword is None:
                return node
            offset = keyword.end()
        gap = _GAP.match(self.source, offset)
        offset = gap.end() if gap else offset
        line = self.source.count("\n", 0, offset) + 1
        return ast.Pos(line, offset - (self.source.rfind("\n", 0, offset) + 1) + 1)

    # ---- values --------------------------------------------------------------------------------

    def value(self, field: ast.Path, ptype: PropType | None, value: ast.Value) -> None:
        """A literal must suit the property it is compared with."""
        if ptype is None:
            return
        if ptype == "date":
            self.date(value, f"'{field.dotted}' holds dates")
            return
        if literal_kind(value.value) != ptype:
            words, example = HOLDS[ptype]
            self.fail(
                DslTypeError,
                f"'{field.dotted}' holds {words}, so it cannot be compared with "
                f"{literal_words(value.value)}",
                value,
                expected=f"{words}, like {example}",
            )

    def date(self, value: ast.Value, why: str) -> None:
        if not (isinstance(value.value, str) and is_iso_date(value.value)):
            self.fail(
                DslTypeError,
                f"{why}, but {literal_words(value.value)} is not a date",
                value,
                expected='a date in quotes, like "2026-01-31" or "2026-01-31T09:00:00Z"',
            )

    def duration(self, duration: ast.Duration) -> None:
        if duration.amount * _DAYS_PER_UNIT[duration.unit] > MAX_SPAN_DAYS:
            self.fail(
                DslTypeError,
                f"{duration.amount} {duration.unit} is longer than a century",
                duration,
                expected="a shorter time span",
            )

    def _needs(self, field: ast.Path, ptype: PropType | None, kinds: set[str], op: str) -> None:
        if ptype is not None and ptype not in kinds:
            words = _either([HOLDS[k][0] for k in sorted(kinds)])
            self.fail(
                DslTypeError,
                f"'{_OP_WORDS.get(op, op)}' works on {words}, "
                f"but '{field.dotted}' holds {HOLDS[ptype][0]}",
                field,
                expected=f"a property that holds {words}",
            )

    # ---- property predicates -------------------------------------------------------------------

    def _compare(self, node: ast.Compare, scope: str | None) -> None:
        ptype = self.prop_type(node.field, scope)
        if node.op in ("before", "after"):
            self._needs(node.field, ptype, {"date"}, node.op)
            self.date(node.value, f"'{node.op}' needs a date")
            return
        if node.op not in ("=", "!="):
            self._needs(node.field, ptype, _ORDERED, node.op)
        self.value(node.field, ptype, node.value)

    def _in_list(self, node: ast.InList, scope: str | None) -> None:
        ptype = self.prop_type(node.field, scope)
        for item in node.values.value:  # type: ignore[union-attr]
            self.value(node.field, ptype, ast.Value(item, pos=node.values.pos))

    def _between(self, node: ast.Between, scope: str | None) -> None:
        ptype = self.prop_type(node.field, scope)
        self._needs(node.field, ptype, _ORDERED, "between")
        self.value(node.field, ptype, node.low)
        self.value(node.field, ptype, node.high)

    def _is_set(self, node: ast.IsSet, scope: str | None) -> None:
        self.prop_type(node.field, scope)

    def _string_match(self, node: ast.StringMatch, scope: str | None) -> None:
        ptype = self.prop_type(node.field, scope)
        self._needs(node.field, ptype, {"string"}, node.op)
        self.value(node.field, "string", node.value)
        if node.op == "matches":
            self._regex(node.value)

    def _regex(self, value: ast.Value) -> None:
        try:
            re.compile(str(value.value))
        except re.error as err:
            self.fail(
                DslTypeError,
                f"the pattern {literal_words(value.value)[9:]} is not a valid regular "
                f"expression: {err.msg}",
                value,
                expected='a regular expression, like "^A" or "@(acme|example)\\\\.com$"',
            )

    def _relative_date(self, node: ast.RelativeDate, scope: str | None) -> None:
        ptype = self.prop_type(node.field, scope)
        self._needs(node.field, ptype, {"date"}, node.op)
        self.duration(node.duration)

    # ---- event predicates ----------------------------------------------------------------------

    def window(self, window: ast.Window | None) -> None:
        if isinstance(window, ast.LastWindow):
            self.duration(window.duration)
        elif isinstance(window, ast.DateWindow):
            self._date_window(window)
        elif isinstance(window, ast.AgoWindow):
            self._ago_window(window)

    def _date_window(self, window: ast.DateWindow) -> None:
        for bound in (window.start, window.end):
            if bound is not None:
                self.date(bound, "a time window needs dates")
        start, end = window.start, window.end
        if start is not None and end is not None and _moment(start) >= _moment(end):
            self.fail(
                DslTypeError,
                "the window ends before it starts",
                end,
                expected=f"a date after {start.value}",
            )

    def _ago_window(self, window: ast.AgoWindow) -> None:
        self.duration(ast.Duration(window.high, window.unit, pos=window.pos))
        if window.low >= window.high:
            self.fail(
                DslTypeError,
                f"in 'between {window.low} and {window.high} {window.unit} ago' the first "
                "number must be the smaller one",
                window,
                expected=f"between {window.high} and {window.low} {window.unit} ago",
            )

    def _did(self, node: ast.Did, scope: str | None) -> None:
        self._event_only(node, scope, "'did'")
        self.event_scope(node.match)
        freq = node.frequency
        if freq is not None and freq.m is not None and freq.n > freq.m:
            self.fail(
                DslTypeError,
                f"in 'between {freq.n} and {freq.m} times' the first number must be the "
                "smaller one",
                freq,
                expected=f"between {freq.m} and {freq.n} times",
            )
        self.window(node.window)

    def _aggregate(self, node: ast.Aggregate, scope: str | None) -> None:
        self._event_only(node, scope, f"'{node.func}'")
        event_scope = self.event_scope(node.match)
        if node.prop is not None:
            self._aggregated(node, event_scope)
        self.window(node.window)
        if literal_kind(node.value.value) != "number":
            self.fail(
                DslTypeError,
                f"'{_AGG_WORDS.get(node.func, node.func)}' gives a number, so it cannot be "
                f"compared with {literal_words(node.value.value)}",
                node.value,
                expected="a number, like 1000",
            )

    def _aggregated(self, node: ast.Aggregate, event_scope: str) -> None:
        prop = node.prop
        assert prop is not None
        ptype = self.prop_type(prop, event_scope)
        if ptype not in (None, "number"):
            of = f" of {event_scope} events" if event_scope else ""
            self.fail(
                DslTypeError,
                f"'{_AGG_WORDS[node.func]}' works on numbers, but '{prop.dotted}'{of} holds "
                f"{HOLDS[ptype][0]}",
                prop,
                expected="an event property that holds numbers, or 'count of'",
            )

    def _occurrence(self, node: ast.Occurrence, scope: str | None) -> None:
        self._event_only(node, scope, f"'{node.which}'")
        self.event_scope(node.match)
        if node.duration is not None:
            self.duration(node.duration)
        if node.date is not None:
            self.date(node.date, f"'{node.op}' needs a date")

    def _sequence(self, node: ast.Sequence, scope: str | None) -> None:
        self._event_only(node, scope, "'did ... then ...'")
        for step in node.steps:
            self.event_scope(step)
        if node.within is not None:
            self.duration(node.within)
        self.window(node.window)

    # ---- membership ----------------------------------------------------------------------------

    def _in_segment(self, node: ast.InSegment, scope: str | None) -> None:
        self._event_only(node, scope, "'in segment'")
        if node.name != self.name:
            self.known("segment", node.name, self.schema.segments, node, words=2)
        cycle = self._cycle_through(node.name)
        if cycle:
            self.fail(
                DslNameError,
                f"segment '{cycle[0]}' refers to itself: {' -> '.join(cycle)}",
                node,
                expected="a segment that does not lead back to this one",
            )

    def _cycle_through(self, start: str) -> list[str] | None:
        """A reference loop reachable from `start`, starting from this segment's own name
        (an iterative depth-first search: segment chains can be long)."""
        trail = [self.name] if self.name else []
        if start in trail:
            return [*trail, start]
        trail.append(start)
        done: set[str] = set()
        stack = [iter(sorted(self._refs(start)))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                done.add(trail.pop())
            elif nxt in trail:
                return [*trail[trail.index(nxt) :], nxt]
            elif nxt not in done:
                trail.append(nxt)
                stack.append(iter(sorted(self._refs(nxt))))
        return None

    def _refs(self, segment: str) -> frozenset[str]:
        return self.schema.segments.get(segment, frozenset())

    def _has_label(self, node: ast.HasLabel, scope: str | None) -> None:
        self._event_only(node, scope, "'has label'")
        self.known("label", node.label, self.schema.labels, node, words=2)

    def _has_channel(self, node: ast.HasChannel, scope: str | None) -> None:
        self._event_only(node, scope, "'has channel'")
        self.known("channel", node.channel, self.schema.channels, node, words=2)

    def _consent(self, node: ast.ConsentIs, scope: str | None) -> None:
        self._event_only(node, scope, "'consent'")
        self.known("consent channel", node.channel, self.schema.consent_channels, node, words=1)


_GAP = re.compile(r"(?:\s+|--[^\n]*)*")
_KEYWORD = re.compile(r"(?:\s+|--[^\n]*)*[A-Za-z]+")


def _offset(source: str, pos: ast.Pos) -> int:
    lines = source.split("\n")
    return sum(len(line) + 1 for line in lines[: pos.line - 1]) + pos.column - 1


def _moment(value: ast.Value) -> dt.datetime:
    return iso_moment(str(value.value)) or dt.datetime.min.replace(tzinfo=dt.UTC)


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _typed(ptype: PropType) -> PropType | None:
    return None if ptype == "json" else ptype
