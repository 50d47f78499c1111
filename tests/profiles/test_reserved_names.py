"""A property may not be named like a word of the segment language (`did`, `count`, ...): it
could never be used in a segment. Every path that defines one refuses it with a clear error;
unregistered data under such a key stays usable as `properties.<key>`."""

from __future__ import annotations

from pathlib import Path

import pytest

import dsl
from app.cli import main
from engine import Workspace
from kith_errors import ValidationError
from tests.analytics.messages import identify


def test_the_keywords_come_from_the_grammar() -> None:
    grammar = dsl.parser.GRAMMAR_FILE.read_text()
    assert {"did", "count", "within", "segment", "then"} <= dsl.KEYWORDS
    assert all(f'"{word}"i' in grammar for word in dsl.KEYWORDS)


@pytest.mark.parametrize("name", sorted(dsl.KEYWORDS))
def test_every_keyword_is_refused_as_a_property_name(ws: Workspace, name: str) -> None:
    with pytest.raises(ValidationError, match="word of the segment language"):
        ws.catalog.define_property(name, "string")
    assert name not in ws.catalog.custom()


def test_an_event_property_named_like_a_keyword_is_refused(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="'count' is a word of the segment language"):
        ws.catalog.register_event_type("order_paid", properties={"count": "number"})


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
