"""Run every benchmark module with small-ish default settings and print their tables.

Run: .venv/bin/python -m bench [--only NAME ...]

Each module in this package exposes `main(argv)`; SMALL gives the arguments used here (a module
not listed runs with its own defaults). `bench.workspace` builds the shared demo workspace the
benchmarks that take --db read; here it builds a 100k-profile one so the run stays short.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import bench

SMALL_DB = str(Path(bench.__file__).resolve().parent / "data" / "bench-100k.duckdb")
SMALL: dict[str, list[str]] = {
    "workspace": ["--profiles", "100000", "--db", SMALL_DB],
    "ingest": ["--events", "200000", "--profiles", "20000"],
    "segments": ["--db", SMALL_DB, "--repeat", "1"],
    "analytics": ["--db", SMALL_DB, "--repeat", "1", "--events", "50000"],
    "trends": ["--db", SMALL_DB, "--repeat", "1"],
    "dashboard": ["--db", SMALL_DB, "--repeat", "2"],
    "api": ["--events", "50000", "--seconds", "5"],
    "clock": ["--db", SMALL_DB, "--repeat", "2", "--seconds", "10"],
    "live": ["--db", SMALL_DB, "--repeat", "5"],
    "spark": ["--profiles", "100000", "--repeat", "1"],
    "schemas": ["--events", "100000", "--profiles", "10000", "--db", SMALL_DB],
    "activation": ["--profiles", "20000", "--batch-sizes", "500"],
    "compaction": ["--db", SMALL_DB, "--repeat", "1"],
}
FIRST = ("workspace",)  # others may read what it builds


def modules() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")]
    return sorted(names, key=lambda n: (n not in FIRST, n))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=None, help="run only these modules")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only or []) - set(modules()))
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}; there are {', '.join(modules())}")
    failed = []
    for name in modules():
        if args.only and name not in args.only:
            continue
        print(f"\n== bench.{name} {' '.join(SMALL.get(name, []))}", flush=True)
        began = time.perf_counter()
        code = importlib.import_module(f"bench.{name}").main(SMALL.get(name, []))
        print(f"   ({time.perf_counter() - began:.1f}s)")
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
