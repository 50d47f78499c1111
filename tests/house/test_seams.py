"""The house's seams, checked on the source: every error class in kith_errors, no dashboard glue
in the engine, SQL text rendered only in store/ (and the compiler's dialect seam for other
dialects), and no temp-table or view name of the store's outside store/."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import kith_errors

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "store", "dsl", "app")
SCRIPTS = {"app.main"}  # the dashboard's script: importing it runs the dashboard


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *_subclasses(direct)}}


def test_every_error_class_lives_in_kith_errors() -> None:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if info.name not in SCRIPTS:
                importlib.import_module(info.name)
    elsewhere = {
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _subclasses(kith_errors.KithError)
        if cls.__module__ != "kith_errors" and not cls.__module__.startswith("tests")
    }
    assert elsewhere == set()


def test_the_engine_imports_no_dashboard_or_http_library() -> None:
    for path in _modules("engine"):
        assert _imported(path) & {"plotly", "streamlit", "fastapi", "starlette"} == set(), path


def test_the_engine_renders_no_sql_text() -> None:
    """Statements run through store (`Database.prepare` renders one to run many times); only the
    compiler's dialect seam prints a tree, to show it in another dialect (`kith segment sql`)."""
    seam = ROOT / "engine" / "compiler"
    calls = re.compile(r"\brender\(|\.sql\(dialect=")
    for path in _modules("engine"):
        if seam not in path.parents:
            assert not calls.search(path.read_text()), path
            assert "render" not in {
                alias.name
                for node in ast.walk(ast.parse(path.read_text()))
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("store")
                for alias in node.names
            }, path


def _temp_names() -> set[str]:
    """Every view and temporary table name the store's SQL uses (real tables left out)."""
    tables = {
        match.lower()
        for path in (ROOT / "store" / "migrations").glob("*.sql")
        for match in re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", path.read_text(), re.I)
    }
    created = re.compile(r"TEMP TABLE (?:IF NOT EXISTS )?(\w+)|views\(\s*(\w+)=|(\w+) = \"(\w+)\"")
    names: set[str] = set()
    for path in _modules("store"):
        text = path.read_text()
        names.update(re.findall(r"\b(?:kith|_segment)_[a-z_]+\b", text))
        for found in created.findall(text):
            names.update(n for n in (found[0], found[1], found[3]) if n)
    return {n for n in names if n.lower() not in tables and "_" in n} - {"kith_errors"}


def test_no_temp_table_name_outside_store() -> None:
    names = _temp_names()
    assert {"kith_in", "kith_b", "kith_ev", "kith_rule_emit", "_segment_diff"} <= names
    word = re.compile(r"\b(" + "|".join(sorted(names)) + r")\b")
    for package in ("engine", "app", "pages"):
        for path in _modules(package):
            found = word.findall(path.read_text())
            assert found == [], f"{path.relative_to(ROOT)} names {sorted(set(found))}"


def test_these_capabilities_never_reach_back_into_the_facade() -> None:
    """Their services receive what they use (the facade builds and wires them), so none
    imports engine.workspace, not even for type checking."""
    for package in ("admin", "analytics", "catalog", "compiler", "segments"):
        for path in _modules(f"engine/{package}"):
            assert "engine.workspace" not in path.read_text(), path.relative_to(ROOT)
