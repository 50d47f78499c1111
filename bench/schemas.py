"""Event-schema benchmark: what enforcement costs bulk ingestion (the same flat events loaded
with every type's policy off, warn and block; 1% of them break their schema), and how long the
discovered schema's scan of every event's properties and the compiler's "it is in the data"
hint take on a copy of a built workspace.

Run: .venv/bin/python -m bench.schemas [--events N] [--profiles N] [--db WORKSPACE]
     [--policies off warn block]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bench.ingest import TYPES, events
from engine import Workspace
from engine.catalog.event_types import POLICIES, unlisted_hint
from engine.catalog.vocab import STANDARD_EVENT_TYPES

BROKEN_SHARE = 0.01


def flat_events(n: int, profiles: int) -> pd.DataFrame:
    """bench.ingest's events with `amount` made text ("lots") on 1% of them."""
    frame = events(n, profiles)
    broken = np.random.default_rng(11).random(n) < BROKEN_SHARE
    frame.loc[broken, "properties"] = '{"amount": "lots", "currency": "EUR"}'
    return frame


def ingest_with(policy: str, frame: pd.DataFrame, folder: Path) -> tuple[float, float, int, int]:
    """Seconds (wall, and CPU of every thread of the process) to ingest `frame` into a fresh
    workspace whose built-in types are all under `policy`; the events stored and flagged."""
    with Workspace.open(folder / f"{policy}-{len(list(folder.iterdir()))}.duckdb") as ws:
        for name in sorted(set(TYPES) & set(STANDARD_EVENT_TYPES)):  # warn is the default
            ws.catalog.set_enforcement(name, policy)
        started, cpu = time.perf_counter(), time.process_time()
        report = ws.ingest.table(frame)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        flagged = int(ws.db.scalar("SELECT count(*) FROM event_flags"))
    return seconds, cpu, report.accepted, flagged


def discovery(db: Path, folder: Path) -> list[tuple[str, float, str]]:
    """Timings of the discovered schema and the hint on a copy of `db`."""
    copy = folder / "copy.duckdb"
    shutil.copy(db, copy)
    rows = []
    with Workspace.open(copy) as ws:
        started = time.perf_counter()
        found = ws.catalog.discovered()
        rows.append(
            ("discovered (every event's properties)", _since(started), f"{len(found)} rows")
        )
        known = ws.catalog.dsl_schema().event_types
        started = time.perf_counter()
        hint = unlisted_hint(ws.db, known, "purchase", "platform")
        rows.append(
            ("hint: purchase.platform in the data?", _since(started), str(hint is not None))
        )
        started = time.perf_counter()
        hint = unlisted_hint(ws.db, known, "refund", None)
        rows.append(("hint: refund in the data?", _since(started), str(hint is not None)))
        total = int(ws.db.scalar("SELECT count(*) FROM events"))
    rows.append(("events in the workspace", 0.0, f"{total:,}"))
    return rows


def _since(started: float) -> float:
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.schemas")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--db", type=Path, help="a built workspace to scan (copied first)")
    parser.add_argument(  # repeat them to interleave runs on a busy machine
        "--policies", nargs="+", default=["off", "warn", "block"], choices=list(POLICIES)
    )
    args = parser.parse_args(argv)
    frame = flat_events(args.events, args.profiles)
    with tempfile.TemporaryDirectory(prefix="kith-bench-schemas-") as tmp:
        folder = Path(tmp)
        print(f"ingest {args.events:,} flat events, {BROKEN_SHARE:.0%} breaking their schema")
        print(f"{'policy':<8} {'seconds':>8} {'cpu-s':>8} {'stored':>10} {'flagged':>8}")
        for policy in args.policies:
            seconds, cpu, stored, flagged = ingest_with(policy, frame, folder)
            print(f"{policy:<8} {seconds:>8.2f} {cpu:>8.2f} {stored:>10,} {flagged:>8,}")
        if args.db is not None:
            print()
            print(f"{'on a copy of ' + args.db.name:<40} {'seconds':>8}  result")
            for name, seconds, result in discovery(args.db, folder):
                print(f"{name:<40} {seconds:>8.2f}  {result}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
