"""The results shown in docs/segment-language.md and README.md are the engine's: every example's
`-- demo: N profiles` line, the demo column of a table, and every `$ kith segment ...`
transcript are re-run on the demo workspace the docs tell the reader to build."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.cli import main
from engine import Workspace

pytestmark = pytest.mark.xdist_group("docs_demo")

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "segment-language.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
AS_OF = "2026-11-01T00:00:00"
RULE_WORDS = ("when", "every")

CODE_BLOCK = re.compile(r"^```\n(.*?)^```$", re.S | re.M)
SHELL_BLOCK = re.compile(r"^(?:~~~|```)sh\n(.*?)^(?:~~~|```)$", re.S | re.M)
RESULT = re.compile(r"^-- demo: (.+)$")
TABLE_ROW = re.compile(r"^\|(.+)\|\s*([\d,]+(?: / [\d,]+)*)\s*\|$", re.M)


@dataclass(frozen=True)
class Shown:
    """An example and the result the docs show for it."""

    text: str
    result: str

    def __str__(self) -> str:
        return " ".join(self.text.split())[:70]


def examples(block: str) -> tuple[list[Shown], str]:
    """The examples of a code block, each ended by its `-- demo:` line, and what follows the
    last of them."""
    shown: list[Shown] = []
    pending: list[str] = []
    for line in block.splitlines():
        found = RESULT.match(line)
        if found:
            shown.append(Shown("\n".join(pending), found.group(1)))
            pending = []
        elif line.strip():
            pending.append(line)
    return shown, "\n".join(pending)


def is_rule(text: str) -> bool:
    words = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return bool(words) and words[0].split()[0].lower() in RULE_WORDS


def language_blocks() -> list[str]:
    """Code blocks holding language examples (not errors, not rules)."""
    blocks = [b for b in CODE_BLOCK.findall(DOC) if not b.startswith("line ")]
    return [b for b in blocks if not is_rule(b)]


def block_examples() -> list[Shown]:
    return [shown for block in language_blocks() for shown in examples(block)[0]]


def table_examples() -> list[Shown]:
    """Table rows whose last cell holds results: one per code span of the first cell."""
    rows = []
    for cells, results in TABLE_ROW.findall(DOC):
        spans = re.findall(r"`([^`]+)`", cells.split("|")[0])
        counts = results.split(" / ")
        assert len(spans) == len(counts), f"row {cells!r}: {len(spans)} examples, {counts}"
        pairs = zip(spans, counts, strict=True)
        rows += [Shown(span, f"{count} profiles") for span, count in pairs]
    return rows


def transcripts(markdown: str) -> list[tuple[list[str], str]]:
    """`$ kith ...` commands in shell blocks, each with the output shown under it."""
    found = []
    for block in SHELL_BLOCK.findall(markdown):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            found.append((shlex.split(command), output))
    return found


def demo_command(markdown: str) -> list[str]:
    """The `kith demo` arguments a document shows, without --db."""
    (argv,) = [argv for argv, _ in transcripts(markdown) if argv[:2] == ["kith", "demo"]]
    args = argv[2:]
    if "--db" in args:
        del args[args.index("--db") : args.index("--db") + 2]
    return args


def segment_commands() -> list[tuple[list[str], str]]:
    both = transcripts(DOC) + transcripts(README)
    return [(argv, output) for argv, output in both if argv[:2] == ["kith", "segment"]]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace, built once by the very `kith demo` command the page shows."""
    path = tmp_path_factory.mktemp("docs_demo") / "demo.duckdb"
    assert main(["demo", *demo_command(DOC), "--db", str(path), "--quiet"]) == 0
    return path


@pytest.fixture(scope="module")
def demo(demo_db: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(demo_db)
    yield workspace
    workspace.close()


def result_of(ws: Workspace, text: str) -> str:
    """What the engine gives, written the way the docs write it."""
    if text.lstrip().lower().startswith("goal"):
        report = ws.goals.evaluate(ws.goals.parse(text), as_of=AS_OF)
        return f"{report.completions:,} of {report.starts:,} profiles ({report.rate:.1%})"
    count = ws.segments.count(text, as_of=AS_OF)
    return f"{count:,} profile" + ("" if count == 1 else "s")


@pytest.mark.parametrize("shown", block_examples() + table_examples(), ids=str)
def test_documented_result_is_the_engines(demo: Workspace, shown: Shown) -> None:
    assert result_of(demo, shown.text) == shown.result


@pytest.mark.parametrize("argv,output", segment_commands(), ids=lambda v: str(v)[:60])
def test_shown_commands_print_what_is_shown(
    demo_db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], output: str
) -> None:
    code = main([*argv[1:], "--db", str(demo_db)])
    printed = capsys.readouterr()
    assert printed.out + printed.err == output
    assert code == (1 if output.startswith("error: ") else 0)


def test_every_segment_and_goal_example_shows_its_result() -> None:
    for block in language_blocks():
        shown, rest = examples(block)
        unshown = [line for line in rest.splitlines() if not line.lstrip().startswith("--")]
        assert not unshown, f"no '-- demo: ...' result under {unshown}"
        assert shown, f"a block without results: {block!r}"


def test_the_docs_show_enough() -> None:
    assert len(block_examples()) >= 40 and len(table_examples()) >= 15
    assert len(segment_commands()) >= 4
    assert demo_command(README) == demo_command(DOC)
