"""Golden tests: every construct, DSL -> AST or DSL -> exact error text.

Each file in tests/dsl/golden/ holds cases separated by lines of `=====`: the input, a line
`-----`, and the expected output: the AST's repr, or the error's class name and full text
(message, source line and caret). The file name's first word says what the inputs are
(segments, rules or goals); every input is parsed, then checked against the test schema.
After a deliberate change, `KITH_UPDATE_GOLDEN=1 pytest tests/dsl/test_golden.py` rewrites the
expected outputs; review the diff before committing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import dsl
from kith_errors import DslError

GOLDEN_DIR = Path(__file__).with_name("golden")
CASE_SEPARATOR = "\n=====\n"
OUTPUT_SEPARATOR = "\n-----\n"
UPDATE = bool(os.environ.get("KITH_UPDATE_GOLDEN"))


@dataclass(frozen=True)
class Case:
    file: Path
    index: int
    text: str
    expected: str

    @property
    def id(self) -> str:
        first = self.text.splitlines()[0] if self.text.strip() else "<empty>"
        return f"{self.file.stem}[{self.index}]:{first[:50]}"


def load(file: Path) -> list[Case]:
    blocks = file.read_text(encoding="utf-8").split(CASE_SEPARATOR)
    cases = []
    for i, block in enumerate(blocks):
        text, _, expected = block.partition(OUTPUT_SEPARATOR)
        cases.append(Case(file, i, text.strip("\n"), expected.strip("\n")))
    return cases


def run(case: Case, schema: dsl.Schema) -> str:
    kind = case.file.stem.split("_")[0]
    parse, check = RUNNERS[kind]
    try:
        node = parse(case.text)
        check(node, schema, case.text)
    except DslError as err:
        return f"{type(err).__name__}: {err}"
    return repr(node)


def _check_segment(expr: Any, schema: dsl.Schema, source: str) -> None:
    dsl.check_segment(expr, schema, source, name="this_segment")


RUNNERS: dict[str, tuple[Callable[[str], Any], Callable[[Any, dsl.Schema, str], None]]] = {
    "segments": (dsl.parse_segment, _check_segment),
    "rules": (dsl.parse_rule, dsl.check_rule),
    "goals": (dsl.parse_goal, dsl.check_goal),
}
CASES = [case for file in sorted(GOLDEN_DIR.glob("*.txt")) for case in load(file)]


@pytest.fixture(scope="session")
def outputs() -> Iterator[dict[Case, str]]:
    """Collects actual outputs; in update mode, writes them back to the files at the end."""
    collected: dict[Case, str] = {}
    yield collected
    if UPDATE:
        for file in {case.file for case in collected}:
            cases = [c for c in CASES if c.file == file]
            blocks = [f"{c.text}{OUTPUT_SEPARATOR}{collected.get(c, c.expected)}" for c in cases]
            file.write_text(CASE_SEPARATOR.join(blocks) + "\n", encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(case: Case, schema: dsl.Schema, outputs: dict[Case, str]) -> None:
    actual = outputs[case] = run(case, schema)
    if not UPDATE:
        assert actual == case.expected


def test_every_golden_file_has_cases() -> None:
    counts = {f.stem: sum(c.file == f for c in CASES) for f in GOLDEN_DIR.glob("*.txt")}
    assert set(counts) >= {"segments", "segments_errors", "rules", "goals"}
    assert all(n >= 5 for n in counts.values()), counts
