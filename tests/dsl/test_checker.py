"""The checker's error data (kind, position, expected, suggestion) and its name rules.
Exact messages for every error kind live in golden/segments_errors.txt, rules.txt, goals.txt."""

from __future__ import annotations

import dataclasses

import pytest

import dsl
from kith_errors import DslError, DslNameError, DslTypeError


def check(text: str, schema: dsl.Schema, name: str | None = None) -> None:
    dsl.check_segment(dsl.parse_segment(text), schema, text, name=name)


def failure(text: str, schema: dsl.Schema, name: str | None = None) -> DslError:
    with pytest.raises(DslError) as caught:
        check(text, schema, name)
    return caught.value


@pytest.mark.parametrize(
    ("text", "kind", "column", "suggestion"),
    [
        ('contry = "ID"', DslNameError, 1, "country"),
        ("did purchse", DslNameError, 5, "purchase"),
        ("did purchase where amont > 1", DslNameError, 20, "amount"),
        ('in segment "vipp"', DslNameError, 12, "vip"),  # at the name, not at 'in'
        ('has label "churnin"', DslNameError, 11, "churning"),
        ("has channel emial", DslNameError, 13, "email"),
        ("consent emaill is granted", DslNameError, 9, "email"),
        ("country > 5", DslTypeError, 11, None),
        ('vip = "true"', DslTypeError, 7, None),
        ("lifetime_value starts with 'x'", DslTypeError, 1, None),
    ],
)
def test_error_data(
    schema: dsl.Schema, text: str, kind: type, column: int, suggestion: str | None
) -> None:
    err = failure(text, schema)
    assert type(err) is kind
    assert (err.line, err.column) == (1, column)
    assert err.suggestion == suggestion
    assert err.expected
    assert err.source == text


def test_expected_lists_the_event_properties(schema: dsl.Schema) -> None:
    err = failure("did purchase where url = 'x'", schema)
    assert err.expected == "amount, channel, currency, order_id or source"


@pytest.mark.parametrize(
    "text",
    [
        "did purchase where channel = 'email' and source = 'api'",
        "did any event where anything.at.all = 5 and whatever contains 'x'",
        'address.city = "Bandung" and address.geo.lat > 5 and address.tags contains "x"',
        "did vip_reached where extra.level = 3",
        'created_at > "2026-01-31T10:00:00+07:00" and updated_at <= "2026-02-01"',
        "lifetime_value between 1 and 2.5 and plan between 'a' and 'm'",
        'name matches "^(An|Bo)"',
        "count of any event > 2",
        "max amount of any event where channel = 'web' > 2",
    ],
)
def test_valid_expressions_pass(schema: dsl.Schema, text: str) -> None:
    check(text, schema)


def test_a_segment_that_uses_itself_is_a_loop(schema: dsl.Schema) -> None:
    err = failure('in segment "mine"', schema, name="mine")
    assert isinstance(err, DslNameError)
    assert err.message == "segment 'mine' refers to itself: mine -> mine"


def test_a_loop_through_other_segments(schema: dsl.Schema) -> None:
    looped = dataclasses.replace(
        schema, segments={**schema.segments, "a": frozenset({"b"}), "b": frozenset({"mine"})}
    )
    err = failure('vip = true or in segment "a"', looped, name="mine")
    assert err.message == "segment 'mine' refers to itself: mine -> a -> b -> mine"
    assert err.column == 15


def test_a_loop_among_existing_segments_is_found_without_a_name(schema: dsl.Schema) -> None:
    err = failure('in segment "loop_a"', schema)
    assert err.message == "segment 'loop_a' refers to itself: loop_a -> loop_b -> loop_a"


def test_a_long_chain_of_segments_is_fine(schema: dsl.Schema) -> None:
    chain = {f"s{i}": frozenset({f"s{i + 1}"}) for i in range(5000)}
    long = dataclasses.replace(schema, segments={**chain, "s5000": frozenset()})
    check('in segment "s0"', long, name="mine")


def test_redefining_a_segment_may_reference_others(schema: dsl.Schema) -> None:
    check('in segment "vip" and lifetime_value > 100', schema, name="big_spenders")


def test_rule_event_reference_needs_an_event_trigger(schema: dsl.Schema) -> None:
    text = "when entering segment 'vip' then set city = event.channel"
    with pytest.raises(DslTypeError, match="needs a rule that starts with 'when <event>'"):
        dsl.check_rule(dsl.parse_rule(text), schema, text)


def test_rule_event_reference_resolves_against_the_trigger(schema: dsl.Schema) -> None:
    text = "when purchase then set city = event.curency"
    with pytest.raises(DslNameError) as caught:
        dsl.check_rule(dsl.parse_rule(text), schema, text)
    assert caught.value.suggestion == "currency"


def test_adding_a_new_label_is_allowed(schema: dsl.Schema) -> None:
    text = 'when purchase then add label "brand-new"'
    dsl.check_rule(dsl.parse_rule(text), schema, text)


def test_goal_points_are_checked(schema: dsl.Schema) -> None:
    text = 'goal "G": start segment (plan = 5) target signup'
    with pytest.raises(DslTypeError):
        dsl.check_goal(dsl.parse_goal(text), schema, text)


def test_unknown_node_types_are_refused_loudly(schema: dsl.Schema) -> None:
    with pytest.raises(TypeError, match="does not know"):
        dsl.check_segment(object(), schema, "")  # type: ignore[arg-type]
