"""The server's clock under load: the time-based refresh of every time-dependent saved segment.

1. engine: `ws.commit(Change(TIME, as_of=...))` on the workspace, alone, `--repeat` times (the
   first run moves the members to the moment; later ones find what time changed since);
2. server: `kith serve` on the same file with the refresh every `--interval` seconds, while
   single /v1/track calls are paced at `--rate` per second for `--seconds` (bench/api.py's
   load); the same load first with the refresh held off, for comparison. The refresh runs and
   their durations come from /api/health.

Both write to the workspace, so they run on a copy of `--db` (the benchmark file of
bench/workspace.py is never opened read-write), made in `--work` (default: a temporary folder).
Run:
    .venv/bin/python -m bench.clock --db bench/data/bench-1m.duckdb [--work /tmp/live-clock-bench]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.api import paced_latency, percentile, start_server
from engine import Workspace
from engine.admin import jobs
from engine.admin.settings import DAY_SECONDS
from engine.changes import Change, ChangeKind
from engine.clock import utcnow

TIME_REFRESH = "time_refresh"


def engine_refresh(db: Path, repeat: int) -> tuple[int, int, list[float]]:
    """The saved segments, the time-dependent ones, and the seconds of each time-based refresh
    as of now."""
    with Workspace.open(db) as ws:
        saved = ws.segments.membership.catalogue()
        timed = sum(state.timed for state in saved)
        seconds = []
        for _ in range(repeat):
            started = time.perf_counter()
            ws.commit(Change(ChangeKind.TIME, as_of=utcnow()))
            seconds.append(time.perf_counter() - started)
    return len(saved), timed, seconds


def served(db: Path, interval: int, rate: float, seconds: float) -> dict[str, Any]:
    """Paced single tracks against `kith serve` with the refresh every `interval` seconds (held
    off entirely with DAY_SECONDS); latencies and the clock's time_refresh figures."""
    with Workspace.open(db) as ws:
        ws.settings.set_time_refresh_seconds(interval)
        jobs.record_run(ws.db, TIME_REFRESH, utcnow())  # no catch-up run at start
        key = ws.keys.create(f"bench-clock-{time.time_ns()}", scope="ingest").key
    proc, url = start_server(db, timeout=300)  # a 1M workspace on a busy machine: minutes
    try:
        before = _refresh_runs(url)
        latencies = paced_latency(url, key, rate, seconds)
        clock = httpx.get(f"{url}/api/health", timeout=30).json()["clock"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(120)
    job = clock["jobs"][TIME_REFRESH]
    return {"latencies": latencies, "runs": job["runs"] - before, "job": job}


def _refresh_runs(url: str) -> int:
    health = httpx.get(f"{url}/api/health", timeout=30).json()
    return int(health["clock"]["jobs"][TIME_REFRESH]["runs"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.clock", description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="the workspace (it is copied)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--interval", type=int, default=5, help="refresh every N s under load")
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--work", type=Path, help="folder for the copy (default: temporary)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        db = Path(tmp) / args.db.name
        shutil.copy(args.db, db)
        segments = engine_refresh(db, args.repeat)
        print(f"engine refresh: {segments}", flush=True)  # kept if the server part fails
        quiet = served(db, DAY_SECONDS, args.rate, args.seconds)
        busy = served(db, args.interval, args.rate, args.seconds)
    report(args, segments, quiet, busy)
    return 0


def report(
    args: argparse.Namespace,
    segments: tuple[int, int, list[float]],
    quiet: dict[str, Any],
    busy: dict[str, Any],
) -> None:
    saved, timed, refresh = segments
    print(f"Clock benchmark ({os.cpu_count()} cores, {args.db.name}, load {_load()})")
    print(f"{'measure':<58} {'value':>10}")
    print(f"{'saved segments':<58} {saved:>10}")
    print(f"{'time-dependent saved segments':<58} {timed:>10}")
    for n, seconds in enumerate(refresh, start=1):
        print(f"{f'engine: time-based refresh #{n}, s':<58} {seconds:>10.2f}")
    for name, run in (("refresh held off", quiet), (f"refresh every {args.interval} s", busy)):
        lat = run["latencies"]
        print(f"{f'serve, {name}: tracks at {int(args.rate)}/s':<58} {len(lat):>10}")
        print(f"{f'serve, {name}: track p50 ms':<58} {percentile(lat, 50):>10.1f}")
        print(f"{f'serve, {name}: track p99 ms':<58} {percentile(lat, 99):>10.1f}")
        print(f"{f'serve, {name}: refresh runs during the load':<58} {run['runs']:>10}")
    last = busy["job"]["last_seconds"]
    print(f"{'serve: last refresh under load, s':<58} {last or 0:>10.2f}")
    print(f"{'serve: clock failures':<58} {busy['job']['failures']:>10}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    raise SystemExit(main())
