"""Property tests: random ASTs survive print -> parse, and no input raises a non-DSL error."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dsl
from dsl import ast
from dsl.printer import KEYWORDS
from kith_errors import DslError

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- names and literals -------------------------------------------------------------------------

_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
identifier = st.builds(
    str.__add__, st.sampled_from(_FIRST), st.text(_FIRST + "0123456789", max_size=7)
)
free_name = identifier.filter(lambda s: s.lower() not in KEYWORDS)
text = st.text(max_size=8)
path = st.builds(
    lambda first, rest: ast.Path((first, *rest)),
    free_name,
    st.lists(identifier, max_size=2),
)
number = st.integers(-(10**12), 10**12) | st.floats(allow_nan=False, allow_infinity=False)
scalar = text | number | st.booleans()
value = st.builds(ast.Value, scalar)
count = st.integers(0, 10_000)
unit = st.sampled_from(["minutes", "hours", "days", "weeks", "months"])
duration = st.builds(ast.Duration, count, unit)
date_value = st.builds(ast.Value, text)

# ---- predicates over properties -----------------------------------------------------------------

compare = st.builds(
    ast.Compare,
    path,
    st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "before", "after"]),
    value,
)
in_list = st.builds(
    ast.InList, path, st.builds(ast.Value, st.tuples(*[scalar] * 2) | st.just(())), st.booleans()
)
property_predicate = st.one_of(
    compare,
    in_list,
    st.builds(ast.Between, path, value, value),
    st.builds(ast.IsSet, path, st.booleans()),
    st.builds(
        ast.StringMatch,
        path,
        st.sampled_from(["contains", "starts_with", "ends_with", "matches"]),
        value,
    ),
    st.builds(ast.RelativeDate, path, st.sampled_from(["within_last", "more_than_ago"]), duration),
)


def boolean_over(leaves: st.SearchStrategy[Any], size: int) -> st.SearchStrategy[Any]:
    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        items = st.lists(children, min_size=2, max_size=3).map(tuple)
        return st.builds(ast.And, items) | st.builds(ast.Or, items) | st.builds(ast.Not, children)

    return st.recursive(leaves, extend, max_leaves=size)


where = boolean_over(property_predicate, 3)

# ---- event predicates ---------------------------------------------------------------------------

event_match = st.builds(ast.EventMatch, st.none() | text, st.none() | where)
frequency = st.one_of(
    st.builds(ast.Frequency, st.sampled_from(["at_least", "at_most", "exactly"]), count),
    st.builds(ast.Frequency, st.just("between"), count, count),
)
window = st.one_of(
    st.builds(ast.LastWindow, duration),
    st.builds(ast.DateWindow, date_value, date_value),
    st.builds(ast.DateWindow, st.none(), date_value),
    st.builds(ast.DateWindow, date_value, st.none()),
    st.builds(ast.AgoWindow, count, count, unit),
)
aggregate = st.one_of(
    st.builds(
        ast.Aggregate,
        st.sampled_from(["sum", "avg", "min", "max"]),
        path,
        event_match,
        st.none() | window,
        st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
        value,
    ),
    st.builds(
        ast.Aggregate,
        st.just("count"),
        st.none(),
        event_match,
        st.none() | window,
        st.sampled_from(["=", ">"]),
        value,
    ),
)
occurrence = st.one_of(
    st.builds(
        ast.Occurrence,
        st.sampled_from(["first", "last"]),
        event_match,
        st.sampled_from(["within_last", "more_than_ago"]),
        duration,
    ),
    st.builds(
        ast.Occurrence,
        st.sampled_from(["first", "last"]),
        event_match,
        st.sampled_from(["before", "after"]),
        date=date_value,
    ),
)
event_predicate = st.one_of(
    st.builds(ast.Did, event_match, st.booleans(), st.none() | frequency, st.none() | window),
    aggregate,
    occurrence,
    st.builds(
        ast.Sequence,
        st.lists(event_match, min_size=2, max_size=3).map(tuple),
        st.none() | duration,
        st.none() | window,
        st.booleans(),
    ),
)
membership = st.one_of(
    st.builds(ast.InSegment, text),
    st.builds(ast.HasLabel, text),
    st.builds(ast.HasChannel, text),
    st.builds(ast.ConsentIs, text, st.sampled_from(["granted", "denied", "revoked", "unknown"])),
)
segment = boolean_over(property_predicate | event_predicate | membership, 4)

# ---- rules and goals ----------------------------------------------------------------------------

source_value = value | st.builds(ast.EventRef, st.builds(ast.Path, st.tuples(identifier)))
action = st.one_of(
    st.builds(ast.SetProperty, path, source_value),
    st.builds(ast.UnsetProperty, path),
    st.builds(ast.Increment, path, number),
    st.builds(ast.LabelAction, text, st.booleans()),
    st.builds(ast.ListAction, text, st.booleans()),
    st.builds(ast.SetConsent, text, st.sampled_from(["granted", "denied", "revoked"])),
    st.builds(ast.EmitEvent, text, st.lists(st.tuples(text, source_value), max_size=2).map(tuple)),
    st.builds(ast.CallWebhook, text),
    st.builds(ast.Notify, text),
)
trigger = st.one_of(
    st.builds(ast.EventTrigger, event_match),
    st.builds(ast.ScheduleTrigger, st.sampled_from(["minute", "hour", "day", "week"])),
    st.builds(ast.SegmentTrigger, st.sampled_from(["entering", "leaving"]), text),
)
rule = st.builds(
    ast.Rule, trigger, st.none() | segment, st.lists(action, min_size=1, max_size=3).map(tuple)
)
point = event_match | segment
goal = st.builds(
    ast.Goal, text, point, st.none() | point, st.none() | duration, st.none() | segment
)


# ---- round trips --------------------------------------------------------------------------------


@SETTINGS
@given(segment)
def test_segments_print_and_parse_back_equal(expr: ast.Expr) -> None:
    text = dsl.format_expr(expr)
    assert dsl.parse_segment(text) == expr, text


@SETTINGS
@given(rule)
def test_rules_print_and_parse_back_equal(node: ast.Rule) -> None:
    text = dsl.format_rule(node)
    assert dsl.parse_rule(text) == node, text


@SETTINGS
@given(goal)
def test_goals_print_and_parse_back_equal(node: ast.Goal) -> None:
    text = dsl.format_goal(node)
    assert dsl.parse_goal(text) == node, text


# ---- anything in, only DslError out -------------------------------------------------------------

WORDS = [*sorted(KEYWORDS), "country", "amount", "purchase", "vip", "address.city", "event"]
PIECES = [*WORDS, '"ID"', "'x'", "5", "-", "1.5", "(", ")", "[", "]", ",", ":", "."]
PIECES += ["=", "!=", "<", ">=", "--c\n", '"2026-01-01"', "\n", "@", '"', "\\", "1e999"]
token_soup = st.lists(st.sampled_from(PIECES), max_size=25).map(" ".join)


def parse_and_check(text: str, schema: dsl.Schema) -> None:
    """Parse as each start rule; whatever parses must check and print without surprises."""
    for parse, check, fmt in (
        (dsl.parse_segment, dsl.check_segment, dsl.format_expr),
        (dsl.parse_rule, dsl.check_rule, dsl.format_rule),
        (dsl.parse_goal, dsl.check_goal, dsl.format_goal),
    ):
        try:
            node = parse(text)
            assert parse(fmt(node)) == node
            check(node, schema, text)
        except DslError as err:
            assert str(err) and err.line >= 1 and err.column >= 1


@SETTINGS
@given(token_soup)
def test_keyword_soup_only_raises_dsl_errors(schema: dsl.Schema, text: str) -> None:
    parse_and_check(text, schema)


@SETTINGS
@given(st.text(max_size=60))
def test_random_text_only_raises_dsl_errors(schema: dsl.Schema, text: str) -> None:
    parse_and_check(text, schema)


@SETTINGS
@given(st.binary(max_size=60))
def test_random_bytes_only_raise_dsl_errors(schema: dsl.Schema, data: bytes) -> None:
    parse_and_check(data.decode("utf-8", errors="surrogateescape"), schema)


@settings(SETTINGS, max_examples=50)
@given(segment)
def test_checking_random_segments_only_raises_dsl_errors(schema: dsl.Schema, expr: Any) -> None:
    with contextlib.suppress(DslError):
        dsl.check_segment(expr, schema, dsl.format_expr(expr))
