"""docs/segment-language.md runs: every code example parses and checks, every error shown is
the exact text the implementation produces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import dsl
from kith_errors import DslError

DOC = Path(__file__).parents[2] / "docs" / "segment-language.md"
BLOCKS = re.findall(r"```\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
ERRORS = [b.rstrip("\n") for b in BLOCKS if b.startswith("line ")]
EXAMPLES = [b for b in BLOCKS if not b.startswith("line ")]


def parse_and_check(text: str, schema: dsl.Schema) -> None:
    first = text.lstrip().split()[0].lower()
    if first in ("when", "every"):
        dsl.check_rule(dsl.parse_rule(text), schema, text)
    elif first == "goal":
        dsl.check_goal(dsl.parse_goal(text), schema, text)
    else:
        dsl.check_segment(dsl.parse_segment(text), schema, text)


def statements(block: str) -> list[str]:
    """A block is one statement when its lines continue each other (indented or after a
    comment line), else one statement per line."""
    lines = [line for line in block.splitlines() if line.strip()]
    joined = any(line.startswith(" ") for line in lines)
    return [block] if joined else [line for line in lines if not line.startswith("--")]


@pytest.mark.parametrize("block", EXAMPLES)
def test_examples_parse_and_check(schema: dsl.Schema, block: str) -> None:
    for text in statements(block):
        parse_and_check(text, schema)


@pytest.mark.parametrize("shown", ERRORS)
def test_errors_shown_are_real(schema: dsl.Schema, shown: str) -> None:
    source = shown.splitlines()[1]
    with pytest.raises(DslError) as caught:
        parse_and_check(source, schema)
    assert str(caught.value) == shown


def test_the_doc_has_examples_and_errors() -> None:
    assert len(EXAMPLES) >= 12 and len(ERRORS) >= 10
