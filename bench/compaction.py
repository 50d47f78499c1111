"""Compaction benchmark: a GDPR erase (which ends by rewriting the workspace file) and a
compaction on its own, on a copy of a workspace.

Run: .venv/bin/python -m bench.compaction --db bench/data/bench-1m.duckdb
     [--work /tmp/kith-bench-compaction] [--repeat 2]

The workspace (and its .json sidecar, if any) is copied into --work first: the original is never
opened read-write. Each repeat erases one more person who has events, then compacts once more.
The table gives wall and CPU seconds (the process's, DuckDB's threads included), the file's size
before and after, and the process's peak RSS so far.
"""

from __future__ import annotations

import argparse
import functools
import resource
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine import Workspace

DEFAULT_WORK = Path("/tmp/kith-bench-compaction")


def _copy(source: Path, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    target = work / source.name
    for suffix in ("", ".json"):
        found = Path(f"{source}{suffix}")
        if found.exists():
            shutil.copyfile(found, Path(f"{target}{suffix}"))
    return target


def _timed(work: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _someone_with_events(ws: Workspace) -> int:
    events, _ = ws.events.list(limit=1)
    return int(events["profile_id"].iloc[0])


def _row(what: str, path: Path, work: Callable[[], Any]) -> list[str]:
    before = path.stat().st_size
    wall, cpu = _timed(work)
    after = path.stat().st_size
    return [
        what,
        f"{wall:.2f}",
        f"{cpu:.2f}",
        f"{before / 1e6:,.0f}",
        f"{after / 1e6:,.0f}",
        f"{_peak_mb():,.0f}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compaction")
    parser.add_argument("--db", required=True, type=Path, help="the workspace to copy")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where the copy goes")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    copy_wall, _ = _timed(lambda: _copy(args.db, args.work))
    path = args.work / args.db.name
    print(f"copied {args.db} to {path} in {copy_wall:.1f} s")
    rows = []
    with Workspace.open(path) as ws:
        for _ in range(args.repeat):
            erase = functools.partial(ws.privacy.erase, _someone_with_events(ws), actor="bench")
            rows.append(_row("erase (with compaction)", path, erase))
            rows.append(_row("compaction alone", path, ws.privacy.compact))
    head = ["what", "wall s", "CPU s", "MB before", "MB after", "peak RSS MB"]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
