"""The benchmark workspace: the demo with 1M people, built once and reused by every benchmark.

Run: .venv/bin/python -m bench.workspace [--profiles N] [--days D] [--rebuild]

The file lives at bench/data/bench-1m.duckdb (git-ignored) next to a JSON sidecar recording the
spec and the build figures. Benchmarks call `ensure()` for the path and `as_of()` for the moment
the data ends, so "in last 30 days" means the same thing however old the file is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from engine import Workspace
from engine.admin.stats import workspace_stats
from engine.demo import DemoSpec
from engine.demo.load import build

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_DB = DATA / "bench-1m.duckdb"
PROFILES = 1_000_000
DAYS = 30  # ~14M events: enough for every benchmark, and a build that fits a coffee break
SEED = 42


def sidecar(db: Path) -> Path:
    return db.with_suffix(".json")


def info(db: Path = DEFAULT_DB) -> dict[str, Any] | None:
    """The recorded spec and build figures of a finished build, or None."""
    path = sidecar(db)
    return json.loads(path.read_text()) if path.exists() and db.exists() else None


def as_of(db: Path = DEFAULT_DB) -> dt.datetime:
    """The end of the benchmark data (evaluate time windows against this, not the clock)."""
    recorded = info(db)
    if recorded is None:
        raise FileNotFoundError(f"{db} is not built yet: run python -m bench.workspace")
    return dt.datetime.fromisoformat(recorded["end"])


def ensure(
    db: Path = DEFAULT_DB, *, profiles: int = PROFILES, days: int = DAYS, rebuild: bool = False
) -> Path:
    """The path of a built workspace with this many profiles, building it when missing."""
    recorded = info(db)
    fits = recorded is not None and (recorded["profiles"], recorded["days"]) == (profiles, days)
    if fits and not rebuild:
        return db
    for stale in (db, db.with_suffix(".duckdb.wal"), sidecar(db)):
        stale.unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    _build(db, DemoSpec(profiles=profiles, days=days, seed=SEED))
    return db


def _build(db: Path, spec: DemoSpec) -> dict[str, Any]:
    with Workspace.open(db) as ws:
        report = build(ws, spec, progress=_progress)
        stats = workspace_stats(ws)
    figures = {
        "profiles": spec.profiles,
        "days": spec.days,
        "seed": spec.seed,
        "end": spec.end.isoformat(),
        "build_seconds": round(report.seconds, 1),
        "events": stats["events"],
        "stored_profiles": stats["profiles"],
        "identities": stats["identities"],
        "sessions": stats["sessions"],
        "file_mb": round(db.stat().st_size / 2**20, 1),
        "peak_rss_mb": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    sidecar(db).write_text(json.dumps(figures, indent=2))
    return figures


def _progress(done: int, total: int, events: int) -> None:
    print(f"  {done:>9,} / {total:,} people, {events:>11,} events", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.workspace", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--profiles", type=int, default=PROFILES)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--rebuild", action="store_true", help="build even if a build exists")
    args = parser.parse_args(argv)
    path = ensure(args.db, profiles=args.profiles, days=args.days, rebuild=args.rebuild)
    figures = info(path) or {}
    print(pd.DataFrame([{"workspace": str(path), **figures}]).T.to_string(header=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
