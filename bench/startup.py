"""Start-up benchmark: the wall time of whole `kith` processes, from exec to exit.

Run: .venv/bin/python -m bench.startup [--db PATH] [--repeat 10]

Each command runs --repeat times as a fresh process (the installed `kith` script beside this
Python); the table shows the median, the fastest and the slowest wall time, and the median CPU
time (user + system) of the process, which a busy machine inflates less than the wall time.
PATH is the 5k demo workspace (`kith demo --profiles 5000 --days 90 --seed 7`); it is built
there first when absent.
The first run of each command is a warm-up (file cache, lark's grammar cache, Python's bytecode
cache) and is not counted. The commands run as an installed Kith runs: with Python's bytecode
cache written and read. An environment with PYTHONDONTWRITEBYTECODE set (as some sandboxes and
CI images are) would otherwise recompile Kith's own modules on every start, ~0.06 s of the
figure; `--no-bytecode-cache` measures that case.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

DEFAULT_DB = Path("/tmp/kith-bench-startup/demo-5k.duckdb")
DEMO = ["demo", "--profiles", "5000", "--days", "90", "--seed", "7"]
EXPRESSION = 'country = "ID" and did purchase in last 30 days'


def kith_script() -> str:
    """The `kith` entry point installed with this interpreter (the one `make` builds)."""
    return str(Path(sys.executable).with_name("kith"))


def commands(db: Path) -> dict[str, list[str]]:
    """What is timed: the parser alone, a read on the demo, and a language check."""
    return {
        "kith --help": ["--help"],
        "kith segment count EXPR": ["segment", "count", EXPRESSION, "--db", str(db)],
        "kith segment check EXPR": ["segment", "check", EXPRESSION, "--db", str(db)],
        "kith stats": ["stats", "--db", str(db)],
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child_environment(bytecode_cache: bool) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_once(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of `kith ARGS` from spawn to exit; a failure stops the benchmark."""
    cpu_before, began = _children_cpu(), time.perf_counter()
    done = subprocess.run(
        [kith_script(), *args], capture_output=True, text=True, check=False, env=env
    )
    wall, cpu = time.perf_counter() - began, _children_cpu() - cpu_before
    if done.returncode != 0:
        raise SystemExit(f"kith {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return wall, cpu


def ensure_demo(db: Path) -> None:
    if db.exists():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    print(f"building the 5k demo at {db} ...", flush=True)
    run_once([*DEMO, "--db", str(db)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="the 5k demo workspace")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per command")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run with PYTHONDONTWRITEBYTECODE=1 (every start compiles Kith's modules)",
    )
    args = parser.parse_args(argv)
    ensure_demo(args.db)
    env = child_environment(not args.no_bytecode_cache)
    cache = "off" if args.no_bytecode_cache else "on"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load}; {args.repeat} runs; bytecode cache {cache}")
    print(f"{'command':<26} {'median s':>9} {'min s':>7} {'max s':>7} {'median cpu s':>13}")
    for name, command in commands(args.db).items():
        run_once(command, env)
        runs = [run_once(command, env) for _ in range(args.repeat)]
        wall = [w for w, _ in runs]
        cpu = statistics.median(c for _, c in runs)
        row = f"{statistics.median(wall):>9.3f} {min(wall):>7.3f} {max(wall):>7.3f} {cpu:>13.3f}"
        print(f"{name:<26} {row}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
