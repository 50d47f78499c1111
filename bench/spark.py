"""Spark benchmark: the ten bench segments and the 4-step funnel on DuckDB and on Spark's local
mode, side by side, on synthetic workspaces of the sizes asked for.

Run: .venv/bin/python -m bench.spark [--profiles 1000000 5000000] [--repeat 2] [--master local[*]]

Needs the optional extra (`pip install -e '.[spark]'`) and Java 17+. Each size's workspace is
generated once by bench.segments (set-based in DuckDB, ten events per profile) at
bench/data/bench-spark-<N>.duckdb and exported with `kith lake export` beside it; both are
reused by later runs. Every query is timed whole, from the compiled tree to the answer, on a
warm session; the counts of both engines are compared and printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import resource
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from bench.analytics import campaign_spec, timed
from bench.segments import AS_OF, CASES, generate
from engine import Workspace
from engine.scaleout.lake import export
from engine.scaleout.runner import SparkRunner

DATA = Path(__file__).resolve().parent / "data"
EVENTS_PER_PROFILE = 10


def workspace_for(profiles: int) -> tuple[Path, Path]:
    db = DATA / f"bench-spark-{profiles // 1000}k.duckdb"
    lake = DATA / f"bench-spark-{profiles // 1000}k-lake"
    if not db.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        generate(db, profiles, profiles * EVENTS_PER_PROFILE)
    with Workspace.open(db) as ws:
        started = time.perf_counter()
        written = export(ws.db, lake)
        print(
            f"lake {lake.name}: {written.events_mode}, {written.events_written:,} events "
            f"written in {time.perf_counter() - started:.1f} s"
        )
    return db, lake


def _count(ws: Workspace, text: str, runner: Any) -> int:
    return ws.segments.count(text, as_of=AS_OF, runner=runner)


def cases(ws: Workspace) -> list[tuple[str, Callable[[Any], Any]]]:
    """(name, run(runner) -> a comparable answer) for every measured query."""
    found: list[tuple[str, Callable[[Any], Any]]] = [
        (case.name, partial(_count, ws, case.dsl)) for case in CASES
    ]
    spec = campaign_spec(AS_OF)
    found.append(
        (
            "funnel 4 steps, 7d (ordered)",
            lambda runner: ws.funnels.run(spec, runner=runner).steps["profiles"].tolist(),
        )
    )
    return found


def measure(profiles: int, repeat: int, master: str) -> list[dict[str, Any]]:
    db, lake = workspace_for(profiles)
    rows = []
    with Workspace.open(db, read_only=True) as ws:
        started = time.perf_counter()
        with SparkRunner(lake, master=master) as spark:
            opened = time.perf_counter() - started
            print(f"{profiles:,} profiles: Spark session and views ready in {opened:.1f} s")
            for name, run in cases(ws):
                duck_s, duck_cpu, duck = timed(partial(run, None), repeat)
                run(spark)  # warm: Spark plans and caches the file listing once
                spark_s, _, on_spark = timed(partial(run, spark), repeat)
                rows.append(
                    {
                        "profiles": f"{profiles / 1e6:g}M",
                        "query": name,
                        "duckdb s": round(duck_s, 3),
                        "duckdb cpu s": round(duck_cpu, 3),
                        "spark s": round(spark_s, 3),
                        "spark / duckdb": round(spark_s / max(duck_s, 1e-6), 1),
                        "same answer": duck == on_spark,
                    }
                )
                print(f"  {name}: duckdb {duck_s:.3f} s, spark {spark_s:.3f} s", flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spark", description=__doc__)
    parser.add_argument("--profiles", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("pyspark") is None:
        print("bench.spark needs the optional extra: pip install -e '.[spark]' (and Java 17+)")
        return 2
    started = dt.datetime.now(dt.UTC)
    rows = [row for n in args.profiles for row in measure(n, args.repeat, args.master)]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, started {started:%H:%M} UTC, "
        f"python peak RSS {peak:.0f} MB (Spark's JVM not included)"
    )
    print(pd.DataFrame(rows).to_string(index=False))
    return 0 if all(row["same answer"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
