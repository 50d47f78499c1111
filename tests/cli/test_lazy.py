"""The lazy command line: the table of commands matches what the modules register, and a
command imports only what it uses (`kith --help` no engine at all, a segment count no pandas
or pydantic)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import COMMANDS, _register, build_parser, command_modules

HEAVY_FOR_A_COUNT = {"pandas", "pyarrow", "numpy", "pydantic", "plotly", "streamlit", "fastapi"}


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _eager_parser() -> argparse.ArgumentParser:
    """The parser as it was built before start-up became lazy: every module registers."""
    parser = argparse.ArgumentParser(prog="kith", description="Kith customer data platform")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in command_modules():
        _register(sub, module)
    return parser


def test_the_table_lists_every_command_in_the_order_and_words_of_the_modules() -> None:
    eager, lazy = _eager_parser(), build_parser()
    assert list(_commands(lazy)) == [c.name for c in COMMANDS]
    assert lazy.format_help() == eager.format_help()


def test_the_table_names_each_commands_own_module() -> None:
    for module in command_modules():
        parser = argparse.ArgumentParser(prog="kith")
        sub = parser.add_subparsers()
        _register(sub, module)
        assert {c.name for c in COMMANDS if c.module == module} == set(_commands(parser))


@pytest.mark.parametrize("name", [c.name for c in COMMANDS])
def test_a_command_parses_exactly_as_with_every_module_loaded(name: str) -> None:
    eager = _commands(_eager_parser())[name]
    assert _commands(build_parser(name))[name].format_help() == eager.format_help()


def test_a_name_missing_from_the_table_still_finds_its_module() -> None:
    assert build_parser("no-such-command").format_help() == _eager_parser().format_help()


def _imported(tmp_path: Path, argv: list[str]) -> set[str]:
    """Top-level packages a fresh `kith ARGV` process imported (its exit code must be 0)."""
    script = (
        "import json, sys\nfrom app.cli import main\n"
        "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as stop:\n    code = stop.code\n"
        "sys.stdout.flush()\n"
        "print(json.dumps([code, sorted({m.split('.')[0] for m in sys.modules})]), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], capture_output=True, text=True, cwd=tmp_path
    )
    code, modules = json.loads(done.stderr.splitlines()[-1])
    assert code == 0, done.stderr
    return set(modules)


def test_help_imports_no_command_module_and_no_engine(tmp_path: Path) -> None:
    imported = _imported(tmp_path, ["--help"])
    assert not imported & {"engine", "store", "dsl", "duckdb", "sqlglot", "lark", "pandas"}


def test_a_segment_count_imports_no_pandas_and_no_dashboard(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    assert _imported(tmp_path, ["init", "--db", db]) >= {"engine", "duckdb"}
    imported = _imported(tmp_path, ["segment", "count", "did any event", "--db", db])
    assert imported >= {"engine", "dsl", "duckdb"}
    assert not imported & HEAVY_FOR_A_COUNT
