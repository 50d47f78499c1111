"""Pages stay thin: no SQL, no database driver, no store imports; app/main.py only navigates."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "pages").glob("*.py"))
UI = sorted((ROOT / "app" / "ui").glob("*.py"))
SQL = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\b\s+\S+.*\b(FROM|INTO|SET|TABLE)\b"
)
FORBIDDEN = ("duckdb", "store", "sqlglot")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def _strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def test_every_screen_of_the_brief_has_a_page() -> None:
    names = {p.stem for p in PAGES}
    expected = {"overview", "people", "profile", "segments", "events", "funnels", "goals"}
    expected |= {"rules", "consent", "properties", "transfer", "settings"}
    assert expected <= names


@pytest.mark.parametrize("path", PAGES + UI, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_database_access(path: Path) -> None:
    assert not _imports(path) & set(FORBIDDEN), f"{path.name} imports the database layer"


@pytest.mark.parametrize("path", PAGES + UI, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_sql_text(path: Path) -> None:
    offending = [s for s in _strings(path) if SQL.search(s.upper())]
    assert not offending, f"{path.name} holds SQL: {offending[:1]}"


def test_the_scanner_catches_sql_and_driver_imports(tmp_path: Path) -> None:
    page = tmp_path / "bad.py"
    page.write_text('import duckdb\nq = "select name from profiles where id = 1"\n')
    assert _imports(page) & set(FORBIDDEN)
    assert any(SQL.search(s.upper()) for s in _strings(page))


def test_main_only_configures_and_navigates() -> None:
    tree = ast.parse((ROOT / "app" / "main.py").read_text())
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert calls <= {"set_page_config", "navigation", "run", "Page", "resolve"}
