"""Parser behaviour that golden files do not show: meanings spelled out, positions, error data,
no Lark object in the AST, and limits on huge or deeply nested input."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path
from typing import Any

import lark
import pytest

import dsl
from dsl import ast
from dsl.refs import walk
from dsl.transformer import MAX_DEPTH
from kith_errors import DslError, DslSyntaxError

GOLDEN = Path(__file__).with_name("golden")


def cmp(name: str, op: str, val: Any) -> ast.Compare:
    return ast.Compare(ast.Path(tuple(name.split("."))), op, ast.Value(val))  # type: ignore[arg-type]


def purchase(where: Any = None) -> ast.EventMatch:
    return ast.EventMatch("purchase", where)


# ---- meanings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "func"),
    [
        ("total amount of purchase > 1", "sum"),
        ("sum amount of purchase > 1", "sum"),
        ("average amount of purchase > 1", "avg"),
        ("AVG amount of purchase > 1", "avg"),
        ("min amount of purchase > 1", "min"),
        ("minimum amount of purchase > 1", "min"),
        ("max amount of purchase > 1", "max"),
        ("Maximum amount of purchase > 1", "max"),
    ],
)
def test_aggregate_words(text: str, func: str) -> None:
    expected = ast.Aggregate(func, ast.Path(("amount",)), purchase(), None, ">", ast.Value(1))  # type: ignore[arg-type]
    assert dsl.parse_segment(text) == expected


def test_dsl_md_aggregate_means_a_sum_over_a_window() -> None:
    expr = dsl.parse_segment("total amount of purchase in last 90 days > 1000")
    window = ast.LastWindow(ast.Duration(90, "days"))
    path = ast.Path(("amount",))
    assert expr == ast.Aggregate("sum", path, purchase(), window, ">", ast.Value(1000))


def test_count_has_no_property() -> None:
    expr = dsl.parse_segment("count of purchase > 3")
    assert expr == ast.Aggregate("count", None, purchase(), None, ">", ast.Value(3))


@pytest.mark.parametrize(
    ("text", "frequency"),
    [
        ("did purchase at least 2 times", ast.Frequency("at_least", 2)),
        ("did purchase at least 1 time", ast.Frequency("at_least", 1)),
        ("did purchase at most 3 times", ast.Frequency("at_most", 3)),
        ("did purchase exactly 1 times", ast.Frequency("exactly", 1)),
        ("did purchase exactly 0 times", ast.Frequency("exactly", 0)),
        ("did purchase between 2 and 5 times", ast.Frequency("between", 2, 5)),
    ],
)
def test_frequencies(text: str, frequency: ast.Frequency) -> None:
    assert dsl.parse_segment(text) == ast.Did(purchase(), frequency=frequency)


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("in last 1 day", ast.LastWindow(ast.Duration(1, "days"))),
        ("in last 5 minutes", ast.LastWindow(ast.Duration(5, "minutes"))),
        ("in the last 2 hours", ast.LastWindow(ast.Duration(2, "hours"))),
        ("within last 3 weeks", ast.LastWindow(ast.Duration(3, "weeks"))),
        ("in last 1 month", ast.LastWindow(ast.Duration(1, "months"))),
        ('before "2026-01-01"', ast.DateWindow(None, ast.Value("2026-01-01"))),
        ('after "2026-01-01"', ast.DateWindow(ast.Value("2026-01-01"), None)),
        (
            'between "2026-01-01" and "2026-02-01"',
            ast.DateWindow(ast.Value("2026-01-01"), ast.Value("2026-02-01")),
        ),
        ("between 7 and 14 days ago", ast.AgoWindow(7, 14, "days")),
    ],
)
def test_windows(text: str, window: ast.Window) -> None:
    assert dsl.parse_segment(f"did purchase {text}") == ast.Did(purchase(), window=window)


def test_sequence_has_n_steps_each_with_its_own_filter() -> None:
    expr = dsl.parse_segment(
        "did signup then page_view where url contains 'pricing' then purchase within 7 days"
    )
    assert isinstance(expr, ast.Sequence)
    assert [s.event for s in expr.steps] == ["signup", "page_view", "purchase"]
    assert expr.steps[1].where == ast.StringMatch(
        ast.Path(("url",)), "contains", ast.Value("pricing")
    )
    assert expr.within == ast.Duration(7, "days")


def test_and_binds_tighter_than_or() -> None:
    a, b, c = cmp("country", "=", "A"), cmp("city", "=", "B"), cmp("plan", "=", "C")
    text = 'country = "A" or city = "B" and plan = "C"'
    assert dsl.parse_segment(text) == ast.Or((a, ast.And((b, c))))
    text = 'country = "A" and city = "B" or plan = "C"'
    assert dsl.parse_segment(text) == ast.Or((ast.And((a, b)), c))


def test_not_binds_tighter_than_and() -> None:
    a, b = cmp("country", "=", "A"), cmp("city", "=", "B")
    assert dsl.parse_segment('not country = "A" and city = "B"') == ast.And((ast.Not(a), b))


def test_where_filter_takes_the_rest_of_the_chain() -> None:
    expr = dsl.parse_segment("did purchase where amount > 1 or currency = 'USD'")
    where = ast.Or((cmp("amount", ">", 1), cmp("currency", "=", "USD")))
    assert expr == ast.Did(purchase(where))


def test_numbers_stay_ints_and_strings_keep_dates_as_text() -> None:
    assert dsl.parse_segment("lifetime_value > 5") == cmp("lifetime_value", ">", 5)
    assert type(dsl.parse_segment("lifetime_value > 5").value.value) is int  # type: ignore[union-attr]
    assert dsl.parse_segment("lifetime_value > 5.0") == cmp("lifetime_value", ">", 5.0)
    assert dsl.parse_segment('created_at before "2026-01-01"').value == ast.Value("2026-01-01")  # type: ignore[union-attr]


def test_string_escapes() -> None:
    expr = dsl.parse_segment(r'name = "a\"b\\c\nd\te\u00e9" or name = ' + "'it\\'s'")
    assert [i.value.value for i in expr.items] == ['a"b\\c\nd\te\u00e9', "it's"]  # type: ignore[union-attr]


def test_goal_spellings() -> None:
    goal = dsl.parse_goal(
        'goal "G": start segment (vip = true) target signup within 7 days for (country = "ID")'
    )
    assert goal.start == cmp("vip", "=", True)
    assert goal.target == ast.EventMatch("signup")
    assert goal.audience == cmp("country", "=", "ID")


# ---- positions and error data -------------------------------------------------------------------


def test_nodes_carry_line_and_column() -> None:
    expr = dsl.parse_segment('-- note\ncountry = "ID"\n  and did purchase where amount > 5')
    assert isinstance(expr, ast.And)
    compare, did = expr.items
    assert compare.pos == ast.Pos(2, 1)
    assert did.pos == ast.Pos(3, 7)
    assert did.match.pos == ast.Pos(3, 11)  # type: ignore[union-attr]
    assert did.match.where.value.pos == ast.Pos(3, 35)  # type: ignore[union-attr]


def test_positions_do_not_change_equality() -> None:
    assert dsl.parse_segment("vip = true") == dsl.parse_segment("\n\n   vip   =   TRUE")


def test_syntax_error_carries_data() -> None:
    with pytest.raises(DslSyntaxError) as caught:
        dsl.parse_segment("country = ID")
    err = caught.value
    assert (err.line, err.column) == (1, 11)
    assert err.expected == "a value (text in quotes, a number, true or false)"
    assert err.suggestion == '"ID"'
    assert err.to_dict()["code"] == "dsl_syntax_error"
    assert str(err).endswith("country = ID\n          ^")


def test_no_raw_lark_token_names_in_messages() -> None:
    texts = [
        c.split("\n-----\n")[1] for c in (GOLDEN / "segments_errors.txt").read_text().split("=====")
    ]
    messages = "\n".join(t for t in texts if t.startswith("DslSyntaxError"))
    assert messages
    assert not re.search(r"\b(RPAR|LPAR|NAME|STRING|NUMBER|__ANON|\$END|_[A-Z]+)\b", messages)


def test_not_text_is_refused() -> None:
    with pytest.raises(DslSyntaxError, match="expected the expression as text"):
        dsl.parse_segment(b"vip = true")  # type: ignore[arg-type]


# ---- no Lark object survives --------------------------------------------------------------------


def all_golden_asts() -> list[Any]:
    nodes = []
    for file, parse in (
        ("segments.txt", dsl.parse_segment),
        ("rules.txt", dsl.parse_rule),
        ("goals.txt", dsl.parse_goal),
    ):
        for block in (GOLDEN / file).read_text().split("\n=====\n"):
            text = block.split("\n-----\n")[0]
            try:
                nodes.append(parse(text))
            except DslError:
                continue
    return nodes


def test_no_lark_tree_or_token_leaks_into_the_ast() -> None:
    nodes = all_golden_asts()
    assert len(nodes) > 100
    for root in nodes:
        for node in walk(root):
            for value in vars(node).values():
                assert not isinstance(value, lark.Tree | lark.Token), (node, value)
                assert type(value).__module__ in ("builtins", "dsl.ast"), (node, value)


# ---- huge and deep input ------------------------------------------------------------------------


def test_deep_parentheses_parse() -> None:
    depth = 5000
    assert dsl.parse_segment("(" * depth + "vip = true" + ")" * depth) == cmp("vip", "=", True)


def test_long_chains_stay_flat() -> None:
    expr = dsl.parse_segment(" or ".join(["vip = true"] * 5000))
    assert isinstance(expr, ast.Or) and len(expr.items) == 5000
    assert dsl.parse_segment(dsl.format_expr(expr)) == expr


def test_too_deep_nesting_is_a_clear_error() -> None:
    with pytest.raises(DslSyntaxError, match="nested too deeply"):
        dsl.parse_segment("not " * (MAX_DEPTH + 1) + "vip = true")
    with pytest.raises(DslSyntaxError, match="nested too deeply"):
        dsl.parse_segment("(vip = true and " * 20000 + "vip = true" + ")" * 20000)


def test_nesting_up_to_the_limit_is_fine() -> None:
    expr = dsl.parse_segment("not " * MAX_DEPTH + "vip = true")
    assert dsl.parse_segment(dsl.format_expr(expr)) == expr


def test_huge_input_gives_an_answer() -> None:
    text = 'country = "' + "x" * 1_000_000 + '"'
    assert dsl.parse_segment(text) == cmp("country", "=", "x" * 1_000_000)
    with pytest.raises(DslSyntaxError):
        dsl.parse_segment("vip = true " * 100_000)


# ---- helpers and docs ---------------------------------------------------------------------------


def test_segment_references_and_event_types() -> None:
    rule = dsl.parse_rule(
        'when signup if in segment "vip" and not did purchase then page_view then add label "x"'
    )
    assert dsl.segment_references(rule) == {"vip"}
    assert dsl.event_types_used(rule) == {"signup", "purchase", "page_view"}
    assert dsl.event_types_used(dsl.parse_segment("did any event")) == frozenset()


@pytest.mark.parametrize(
    "module", ["dsl.printer", "dsl.refs", "dsl.suggest", "dsl.complete", "dsl.parser"]
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
