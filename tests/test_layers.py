"""The layers of docs/design.md, enforced on the source.

The import graph of our packages is read from every import statement (including those inside
functions and under TYPE_CHECKING). An arrow between two of our packages must be allowed by the
design's layer table; the engine, the language and the store never import the dashboard or the
web server; and no import cycle joins engine modules, apart from the facade
(`engine/workspace.py`, re-exported by `engine/__init__.py`) building and wiring the services."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "dsl", "engine", "pages", "store", "kith_errors")
FACADE = frozenset({"engine", "engine.workspace"})
FRONT_END = frozenset({"streamlit", "plotly", "fastapi", "uvicorn", "starlette"})
FORBIDDEN_LIBRARIES = {"engine": FRONT_END, "dsl": FRONT_END | {"duckdb"}, "store": FRONT_END}


@dataclass(frozen=True)
class Arrow:
    source: str  # the importing module
    target: str  # the imported module: one of ours, or a library's top-level name
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({source_file(self.source)}:{self.line})"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_file(module: str) -> Path:
    base = ROOT.joinpath(*module.split("."))
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    return path.relative_to(ROOT)


def our_modules() -> dict[str, Path]:
    files = [ROOT / "kith_errors.py"]
    for package in PACKAGES[:-1]:
        files += sorted((ROOT / package).rglob("*.py"))
    return {module_name(f): f for f in files}


def _from_base(node: ast.ImportFrom, source: str) -> str:
    """The absolute module a `from ... import` statement reads from."""
    if not node.level:
        return node.module or ""
    parts = source.split(".")
    if source_file(source).name != "__init__.py":
        parts = parts[:-1]  # a plain module's relative imports start at its package
    anchor = parts[: len(parts) - node.level + 1]
    return ".".join([*anchor, node.module] if node.module else anchor)


def _targets(node: ast.Import | ast.ImportFrom, source: str, ours: set[str]) -> Iterator[str]:
    """What one import statement imports: `from a import b` is module a.b when that exists."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = _from_base(node, source)
    for alias in node.names:
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in ours else base


def arrows() -> list[Arrow]:
    modules = our_modules()
    found = []
    for source, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [Arrow(source, t, node.lineno) for t in _targets(node, source, {*modules})]
    return found


def is_ours(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def layer_table() -> dict[str, set[str]]:
    """docs/design.md's layer table: each package (`app.ui` included) and what it may import."""
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    section = design.split("\n## Layers", 1)[1]
    first_table = re.search(r"^\|.*?(?=^[^|])", section, re.M | re.S)
    assert first_table, "docs/design.md has no layer table under '## Layers'"
    table: dict[str, set[str]] = {}
    rows = re.findall(r"^\| `([\w./]+)` \|.*\| (.*) \|$", first_table.group(0), re.M)
    for package, may_import in rows:
        name = package.rstrip("/").removesuffix(".py").replace("/", ".")
        table[name] = set(re.findall(r"`([\w.]+)`", may_import))
    return table


def row_of(module: str, table: dict[str, set[str]]) -> str:
    """The table row a module belongs to: the longest row name it starts with."""
    rows = [r for r in table if module == r or module.startswith(f"{r}.")]
    return max(rows, key=len)


def allowed(arrow: Arrow, table: dict[str, set[str]]) -> bool:
    mine, theirs = row_of(arrow.source, table), row_of(arrow.target, table)
    if mine == theirs or theirs.startswith(f"{mine}."):
        return True  # within a package, and a package into its own sub-packages
    names = [arrow.target, *(arrow.target.rsplit(".", n)[0] for n in range(1, 4))]
    return theirs in table[mine] or any(name in table[mine] for name in names)


def engine_cycles(found: list[Arrow]) -> list[frozenset[str]]:
    """Groups of two or more engine modules that import one another, the facade left out."""
    graph: dict[str, set[str]] = {}
    for a in found:
        inside = a.source.startswith("engine.") and a.target.startswith("engine.")
        if inside and a.source not in FACADE and a.target != a.source:
            graph.setdefault(a.source, set()).add(a.target)
    return [group for group in _strongly_connected(graph) if len(group) > 1]


def _strongly_connected(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Tarjan's algorithm, iterative so deep chains need no recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    groups.append(_pop_group(stack, on_stack, node))
            elif step not in index:
                index[step] = low[step] = len(index)
                stack.append(step)
                on_stack.add(step)
                work.append((step, iter(sorted(graph.get(step, ())))))
            elif step in on_stack:
                low[node] = min(low[node], index[step])
    return groups


def _pop_group(stack: list[str], on_stack: set[str], root: str) -> frozenset[str]:
    """The modules on the stack down to `root`: one strongly connected group."""
    group = set()
    while root not in group:
        member = stack.pop()
        on_stack.discard(member)
        group.add(member)
    return frozenset(group)


def test_the_design_has_a_row_for_every_package() -> None:
    assert set(layer_table()) >= {"pages", "app", "app.ui", "engine", "dsl", "store", "kith_errors"}


def test_imports_between_our_packages_follow_the_layer_table() -> None:
    table = layer_table()
    wrong = [str(a) for a in arrows() if is_ours(a.target) and not allowed(a, table)]
    assert not wrong, "imports against docs/design.md's layer table:\n" + "\n".join(wrong)


def test_engine_dsl_and_store_never_import_the_dashboard_or_the_server() -> None:
    wrong = [
        str(a)
        for a in arrows()
        if a.target.split(".")[0] in FORBIDDEN_LIBRARIES.get(a.source.split(".")[0], ())
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_among_engine_modules() -> None:
    cycles = [sorted(g) for g in engine_cycles(arrows())]
    assert not cycles, f"engine modules importing one another: {cycles}"


def test_the_checks_see_a_broken_arrow_and_a_cycle() -> None:
    table = layer_table()
    assert not allowed(Arrow("store.db", "engine.workspace", 1), table)
    assert not allowed(Arrow("dsl.parser", "store", 1), table)
    assert not allowed(Arrow("pages.people", "app.api.profiles", 1), table)
    assert allowed(Arrow("pages.people", "app.ui.views", 1), table)
    loop = [Arrow("engine.a.x", "engine.b.y", 1), Arrow("engine.b.y", "engine.a.x", 2)]
    facade = [
        Arrow("engine.workspace", "engine.a.x", 1),
        Arrow("engine.a.x", "engine.workspace", 2),
    ]
    assert engine_cycles(loop) == [frozenset({"engine.a.x", "engine.b.y"})]
    assert engine_cycles(facade) == []


def test_lazy_and_type_checking_imports_are_in_the_graph() -> None:
    found = {(a.source, a.target) for a in arrows()}
    assert ("app.cli.common", "engine") in found  # imported inside open_workspace
    assert ("engine.catalog.values", "engine.models") in found  # under TYPE_CHECKING
