"""A property may not be named like a keyword that begins a condition (`did`, `count`, ...): it
could never be used in a segment. The words come from the grammar (asked of the parser); every
path that defines a property refuses them with a clear error; other keywords (`days`) work as
names; unregistered data under a reserved key stays usable as `properties.<key>`."""

from __future__ import annotations

from pathlib import Path

import pytest

import dsl
from app.cli import main
from engine import Workspace
from engine.catalog.values import RESERVED
from kith_errors import DslError, ValidationError
from tests.analytics.messages import identify


def test_the_reserved_words_come_from_the_grammar() -> None:
    reserved = dsl.reserved_words()
    assert {"did", "not", "in", "has", "consent", "first", "last", "count", "total"} <= reserved
    assert reserved <= dsl.KEYWORDS and "days" not in reserved and "time" not in reserved
    assert dsl.reserved_words(in_where=True) == {"not"}


@pytest.mark.parametrize("name", sorted(dsl.reserved_words()))
def test_every_reserved_word_is_refused_as_a_property_name(ws: Workspace, name: str) -> None:
    with pytest.raises(ValidationError, match="word of the segment language"):
        ws.catalog.define_property(name, "string")
    assert name not in ws.catalog.custom()
    with pytest.raises(DslError):  # why: the parser reads it as the keyword
        ws.segments.check(f'{name} = "x"')


@pytest.mark.parametrize("name", sorted(dsl.KEYWORDS - dsl.reserved_words() - RESERVED))
def test_other_keywords_are_usable_names(ws: Workspace, name: str) -> None:
    ws.catalog.define_property(name, "number")
    assert ws.segments.count(f"{name} > 1") == 0


def test_an_event_property_named_not_is_refused(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="'not' is a word of the segment language"):
        ws.catalog.register_event_type("order_paid", properties={"not": "number"})
    ws.catalog.register_event_type("order_paid", properties={"count": "number"})
    assert ws.segments.count("did order_paid where count > 1") == 0


def test_the_cli_refuses_it_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "kith.duckdb")
    assert main(["property", "define", "did", "string", "--db", db]) == 1
    assert "'did' is a word of the segment language" in capsys.readouterr().err
    assert main(["property", "define", "did_it", "string", "--db", db]) == 0


def test_an_event_type_name_error_gives_an_event_type_example(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match=r"e\.g\. 'order_completed'"):
        ws.catalog.register_event_type("Order Paid")


def test_a_trait_named_like_a_keyword_is_reachable_as_properties(ws: Workspace) -> None:
    ws.ingest.messages([identify("u1", did="yes"), identify("u2")])
    assert ws.segments.count('properties.did = "yes"') == 1
