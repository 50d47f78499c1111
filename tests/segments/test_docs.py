"""The compiler's docstring examples run."""

from __future__ import annotations

import doctest

import engine.compiler


def test_compiler_docstring_examples_run() -> None:
    result = doctest.testmod(engine.compiler)
    assert result.attempted > 0 and result.failed == 0
