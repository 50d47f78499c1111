"""Completion for the editors: what the words before the one being typed call for, quoting
where the language needs it, and a checker's "did you mean" put in place of the wrong word."""

from __future__ import annotations

import pytest

import dsl
from dsl.complete import STARTERS, apply_suggestion, complete
from dsl.schema import Schema
from kith_errors import DslError

SCHEMA = Schema(
    properties={"country": "string", "company": "string", "properties": "json"},
    event_types={"purchase": {"amount": "number"}, "page_view": {}, "Order Done": {}},
    segments={"vip buyers": frozenset(), "active": frozenset()},
    labels=frozenset({"vip", "newsletter"}),
    channels=frozenset({"whatsapp", "email"}),
    consent_channels=frozenset({"whatsapp", "sms"}),
)


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        ("did ", ['did "Order Done" ', "did page_view ", "did purchase "]),
        ("did not pa", ["did not page_view "]),
        ("did purchase then pa", ["did purchase then page_view "]),
        ("did purchase where am", ["did purchase where amount "]),
        ("has label ", ['has label "newsletter" ', 'has label "vip" ']),
        ('has label "ne', ['has label "newsletter" ']),
        ("in segment vi", ['in segment "vip buyers" ']),
        ("consent ", ["consent sms ", "consent whatsapp "]),
        ("has channel e", ["has channel email "]),
        ('country = "ID" and comp', ['country = "ID" and company ']),
        ("did purchase in last ", []),
        ("did purchase ", []),
    ],
)
def test_the_words_before_choose_what_is_offered(text: str, offered: list[str]) -> None:
    assert [c.text for c in complete(text, SCHEMA)] == offered


def test_at_the_start_the_ways_to_begin_come_first() -> None:
    labels = [c.label for c in complete("", SCHEMA, limit=20)]
    assert labels[: len(STARTERS)] == list(STARTERS)
    assert "country" in labels


def test_a_partial_keyword_is_finished_too() -> None:
    assert "within" in [c.label for c in complete("did purchase wit", SCHEMA)]


def test_every_offer_parses_to_a_checked_expression() -> None:
    for text in ("did ", "has label ", "in segment ", "consent "):
        for option in complete(text, SCHEMA):
            tail = " is granted" if text == "consent " else ""
            source = option.text + tail
            dsl.check_segment(dsl.parse_segment(source), SCHEMA, source)


def _error(source: str) -> DslError:
    with pytest.raises(DslError) as caught:
        dsl.check_segment(dsl.parse_segment(source), SCHEMA, source)
    return caught.value


@pytest.mark.parametrize(
    ("source", "fixed"),
    [
        ('contry = "ID"', 'country = "ID"'),
        ('-- vips\nhas label "vipp"\nor did purchse', '-- vips\nhas label "vip"\nor did purchse'),
        ("did purchase where amout > 5", "did purchase where amount > 5"),
        ("consent whatsap is granted", "consent whatsapp is granted"),
    ],
)
def test_a_suggestion_replaces_the_word_it_is_about(source: str, fixed: str) -> None:
    assert apply_suggestion(_error(source)) == fixed


def test_no_suggestion_no_fix() -> None:
    assert apply_suggestion(_error('zzzzzz = "ID"')) is None
